"""ReportStore: the document lifecycle, the version check, the publish lock, archive-before-delete."""

from __future__ import annotations

import io
import json
import threading

import pytest
from PIL import Image

from ringlog.store.reports import (
    ReportNotArchivedError,
    ReportNotFoundError,
    ReportPublishedError,
    ReportStore,
    ReportValueError,
    ReportVersionConflictError,
    embed_code,
    metric_id,
)


@pytest.fixture
def rs(store_root):
    return ReportStore(store_root)


def png_bytes(size=(4, 3)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buf, format="PNG")
    return buf.getvalue()


def test_create_writes_a_json_document_with_defaults(rs, store_root):
    doc = rs.create(name=" Results ", project="vision", markdown="# Hi", description="d", tags=["a", "a", "b"])
    path = store_root / ".reports" / doc["id"] / "report.json"
    on_disk = json.loads(path.read_text())
    assert on_disk == doc
    assert doc["name"] == "Results" and doc["tags"] == ["a", "b"]
    assert doc["status"] == "draft" and doc["archived"] is False and doc["version"] == 1
    assert doc["user"] and doc["created"] == doc["updated"]
    assert rs.get(doc["id"]) == doc


def test_nothing_is_created_until_a_write(rs, store_root):
    assert rs.list() == [] and rs.projects() == []
    assert not store_root.exists()


@pytest.mark.parametrize("kwargs, word", [
    ({"name": "", "project": "p"}, "name must not be empty"),
    ({"name": "n", "project": 3}, "project must be a string"),
    ({"name": "n", "project": "p", "tags": ["ok", ""]}, "tags item must not be empty"),
    ({"name": "x" * 300, "project": "p"}, "name must be at most 256"),
])
def test_bad_arguments_are_named(rs, kwargs, word):
    with pytest.raises(ReportValueError, match=word):
        rs.create(**kwargs)


def test_unknown_and_malformed_ids_raise_key_errors(rs):
    with pytest.raises(KeyError, match="names no report"):
        rs.get("0" * 32)
    with pytest.raises(ReportNotFoundError, match="32-character hex"):
        rs.get("../../etc/passwd")


def test_version_check_refuses_a_stale_edit(rs):
    doc = rs.create(name="n", project="p", markdown="v1")
    first = rs.update(doc["id"], markdown="tab A", version=1)
    assert first["version"] == 2
    with pytest.raises(ReportVersionConflictError, match="version 1 but it is now at version 2") as info:
        rs.update(doc["id"], markdown="tab B", version=1)
    assert info.value.current["markdown"] == "tab A"
    assert rs.get(doc["id"])["markdown"] == "tab A"
    assert rs.update(doc["id"], markdown="tab B", version=2)["markdown"] == "tab B"


