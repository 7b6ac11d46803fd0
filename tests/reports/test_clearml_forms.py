"""Issue 15, reports: the query forms ClearML's embed text uses (project ids, the /widget/ spelling,
objectType=model accepted), remote images in reports, and the guard's refusals answered by errors.py."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl

import pytest

from ringlog.store.reports import project_id
from ringlog.store.testing import add_task, make_store
from ringlog.viewer.markdown import render

from .conftest import make_app


def md5(s: str) -> str:
    return hashlib.md5(s.encode("utf-8")).hexdigest()


@pytest.fixture
def client(tmp_path):
    st = make_store(tmp_path / "store")
    scal = {("training", "accuracy"): ([0, 1], [0.5, 0.75], [1.0, 2.0])}
    add_task(st, "vision", "old", task_id="t1", updated=10.0, scalars=scal)
    add_task(st, "vision", "new", task_id="t2", updated=20.0, scalars=scal)
    add_task(st, "vision/sub", "child", task_id="t3", updated=30.0, scalars=scal)
    add_task(st, "nlp", "other", task_id="t4", updated=40.0, scalars=scal)
    return make_app(tmp_path / "store", st).test_client()


def _ids(client, qs: str) -> list[str]:
    resp = client.get("/widgets/data?" + qs)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [t["id"] for t in resp.get_json()["tasks"]]


def test_project_ids_are_the_md5_of_the_name_and_stable():
    assert project_id("vision") == md5("vision") == project_id("vision")
    assert project_id("vision") != project_id("vision/sub") and len(project_id("a")) == 32


def test_widget_queries_take_a_project_id_or_name(client):
    pid = md5("vision")
    assert _ids(client, f"type=scalar&project={pid}") == ["t2", "t1"]  # exact project, not its subprojects
    assert _ids(client, "type=scalar&project=vision") == ["t2", "t1"]
    assert _ids(client, f"type=scalar&project[]={pid},nlp") == ["t4", "t2", "t1"]
    latest = f"type=scalar&metrics=training&variants=accuracy&project={pid}&page_size=1&page=0&order_by[]=-last_update"
    assert _ids(client, latest) == ["t2"]
    assert _ids(client, "type=scalar&project=" + md5("nowhere")) == []


def test_project_ids_are_shown_next_to_names(client):
    projects = client.get("/api/projects").get_json()["projects"]
    assert {p["name"]: p["id"] for p in projects}["vision"] == md5("vision")
    report = client.post("/api/reports", json={"name": "r", "project": "vision"}).get_json()
    editor = client.get(f"/reports/{report['id']}/edit").get_data(as_text=True)
    assert md5("vision") in editor and md5("vision/sub") in editor and "project=" + md5("nlp") in editor


def test_widget_spelling_redirects_keeping_the_query(client):
    resp = client.get("/widget/?type=scalar&objectType=task&objects=t1&metrics=Metric%20Name&tags[]=__$or,a")
    assert resp.status_code == 301
    path, _, query = resp.headers["Location"].partition("?")
    assert path == "/widgets/" and "metrics=Metric%20Name" in query
    assert parse_qsl(query) == parse_qsl(resp.request.query_string.decode())
    assert client.get("/widget/").headers["Location"] == "/widgets/"
    followed = client.get("/widget/?type=scalar&objects=t1", follow_redirects=True)
    assert followed.status_code == 200 and followed.request.path == "/widgets/"
    # an embed code pasted with that spelling is kept in a report, pointing at /widgets/ (and drawn
    # in the report's light theme, viewer/markdown.py)
    html = render('<iframe src="/widget/?type=plot&objects=t1"></iframe>')
    assert 'src="/widgets/?type=plot&amp;objects=t1&amp;light=true"' in html and "rl-blocked" not in html


def test_object_type_model_draws_the_producing_task(client):
    """objectType=model is accepted (issue 20): a model id no model has is a gap, as a deleted task is;
    tests/artifacts/test_viewer.py draws a real model's task."""
    resp = client.get("/widgets/data?type=scalar&objectType=model&objects=m1")
    assert resp.status_code == 200 and resp.get_json()["tasks"] == []
    assert client.get("/widgets/?type=scalar&objectType=model").status_code == 200
    err = client.get("/widgets/data?objectType=dataset")
    assert err.status_code == 400 and "objectType" in err.get_json()["error"]["message"]


def test_remote_images_become_a_visible_note_with_the_link():
    html = render('![chart <b>"x"</b>](https://example.com/a.png?x=1&y=2) and ![up](/api/reports/r1/assets/a.png)')
    assert "<img" in html and 'src="/api/reports/r1/assets/a.png"' in html  # local images stay
    assert 'src="https://' not in html and html.count("<img") == 1
    assert 'class="rl-blocked rl-remote-image"' in html
    assert '<a href="https://example.com/a.png?x=1&amp;y=2" rel="noopener noreferrer">' in html
    assert "<b>" not in html and "&lt;b&gt;" in html  # the alt text is escaped, not markup
    for src in ("//cdn.example.com/x.png", "HTTP://EXAMPLE.COM/x.png"):
        assert "<img" not in render(f"![x]({src})")
    attack = render('<img src="https://x.org/a.png" alt="&lt;script&gt;alert(1)&lt;/script&gt;" onerror="alert(2)">')
    assert "<script" not in attack and "onerror" not in attack and "rl-remote-image" in attack


def test_guard_refusals_go_through_the_one_error_mapping(client):
    # reports.py has no cross-site check of its own any more: the guard's 403, answered by errors.py
    from ringlog.viewer import reports

    assert not hasattr(reports, "_refuse_cross_site_writes")
    resp = client.post("/api/reports", json={"name": "n", "project": "p"}, headers={"Origin": "https://evil.example"})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == 403
    assert resp.headers["Cache-Control"] == "no-store"
    page = client.get("/reports", headers={"Host": "evil.example"})  # a page route: still a JSON refusal
    assert page.status_code == 421 and page.get_json()["error"]["code"] == 421
    assert page.headers["Cache-Control"] == "no-store"
