"""Viewer fixtures: an app over a real store built with ``ringlog.store.testing``, and Flask's client.

``store`` holds three tasks: A (vision, completed, every kind of data), B (vision, running, no
scalars yet) and C (nlp, failed). A and B keep their writers open (``live``), so a test can log
into them while the viewer serves them, as a training run would.
"""

from __future__ import annotations

import pytest

from ringlog.store.testing import Plot, html, image, make_store, noisy_series, remote, write_task

A, B, C = "a" * 32, "b" * 32, "c" * 32
T0 = 1.7e9  # the tasks start when their points do (noisy_series starts at 1.7e9 unix seconds)


@pytest.fixture
def live(tmp_path):
    """``{task id: open TaskWriter}`` for A and B, closed at teardown; ``live["store"]`` is the Store."""
    st = make_store(tmp_path / "store")
    a = write_task(
        st, "vision", "resnet <b>50</b>", task_id=A, tags=("baseline", "gpu"), close=False,
        created=T0, updated=T0 + 60,
        config={"lr": 0.1, "optim": {"name": "sgd", "momentum": 0.9}}, summary={"loss": 0.25, "acc": 0.91},
        env={"argv": ["train.py", "--lr", "0.1", "--name", "a b"], "host": "box1", "python": "3.11.9",
             "git": {"branch": "main", "commit": "abc123", "diff": "--- a\n+++ b\n+<script>x</script>"},
             "packages": ["numpy==2.0.0", "torch==2.3.0"]},
        scalars={"loss": noisy_series(50_000, seed=1, nan_at=(100,), inf_at=(200,), spike_at=30_000),
                 "train/acc": noisy_series(300, seed=2), ("lr", "group0"): noisy_series(1000, seed=3),
                 ("lr", "group1"): noisy_series(1000, seed=4)},
        media=[image("samples", "input", 5, caption="a <cat>"),
               html("samples", "page", 1, "<p>hi</p><script>1</script>"),
               remote("remote", "x", 1, "s3://bucket/a.png")],
        plots=[Plot("hist", "w", i, {"data": [{"type": "bar", "x": [0, 1, 2], "y": [i, 2 * i, 1]}], "layout": {}})
               for i in range(3)]
        + [Plot("weights", "fc1", i, {"data": [{"type": "bar", "x": [i + 0.5, i + 1.5], "y": [3, 4]}]},
                kind="histogram", data={"bins": [i, i + 1.0, i + 2.0], "counts": [3, 4]}) for i in range(4)]
        + [Plot("preds", "table", 7, {"data": [{"type": "table"}]}, kind="table",
                data={"columns": ["id", "label <b>"], "data": [[1, "<i>cat</i>"], [2, "dog"]]})],
        console=[(1.7e9 + i, "stdout", "info", f"line {i}") for i in range(10)])
    b = write_task(st, "vision", "other", task_id=B, status="running", summary={"loss": 0.5}, config={"lr": 0.01},
                   close=False, created=T0 + 1, updated=T0 + 61)
    write_task(st, "nlp", "bert", task_id=C, status="failed", summary={"loss": 1.5}, tags=("baseline",),
               created=T0 + 2, updated=T0 + 62)
    writers = {"store": st, A: a, B: b}
    yield writers
    a.close(status="completed")
    b.close(status="running")


@pytest.fixture
def store(live):
    return live["store"]


@pytest.fixture
def app(store):
    from ringlog.viewer import create_app

    return create_app(store.root, config={"RINGLOG_STORE": store, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def pw():
    """tests/viewer/pw.py (``pw.browser_page(app, ...)``: a served app and one chromium page), loaded
    by file path once (tests/viewer is not a package); the browser tests share it from here."""
    import importlib.util
    import sys
    from pathlib import Path

    key = "ringlog_viewer_tests_pw"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, Path(__file__).with_name("pw.py"))
        sys.modules[key] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[key])
    return sys.modules[key]