def test_concurrent_writers_never_lose_an_edit(rs):
    doc = rs.create(name="n", project="p")
    errors = []

    def add(i):
        try:
            rs.add_tags(doc["id"], [f"t{i}"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = rs.get(doc["id"])
    assert not errors
    assert sorted(final["tags"]) == sorted(f"t{i}" for i in range(16))
    assert final["version"] == 17


def test_publish_locks_content_but_not_filing(rs):
    doc = rs.create(name="n", project="p", markdown="x")
    pub = rs.publish(doc["id"])
    assert pub["status"] == "published" and pub["published"]
    for call in (lambda: rs.update(doc["id"], markdown="y"), lambda: rs.rename(doc["id"], "m"),
                 lambda: rs.update(doc["id"], description="d"), lambda: rs.publish(doc["id"]),
                 lambda: rs.add_image(doc["id"], png_bytes())):
        with pytest.raises(ReportPublishedError, match="published and locked"):
            call()
    assert rs.get(doc["id"])["markdown"] == "x"
    rs.add_tags(doc["id"], ["final"])
    rs.move(doc["id"], "elsewhere")
    rs.archive(doc["id"])
    got = rs.get(doc["id"])
    assert got["tags"] == ["final"] and got["project"] == "elsewhere" and got["archived"]


def test_delete_requires_archive(rs, store_root):
    doc = rs.create(name="n", project="p")
    with pytest.raises(ReportNotArchivedError, match="must be archived before"):
        rs.delete(doc["id"])
    rs.archive(doc["id"])
    assert rs.list() == [] and [d["id"] for d in rs.list(archived=True)] == [doc["id"]]
    rs.unarchive(doc["id"])
    assert [d["id"] for d in rs.list()] == [doc["id"]]
    rs.archive(doc["id"])
    rs.delete(doc["id"])
    assert not rs.exists(doc["id"])
    assert list((store_root / ".reports").iterdir()) == []


def test_tags_move_rename_and_filters(rs):
    a = rs.create(name="Alpha run", project="p1", description="about resnet", tags=["x"])
    b = rs.create(name="Beta", project="p2", tags=["x", "y"])
    rs.add_tags(a["id"], ["y", "z"])
    rs.remove_tags(a["id"], ["x"])
    rs.rename(b["id"], "Gamma")
    rs.move(b["id"], "brand new")
    assert rs.get(a["id"])["tags"] == ["y", "z"]
    assert {d["name"] for d in rs.list(tags=["y"])} == {"Alpha run", "Gamma"}
    assert [d["name"] for d in rs.list(text="RESNET")] == ["Alpha run"]
    assert [d["name"] for d in rs.list(project="brand new")] == ["Gamma"]
    assert [p["project"] for p in rs.projects()] == ["brand new", "p1"]
    assert rs.list()[0]["id"] == b["id"]  # most recently updated first


def test_images_are_validated_and_stored_by_hash(rs):
    doc = rs.create(name="n", project="p")
    name = rs.add_image(doc["id"], png_bytes())
    assert name.endswith(".png")
    assert rs.get(doc["id"])["version"] == 1 and rs.get(doc["id"])["assets"] == [name]  # an open editor stays current
    assert rs.image_path(doc["id"], name).read_bytes() == png_bytes()
    assert rs.add_image(doc["id"], png_bytes()) == name
    with pytest.raises(ReportValueError, match="valid PNG, JPEG"):
        rs.add_image(doc["id"], b"<svg onload=alert(1)>")
    with pytest.raises(ReportValueError, match="at most 10 bytes"):
        rs.add_image(doc["id"], png_bytes(), max_bytes=10)
    with pytest.raises(ReportNotFoundError):
        rs.image_path(doc["id"], "../report.json")


def test_embed_code_and_metric_ids():
    assert metric_id("hello") == "5d41402abc4b2a76b9719d911017c592"  # RFC 1321 test-suite style value
    code = embed_code("scalar", ["abc"], metrics="train", variants="loss", page_size=1,
                      order_by__=["-last_update"], light=True)
    assert code.startswith('<iframe src="/widgets/?type=scalar&objectType=task&objects=abc&xaxis=iter')
    assert "metrics=train&variants=loss&page_size=1&order_by%5B%5D=-last_update&light=true" in code
    with pytest.raises(ReportValueError, match="type must be one of"):
        embed_code("chart")


def test_nested_projects_group_under_their_top_level(rs):
    rs.create(name="a", project="vision")
    rs.create(name="b", project="vision/detection")
    rs.create(name="c", project="vision/detection/yolo")
    rs.create(name="d", project="nlp")
    assert [(p["project"], p["count"]) for p in rs.projects()] == [("nlp", 1), ("vision", 3)]
    assert [(p["project"], p["count"]) for p in rs.projects(parent="vision")] == [("vision/detection", 2)]
    assert sorted(d["name"] for d in rs.list("vision", subprojects=True)) == ["a", "b", "c"]
    assert [d["name"] for d in rs.list("vision")] == ["a"]
    assert rs.project_names() == ["nlp", "vision", "vision/detection", "vision/detection/yolo"]
