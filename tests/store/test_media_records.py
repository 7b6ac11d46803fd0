"""Typed media records: a stable id across filters and retention, and a file resolver that only
hands out regular files inside the task's media/ folder."""

from __future__ import annotations

import json

import pytest

from ringlog.store import MediaNotFoundError, MediaRecord
from ringlog.store.testing import add_task, image, make_store, remote


@pytest.fixture
def reader(tmp_path):
    st = make_store(tmp_path / "store")
    return add_task(st, "p", "t", media=[image("a", "x", i, b"a%d" % i) for i in range(3)]
                    + [image("b", "y", 0, b"b0"), remote("r", "s", 0, "s3://bucket/k.png")])


def test_ids_are_stable_whatever_the_filter(reader):
    every = {(r.title, r.iteration): r.id for r in reader.media_records()}
    assert all(isinstance(r, MediaRecord) for r in reader.media_records())
    assert {(r.title, r.iteration): r.id for r in reader.media_records("b")} == {("b", 0): every[("b", 0)]}
    for r in reader.media_records("a", "x"):
        assert r.id == every[("a", r.iteration)]
        assert reader.media_file(r.id).read_bytes() == b"a%d" % r.iteration


def test_ids_survive_retention(tmp_path):
    st = make_store(tmp_path / "store")
    w = st.create_task("p", "t")
    for i in range(5):
        w.media.add_media("a", "x", i, data=b"%d" % i, max_history=2)
    w.close()
    kept = st.task(w.id).media_records()
    assert [r.iteration for r in kept] == [3, 4] and [r.id for r in kept] == [3, 4]
    with pytest.raises(MediaNotFoundError):
        st.task(w.id).media_file(0)   # deleted by retention: its id is never reused


def test_remote_and_unknown_ids_are_not_files(reader):
    [rem] = reader.media_records("r")
    assert rem.uri == "s3://bucket/k.png" and rem.path is None
    for rid in (rem.id, 999):
        with pytest.raises(MediaNotFoundError):
            reader.media_file(rid)
    with pytest.raises(TypeError):
        reader.media_file("0")


@pytest.mark.parametrize("path", ["/etc/passwd", "media/../zarr.json", "file:///etc/passwd", "zarr.json",
                                  "media", "media/a/../../zarr.json", "C:\\\\media\\\\x.png", "..\\\\zarr.json"])
def test_paths_outside_the_media_folder_are_refused(reader, path):
    index = reader.path / "media.jsonl"
    with open(index, "a") as f:
        f.write(json.dumps({"op": "add", "id": 100, "title": "f", "series": "s", "iteration": 0, "kind": "image",
                            "ext": "png", "path": path}) + "\n")
    with pytest.raises(MediaNotFoundError):
        reader.media_file(100)
