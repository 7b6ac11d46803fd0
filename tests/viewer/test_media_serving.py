"""Media are served by record id, resolved by the store: never a path built from the URL.

Defects this pins (issue 12): the URL of a listed sample pointed at another sample's file when the
listing was filtered; ``/media/<task>/<path>`` served any file of the task folder (``zarr.json``,
``tails.bin``, the indexes); an index record with an absolute, ``..`` or ``file://`` path was served.
"""

from __future__ import annotations

import json

import pytest

from ringlog.store.testing import add_task, image, make_store, noisy_series
from ringlog.viewer import create_app


@pytest.fixture
def store(tmp_path):
    return make_store(tmp_path / "store")


def _client(store):
    return create_app(store.root, config={"TESTING": True}).test_client()


def _get(c, url) -> tuple[int, bytes]:
    with c.get(url) as resp:  # a served file stays open until the response is closed
        return resp.status_code, resp.data


def _forge(reader, **fields):
    """Append a hand-edited "add" record to the task's media index (what a tampered file holds)."""
    index = reader.path / "media.jsonl"
    last = max(json.loads(line)["id"] for line in index.read_text().splitlines())
    rec = {"op": "add", "id": last + 1, "title": "forged", "series": "s", "iteration": 0, "n": 0,
           "kind": "image", "ext": "png", "caption": None, "time": 1.7e9, **fields}
    with open(index, "a") as f:
        f.write(json.dumps(rec) + "\n")


def test_filtered_listing_urls_serve_the_listed_files(store, tmp_path):
    w = store.create_task("p", "t")
    for title in ("a", "b"):  # samples in another local folder first: their listing used list positions
        w.media.add_media(title, "far", 0, data=title.encode() + b"far", destination=str(tmp_path / "elsewhere"))
    for title in ("a", "b"):
        for i in range(3):
            w.media.add_media(title, "x", i, data=title.encode() + b"%d" % i)
    w.close()
    c = _client(store)
    for query in ("", "?title=b", "?title=b&series=far", "?title=a", "?series=x"):
        groups = c.get(f"/api/tasks/{w.id}/media{query}").get_json()["groups"]
        items = [(g, it) for g in groups for it in g["items"]]
        assert items
        for g, it in items:
            if it["url"] is None:  # not served (another folder); never another sample's bytes
                assert g["series"] == "far"
                continue
            expected = g["title"].encode() + (b"far" if g["series"] == "far" else b"%d" % it["iteration"])
            assert _get(c, it["url"]) == (200, expected), (query, it["url"])


def test_samples_in_another_local_folder_are_listed_but_not_served(store, tmp_path):
    w = store.create_task("p", "t")
    for i, title in enumerate(("a", "b")):
        w.media.add_media(title, "s", i, data=b"outside-%d" % i, destination=str(tmp_path / "elsewhere"))
    w.close()
    c = _client(store)
    for query in ("", "?title=b"):
        for g in c.get(f"/api/tasks/{w.id}/media{query}").get_json()["groups"]:
            assert all(it["url"] is None for it in g["items"])
    assert _get(c, f"/media/{w.id}/_indexed/0")[0] == 404


@pytest.mark.parametrize("name", ["zarr.json", "series.json", "tails.bin", "media.jsonl", "console.jsonl",
                                  "plots.jsonl", "loss/value/zarr.json"])
def test_only_media_files_are_served(store, name):
    r = add_task(store, "p", "t", scalars={"loss": noisy_series(100)}, media=[image("a", "x", 1)],
                 console=[(1.7e9, "stdout", "info", "hi")])
    c = _client(store)
    assert _get(c, f"/media/{r.id}/{name}")[0] == 404
    assert _get(c, f"/media/{r.id}/media/a/x/1_0.png")[0] == 404  # no path route at all


@pytest.mark.parametrize("path", ["/etc/passwd", "media/../zarr.json", "file:///etc/passwd", "zarr.json",
                                  "media/a/../../zarr.json"])
def test_forged_index_paths_are_never_served(store, path):
    r = add_task(store, "p", "t", media=[image("a", "x", 1)])
    _forge(r, path=path)
    c = _client(store)
    [forged] = [g for g in c.get(f"/api/tasks/{r.id}/media").get_json()["groups"] if g["title"] == "forged"]
    assert forged["items"][0]["url"] is None
    for rid in range(0, 4):
        data = _get(c, f"/media/{r.id}/{rid}")[1]
        assert b"root:" not in data and b"zarr_format" not in data


def test_forged_file_uri_is_never_served(store):
    r = add_task(store, "p", "t", media=[image("a", "x", 1)])
    _forge(r, uri="file://" + str(r.path / "zarr.json"))
    c = _client(store)
    [forged] = [g for g in c.get(f"/api/tasks/{r.id}/media").get_json()["groups"] if g["title"] == "forged"]
    assert forged["items"][0]["url"] is None
    assert all(b"zarr_format" not in _get(c, f"/media/{r.id}/{i}")[1] for i in range(4))


def test_symlink_out_of_the_media_folder_is_not_served(store):
    r = add_task(store, "p", "t", media=[image("a", "x", 1)])
    (r.path / "media" / "link.png").symlink_to(r.path / "zarr.json")
    _forge(r, path="media/link.png")
    c = _client(store)
    assert all(b"zarr_format" not in _get(c, f"/media/{r.id}/{i}")[1] for i in range(4))
