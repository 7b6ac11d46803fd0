"""store/media.py: samples with retention, plots, console; readers; crash and resume behaviour."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringlog.store import media as sm
from ringlog.store import media_writer
from ringlog.store.media import MediaWriter, read_console, read_media, read_plots


def test_sample_round_trip(task_path):
    mw = MediaWriter(task_path)
    rec = mw.add_media("val/images", "sample 1", 7, data=b"\x89PNG..", ext="PNG", caption="a cat")
    assert rec["path"] == "media/val%2Fimages/sample%201/7_0.png"
    assert (task_path / rec["path"]).read_bytes() == b"\x89PNG.."
    [got] = read_media(task_path)
    assert got["title"] == "val/images" and got["series"] == "sample 1" and got["iteration"] == 7
    assert got["caption"] == "a cat" and got["kind"] == "image" and got["ext"] == "png" and got["size"] == 6
    assert got["time"] > 0


def test_same_iteration_gets_distinct_files(task_path):
    mw = MediaWriter(task_path)
    a = mw.add_media("t", "s", 3, data=b"a", ext="wav")
    b = mw.add_media("t", "s", 3, data=b"b", ext="wav")
    assert a["path"] != b["path"]
    assert [r["n"] for r in read_media(task_path, "t", "s")] == [0, 1]
    assert (task_path / b["path"]).read_bytes() == b"b"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 4), st.booleans()), min_size=1, max_size=30))
def test_live_samples_never_share_a_file(tmp_path_factory, ops):
    """Any mix of iterations, history sizes and reopenings: every listed sample has its own file,
    holding its own bytes (names come from a per-iteration counter, not a scan)."""
    path = tmp_path_factory.mktemp("names") / "task"
    mw = MediaWriter(path)
    for k, (iteration, keep, reopen) in enumerate(ops):
        if reopen:
            mw = MediaWriter(path)  # resume: the counters are rebuilt from the index
        mw.add_media("t", "s", iteration, data=str(k).encode(), ext="png", max_history=keep)
    recs = read_media(path, "t", "s")
    assert len({r["path"] for r in recs}) == len(recs)
    assert 1 <= len(recs) <= ops[-1][1]
    assert (path / recs[-1]["path"]).read_bytes() == str(len(ops) - 1).encode()  # the newest survived
    for r in recs:
        assert (path / r["path"]).is_file()
        assert r["path"].rsplit("/", 1)[1] == f'{r["iteration"]}_{r["n"]}.png'
    files = sorted(p.name for p in (path / "media" / "t" / "s").iterdir())
    assert files == sorted(r["path"].rsplit("/", 1)[1] for r in recs)  # retention left nothing behind


def test_retention_deletes_files_and_index_entries(task_path):
    mw = MediaWriter(task_path)
    for i in range(25):
        mw.add_media("t", "s", i, data=bytes([i]), ext="png", max_history=10)
        mw.add_media("t", "other", i, data=b"x", ext="png", max_history=100)
    kept = read_media(task_path, "t", "s")
    assert [r["iteration"] for r in kept] == list(range(15, 25))
    files = sorted((task_path / "media" / "t" / "s").iterdir())
    assert [f.name for f in files] == sorted(f"{i}_0.png" for i in range(15, 25))
    assert len(read_media(task_path, "t", "other")) == 25  # another series keeps its own history
    assert len(read_media(task_path)) == 35


def test_retention_survives_a_new_writer(task_path):
    """A resumed task (new MediaWriter on the same folder) continues the history and numbering."""
    mw = MediaWriter(task_path)
    for i in range(5):
        mw.add_media("t", "s", i, data=b"x", ext="png", max_history=5)
    mw2 = MediaWriter(task_path)
    for i in range(5, 8):
        mw2.add_media("t", "s", i, data=b"y", ext="png", max_history=5)
    assert [r["iteration"] for r in read_media(task_path)] == [3, 4, 5, 6, 7]
    assert len(list((task_path / "media" / "t" / "s").iterdir())) == 5


def test_compaction_keeps_live_records_only(task_path, monkeypatch):
    monkeypatch.setattr(media_writer, "COMPACT_MIN", 8)  # read where compaction runs
    mw = MediaWriter(task_path)
    for i in range(40):
        mw.add_media("t", "s", i, data=b"x", ext="png", max_history=3)
    lines = (task_path / sm.MEDIA_INDEX).read_text().splitlines()
    assert len(lines) < 40  # compacted at least once
    assert [r["iteration"] for r in read_media(task_path)] == [37, 38, 39]
    assert not (task_path / (sm.MEDIA_INDEX + ".tmp")).exists()


def test_torn_last_line_is_skipped(task_path):
    mw = MediaWriter(task_path)
    mw.add_media("t", "s", 1, data=b"x", ext="png")
    with open(task_path / sm.MEDIA_INDEX, "a") as f:
        f.write('{"op":"add","id":99,"title":"t"')  # a crash in the middle of a write
    assert [r["iteration"] for r in read_media(task_path)] == [1]
    mw.add_console([(1.0, "stdout", "info", "ok")])
    with open(task_path / sm.CONSOLE_FILE, "a") as f:
        f.write('{"time": 2.0, "stre')
    assert [r["text"] for r in read_console(task_path)] == ["ok"]


def test_src_path_copy_and_other_local_destination(task_path, tmp_path):
    src = tmp_path / "clip.mp4"
    src.write_bytes(b"MP4DATA")
    dest = tmp_path / "elsewhere"
    mw = MediaWriter(task_path)
    rec = mw.add_media("v", "s", 0, src_path=src, ext="mp4", destination=str(dest))
    assert rec["kind"] == "video"
    stored = dest / task_path.name / "v" / "s" / "0_0.mp4"
    assert rec["path"] == str(stored.resolve()) and stored.read_bytes() == b"MP4DATA"
    assert src.exists()  # the user's file is copied, not moved
    for i in range(1, 4):
        mw.add_media("v", "s", i, src_path=src, ext="mp4", destination=str(dest), max_history=2)
    assert not stored.exists()  # retention also cleans the other folder
    assert len(read_media(task_path)) == 2


def test_fsspec_destination(task_path):
    fsspec = pytest.importorskip("fsspec")
    dest = "memory://ringlog-test-bucket/samples"
    mw = MediaWriter(task_path)
    recs = [mw.add_media("t", "s", i, data=bytes([i]), ext="png", destination=dest, max_history=2)
            for i in range(3)]
    assert recs[2]["uri"] == f"{dest}/{task_path.name}/t/s/2_0.png"
    fs = fsspec.filesystem("memory")
    assert fs.cat(recs[2]["uri"]) == b"\x02"
    assert not fs.exists(recs[0]["uri"])
    assert [r["uri"] for r in read_media(task_path)] == [recs[1]["uri"], recs[2]["uri"]]
    fs.rm("/ringlog-test-bucket", recursive=True)


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"ext": "exe"}, ValueError, "ext: must be one of"),
    ({"ext": 3}, TypeError, "ext: must be a str"),
    ({"max_history": 0}, ValueError, "max_history: must be at least 1"),
    ({"max_history": -5}, ValueError, "(given: -5)"),
    ({"max_history": 2.5}, TypeError, "max_history: must be an int"),
    ({"kind": "movie"}, ValueError, "kind: must be one of"),
])
def test_bad_arguments_name_the_argument(task_path, kwargs, exc, words):
    mw = MediaWriter(task_path)
    with pytest.raises(exc, match=words.replace("(", r"\(").replace(")", r"\)")):
        mw.add_media("t", "s", 0, data=b"x", **kwargs)
    assert read_media(task_path) == []
    assert not (task_path / "media").exists()


def test_plots_round_trip_and_filters(task_path):
    mw = MediaWriter(task_path)
    fig = {"data": [{"type": "scatter", "x": [1, 2], "y": [3.5, float("nan")]}], "layout": {"title": {"text": "t"}}}
    mw.add_plot('odd "title" é', "s", 1, fig)
    mw.add_plot('odd "title" é', "s2", 2, fig)
    mw.add_plot("other", "s", 3, {"data": []}, kind="histogram", data={"bins": [0, 1], "counts": [4]})
    got = read_plots(task_path, 'odd "title" é')
    assert [(r["series"], r["iteration"]) for r in got] == [("s", 1), ("s2", 2)]
    assert got[0]["figure"]["data"][0]["y"] == [3.5, None]  # NaN is stored as null: strict JSON
    assert [r["iteration"] for r in read_plots(task_path, 'odd "title" é', "s2")] == [2]
    [h] = read_plots(task_path, "other")
    assert h["kind"] == "histogram" and h["data"] == {"bins": [0, 1], "counts": [4]}
    assert len(read_plots(task_path)) == 3
    for line in (task_path / sm.PLOTS_FILE).read_text().splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))


def test_read_plots_last(task_path):
    mw = MediaWriter(task_path)
    for i in range(5):
        mw.add_plot("a", "s", i, {"data": []})
        mw.add_plot("b", "s", i * 10, {"data": []})
    assert [(r["title"], r["iteration"]) for r in read_plots(task_path, last=1)] == [("a", 4), ("b", 40)]
    assert [r["iteration"] for r in read_plots(task_path, "a", last=2)] == [3, 4]


def test_plot_figure_with_numpy_is_plain_json(task_path):
    import numpy as np
    mw = MediaWriter(task_path)
    mw.add_plot("t", "s", 0, {"data": [{"y": np.array([1.0, np.inf, 2.0]), "x": np.arange(3)}]})
    [r] = read_plots(task_path)
    assert r["figure"]["data"][0] == {"y": [1.0, None, 2.0], "x": [0, 1, 2]}


def test_console_order_and_cursor(task_path):
    mw = MediaWriter(task_path)
    mw.add_console([(1.0, "stdout", "info", "a"), (2.0, "stderr", "error", "b")])
    mw.add_console([(3.0, "log", "warning", "c")])
    recs = read_console(task_path)
    assert [(r["time"], r["stream"], r["level"], r["text"]) for r in recs] == [
        (1.0, "stdout", "info", "a"), (2.0, "stderr", "error", "b"), (3.0, "log", "warning", "c")]
    assert [r["text"] for r in read_console(task_path, since=2)] == ["c"]
    assert read_console(task_path, since=3) == []


def test_readers_on_a_task_without_media(tmp_path):
    assert read_media(tmp_path) == [] and read_plots(tmp_path) == [] and read_console(tmp_path) == []


def test_safe_name_is_injective_and_contained():
    names = ["a/b", "a_b", "a%2Fb", "..", ".", "", "x" * 500, "x" * 501, "ü", "a b"]
    safe = [sm.safe_name(n) for n in names]
    assert len(set(safe)) == len(names)
    for s in safe:
        assert "/" not in s and s not in (".", "..") and 0 < len(s) <= 120


def test_sync_is_harmless(task_path):
    mw = MediaWriter(task_path)
    mw.sync()  # nothing written yet
    mw.add_plot("t", "s", 0, {"data": []})
    mw.sync()
    assert len(read_plots(task_path)) == 1
    assert math.isfinite(read_plots(task_path)[0]["time"])


def test_console_cursor_across_blocks(task_path):
    """The cursor skips lines by counting newlines in 1 MiB blocks; check lines cut by a block edge."""
    mw = MediaWriter(task_path)
    text = "x" * 997
    n = 3000  # ~3 MiB: several blocks, lines straddle their edges
    mw.add_console([(float(i), "stdout", "info", f"{i}:{text}") for i in range(n)])
    for since in (0, 1, 1040, 1041, 2100, n - 1, n, n + 5):
        recs = read_console(task_path, since=since, limit=3)
        want = list(range(since, min(n, since + 3)))
        assert [int(r["text"].split(":")[0]) for r in recs] == want, since
    assert len(read_console(task_path, since=10)) == n - 10


def test_iteration_accepts_numpy_ints_only(task_path):
    import numpy as np
    mw = MediaWriter(task_path)
    mw.add_media("t", "s", np.int64(4), data=b"x", ext="png")
    mw.add_plot("t", "s", np.int32(5), {"data": []})
    assert read_media(task_path)[0]["iteration"] == 4 and read_plots(task_path)[0]["iteration"] == 5
    for bad in (1.5, True, "3"):
        with pytest.raises(TypeError, match="iteration: must be an int"):
            mw.add_plot("t", "s", bad, {"data": []})


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b/c"]), st.integers(0, 5), st.integers(1, 4)), max_size=40),
       st.booleans())
def test_retention_matches_a_reference_model(tmp_path_factory, calls, reopen):
    """Any sequence of adds (series, iteration, history) keeps exactly what a deque model keeps, on disk too."""
    task = tmp_path_factory.mktemp("task")
    mw = MediaWriter(task)
    model: dict = {}
    for k, (series, iteration, keep) in enumerate(calls):
        if reopen and k == len(calls) // 2:
            mw = MediaWriter(task)  # a resumed writer rebuilds its state from the index
        mw.add_media("t", series, iteration, data=str(k).encode(), ext="png", max_history=keep)
        q = model.setdefault(series, [])
        q.append((iteration, str(k).encode()))
        del q[:-keep]
    for series, q in model.items():
        got = read_media(task, "t", series)
        assert [r["iteration"] for r in got] == [it for it, _ in q]
        assert [(task / r["path"]).read_bytes() for r in got] == [data for _, data in q]
        folder = task / "media" / "t" / sm.safe_name(series)
        assert len(list(folder.iterdir())) == len(q)  # no file left behind
