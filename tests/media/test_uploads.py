"""Debug samples sent to a remote (fsspec) destination go through the run's uploads thread:
the logging call returns before the upload ends, flush/finish wait for it, and a failing
destination costs a warning, never the training loop or data already logged."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

import ringlog
from ringlog._engine import context, lifecycle
from ringlog.errors import LoggingError, LoggingWarning
from ringlog._engine.uploads import Uploads

fsspec = pytest.importorskip("fsspec")
from fsspec.implementations.memory import MemoryFileSystem  # noqa: E402

GATE = threading.Event()


class GatedFS(MemoryFileSystem):
    """An in-memory bucket whose writes wait for GATE (a slow network, under the test's control)."""

    protocol = "gated"
    store: dict = {}
    pseudo_dirs = [""]

    def _open(self, path, mode="rb", **kwargs):
        if "w" in mode:
            assert GATE.wait(30), "the test never opened the gate"
        return super()._open(path, mode, **kwargs)


class BrokenFS(MemoryFileSystem):
    protocol = "broken"
    store: dict = {}
    pseudo_dirs = [""]

    def _open(self, path, mode="rb", **kwargs):
        if "w" in mode:
            raise OSError("bucket unreachable")
        return super()._open(path, mode, **kwargs)


fsspec.register_implementation("gated", GatedFS, clobber=True)
fsspec.register_implementation("broken", BrokenFS, clobber=True)


@pytest.fixture(autouse=True)
def _clean():
    GATE.clear()
    GatedFS.store.clear()
    yield
    GATE.set()
    for core in lifecycle.open_runs():
        core.finish("aborted")
    context.set_current(None)


def _settings(**kw):
    return ringlog.Settings(flush_interval=0.05, capture=False, handle_signals=False, finish_timeout=30, **kw)


def _media(root, task_id):
    from ringlog.store import Store

    return Store(root).task(task_id).media()


def test_report_returns_before_the_upload_and_flush_waits_for_it(store_root):
    task = ringlog.Task.init(project_name="up", task_name="gated", dir=str(store_root), settings=_settings())
    lg = task.get_logger()
    lg.set_default_upload_destination("gated://bucket/samples")
    lg.report_scalar("loss", "train", 0.5, 0)
    rec = lg.report_image("img", "s", iteration=3, image=np.zeros((4, 4, 3), np.uint8))
    # the gate is shut, so the upload cannot have happened: the call did not wait for it
    assert rec["queued"] and rec["uri"] == f"gated://bucket/samples/{task.id}/img/s/3_0.png" and rec["size"] > 0
    assert task._core.outputs.uploads.pending() == 1
    again = lg.report_image("img", "s", iteration=3, image=np.ones((4, 4, 3), np.uint8))
    assert again["uri"].endswith("/3_1.png")   # the queued sample's name stays reserved
    lg.report_scalar("loss", "train", 0.4, 1)  # training goes on meanwhile
    lg.report_text("still logging")            # and the writer lock is free during the upload
    task.flush()                               # ClearML's default: scalars only, uploads keep going
    assert _media(store_root, task.id) == [] and task._core.outputs.uploads.pending() == 2
    GATE.set()
    assert task.flush(wait_for_uploads=True)
    stored = _media(store_root, task.id)
    assert [(r["uri"], r["size"]) for r in stored] == [(rec["uri"], rec["size"]), (again["uri"], again["size"])]
    assert fsspec.filesystem("gated").cat(stored[0]["uri"])[:8] == b"\x89PNG\r\n\x1a\n"
    task.close()


def test_close_waits_for_queued_uploads(store_root):
    task = ringlog.Task.init(project_name="up", task_name="close", dir=str(store_root), settings=_settings())
    lg = task.get_logger()
    lg.set_default_upload_destination("gated://bucket/w")
    for step in range(3):
        lg.report_image("sample", "s", iteration=step, image=np.full((2, 2), step, np.uint8))
        lg.report_scalar("loss", "train", 1.0 / (step + 1), step)
    assert task._core.outputs.uploads.pending() == 3
    threading.Timer(0.2, GATE.set).start()
    task.close()
    stored = _media(store_root, task.id)
    assert [r["iteration"] for r in stored] == [0, 1, 2]
    assert all(r["uri"].startswith("gated://bucket/w/") for r in stored)


def test_local_file_is_read_at_call_time(store_root, tmp_path):
    task = ringlog.Task.init(project_name="up", task_name="file", dir=str(store_root), settings=_settings())
    lg = task.get_logger()
    lg.set_default_upload_destination("gated://bucket/f")
    clip = tmp_path / "clip.wav"
    clip.write_bytes(b"RIFF-first")
    lg.report_media("audio", "a", iteration=0, local_path=str(clip), delete_after_upload=True)
    assert not clip.exists()                  # deleted at once: the queue holds the bytes
    clip.write_bytes(b"RIFF-second")          # a training loop reusing its temp file
    lg.report_media("audio", "a", iteration=1, local_path=str(clip))
    GATE.set()
    task.close()
    got = [fsspec.filesystem("gated").cat(r["uri"]) for r in _media(store_root, task.id)]
    assert got == [b"RIFF-first", b"RIFF-second"]


def test_failed_upload_warns_once_and_loses_nothing_logged(store_root):
    task = ringlog.Task.init(project_name="up", task_name="broken", dir=str(store_root), settings=_settings())
    lg = task.get_logger()
    lg.set_default_upload_destination("broken://bucket")
    with pytest.warns(LoggingWarning, match="could not upload a image sample .*bucket unreachable") as seen:
        for i in range(3):
            lg.report_scalar("loss", "train", float(i), i)
            lg.report_image("img", "s", iteration=i, image=np.zeros((2, 2)))
        assert lg.flush(wait=True)
    assert sum("could not upload" in str(w.message) for w in seen) == 1
    assert task._core.stats()["upload_failed"] == 3
    task.close()
    from ringlog.store import Store

    r = Store(store_root).task(task.id)
    assert list(r.scalar("loss", "train").value) == [0.0, 1.0, 2.0] and r.media() == []
    assert r.info["status"] == "completed"


def test_strict_mode_raises_the_failure_at_the_next_flush(store_root):
    task = ringlog.Task.init(project_name="up", task_name="strict", dir=str(store_root),
                             settings=_settings(strict=True))
    lg = task.get_logger()
    lg.set_default_upload_destination("broken://bucket")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LoggingWarning)
        lg.report_image("img", "s", iteration=0, image=np.zeros((2, 2)))  # queued: cannot raise here
        with pytest.raises(LoggingError, match="upload: a debug sample could not be stored at 'broken://bucket'"):
            lg.flush(wait=True)
        assert lg.flush(wait=True)                    # raised once, not forever
    task.close()


def test_the_queue_is_bounded_by_bytes():
    class Core:
        def warn_once(self, kind, message):
            raise AssertionError(message)

    gate = threading.Event()
    done = []
    up = Uploads(Core(), max_bytes=100)
    up.submit(60, "image", lambda: (gate.wait(30), done.append(1)))
    t = threading.Thread(target=up.submit, args=(60, "image", lambda: done.append(2)))
    t.start()
    t.join(0.3)
    assert t.is_alive() and up.pending() == 1   # 60 + 60 > 100: the second call waits
    gate.set()
    t.join(10)
    assert not t.is_alive() and up.close(10) and done == [1, 2] and up.waits >= 1
    up2 = Uploads(Core(), max_bytes=10)
    up2.submit(1000, "video", lambda: done.append(3))  # one sample larger than the bound still goes
    assert up2.close(10) and done[-1] == 3
