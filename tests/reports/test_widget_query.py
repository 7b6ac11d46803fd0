"""Widget query parsing, the tag filter syntax and dynamic selection (order by metric md5 ids)."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl

import pytest
from werkzeug.datastructures import MultiDict

from ringlog.store.testing import add_task, make_store
from ringlog.viewer.errors import BadRequestError
from ringlog.viewer.provider import Provider
from ringlog.viewer.widget_query import parse_query, select_tasks, tag_filter


def args(qs: str) -> MultiDict:
    return MultiDict(parse_qsl(qs, keep_blank_values=True))


def md5(s: str) -> str:
    return hashlib.md5(s.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("spec, tags, expected", [
    (["a", "b"], {"b"}, True),
    (["a", "b"], {"c"}, False),
    (["a", "-c"], {"a", "c"}, False),
    (["-c"], {"x"}, True),
    (["-c"], {"c"}, False),
    (["__$or", "a", "b"], {"a"}, True),
    (["__$and", "a", "b"], {"a"}, False),
    (["__$all", "a", "b"], {"a", "b", "z"}, True),
    (["__$all", "a", "__$not", "b"], {"a"}, True),
    (["__$all", "a", "__$not", "b"], {"a", "b"}, False),
    (["__$all", "a", "b", "__$or", "c", "__$not", "d"], {"a", "b"}, True),       # a AND b AND (c OR NOT d)
    (["__$all", "a", "b", "__$or", "c", "__$not", "d"], {"a", "b", "d"}, False),
    (["__$all", "a", "b", "__$or", "c", "__$not", "d"], {"a", "b", "c", "d"}, True),
    (["__$or", "best", "-debug"], {"debug"}, False),
    ([], {"anything"}, True),
])
def test_tag_filter_syntax(spec, tags, expected):
    assert tag_filter(spec)(tags) is expected


def test_parse_reads_arrays_in_every_spelling():
    q = parse_query(args("type=scalar&objects=a&objects=b&tags[]=__$or,x&tags[]=y&order_by[]=-last_update"
                         "&page_size=2&page=1&metrics=m&variants=v&xaxis=iso_time&light"))
    assert q.objects == ["a", "b"] and q.tags == ["__$or", "x", "y"] and q.order_by == ["-last_update"]
    assert (q.page_size, q.page, q.metrics, q.variants, q.xaxis, q.light) == (2, 1, ["m"], ["v"], "iso_time", True)
    assert parse_query(args("type=plot")).light is False


@pytest.mark.parametrize("qs, param", [
    ("type=chart", "type"), ("objectType=dataset", "objectType"), ("xaxis=steps", "xaxis"),
    ("page_size=0", "page_size"), ("page_size=x", "page_size"), ("order_by[]=-loss", "order_by[]"),
    ("type=parcoords&value_type=mean", "value_type"), ("objects=../etc", "objects"),
])
def test_bad_queries_name_the_parameter(qs, param):
    with pytest.raises(BadRequestError) as info:
        parse_query(args(qs))
    assert info.value.parameter == param and "got" in str(info.value)


@pytest.fixture
def store(tmp_path):
    st = make_store(tmp_path / "store")

    def t(i, acc, tags=(), project="vision", updated=0.0, name=None):
        scal = {} if acc is None else {("training", "accuracy"): ([0, 1, 2], [0.1, acc + 0.2, acc], [1, 2, 3])}
        add_task(st, project, name or f"run{i}", task_id=f"t{i}", tags=tags, created=0.0, updated=updated,
                 scalars=scal)
    t(1, 0.50, ("best",), updated=10)
    t(2, 0.90, ("best", "debug"), updated=40)
    t(3, 0.70, (), updated=30)
    t(4, None, ("best",), updated=20)
    t(5, 0.99, ("best",), project="nlp", updated=50)
    return Provider(st)


def ids(provider, qs: str) -> list[str]:
    return [r["id"] for r in select_tasks(provider, parse_query(args(qs)))]


def test_latest_task_in_a_project(store):
    assert ids(store, "project=vision&page_size=1&page=0&order_by[]=-last_update") == ["t2"]
    assert ids(store, "project=vision&order_by[]=last_update") == ["t1", "t4", "t3", "t2"]


def test_tag_queries_select_tasks(store):
    assert ids(store, "tags[]=__$or,best") == ["t5", "t2", "t4", "t1"]
    assert ids(store, "tags[]=best,-debug&project=vision") == ["t4", "t1"]


def test_order_by_metric_md5_ids_value_min_max(store):
    mid, vid = md5("training"), md5("accuracy")
    base = f"project=vision&order_by[]=-last_metrics.{mid}.{vid}"
    assert ids(store, base + ".value") == ["t2", "t3", "t1", "t4"]  # t4 has no such metric: last
    assert ids(store, f"project=vision&order_by[]=last_metrics.{mid}.{vid}.value") == ["t1", "t3", "t2", "t4"]
    assert ids(store, base + ".max_value&page_size=2") == ["t2", "t3"]  # max = acc + 0.2
    # every min is the first value, 0.1: ties keep the catalog's order (most recently updated first)
    assert ids(store, f"project=vision&order_by[]=last_metrics.{mid}.{vid}.min_value") == ["t2", "t3", "t1", "t4"]


def test_explicit_objects_keep_order_and_skip_unknown_ids(store, ):
    assert ids(store, "objects=t3&objects=missing&objects=t1") == ["t3", "t1"]
    assert ids(store, "objects=t3&objects=t1&order_by[]=name") == ["t1", "t3"]


def test_name_and_status_filters_and_paging(store):
    assert ids(store, "name=^run[12]$&order_by[]=name") == ["t1", "t2"]
    assert ids(store, "name=run(&order_by[]=name&page_size=1") == []  # invalid regex: substring "run(" matches nothing
    assert ids(store, "status[]=running") == []
    assert ids(store, "order_by[]=name&page_size=2&page=2") == ["t5"]
