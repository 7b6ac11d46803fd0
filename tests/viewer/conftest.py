"""Viewer fixtures: an app over a populated store, and Flask's test client.

``fake`` is an in-memory store that follows the Store contract (fakestore.py, loaded by path
because pytest runs with --import-mode=importlib). ``real_store`` (in test_real_store.py)
writes through ringlog.store's TaskWriter.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest


def _load(name: str):
    key = f"ringlog_viewer_tests_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, Path(__file__).with_name(f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[key] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def fakestore():
    return _load("fakestore")


@pytest.fixture
def fake(tmp_path, fakestore):
    fs = fakestore
    st = fs.FakeStore(tmp_path / "store")
    t = st.add("vision", "resnet <b>50</b>", task_id="a" * 32, tags=("baseline", "gpu"),
               config={"lr": 0.1, "optim": {"name": "sgd", "momentum": 0.9}},
               summary={"loss": 0.25, "acc": 0.91},
               env={"argv": ["train.py", "--lr", "0.1", "--name", "a b"], "host": "box1", "python": "3.11.9",
                    "git": {"branch": "main", "commit": "abc123", "diff": "--- a\n+++ b\n+<script>x</script>"},
                    "packages": ["numpy==2.0.0", "torch==2.3.0"]})
    t.scalars[("loss", "loss")] = fs.series(50_000, seed=1, nan_at=(100,), inf_at=(200,), spike_at=30_000)
    t.scalars[("train/acc", "train/acc")] = fs.series(300, seed=2)
    t.scalars[("lr", "group0")] = fs.series(1000, seed=3)
    t.scalars[("lr", "group1")] = fs.series(1000, seed=4)
    img = t.path / "media" / "img_00000005.png"
    img.parent.mkdir(parents=True)
    img.write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (t.path / "media" / "page.html").write_text("<p>hi</p><script>1</script>")
    t.media_records += [
        {"title": "samples", "series": "input", "iteration": 5, "path": "media/img_00000005.png",
         "caption": "a <cat>", "kind": "image", "ext": "png", "time": 1.7e9},
        {"title": "samples", "series": "page", "iteration": 1, "path": "media/page.html",
         "caption": None, "kind": "html", "ext": "html", "time": 1.7e9},
        {"title": "remote", "series": "x", "iteration": 1, "uri": "s3://bucket/a.png",
         "caption": None, "kind": "image", "ext": "png", "time": 1.7e9},
    ]
    t.plot_records += [
        {"title": "hist", "series": "w", "iteration": i, "time": 1.7e9,
         "figure": {"data": [{"type": "bar", "x": [0, 1, 2], "y": [i, 2 * i, 1]}], "layout": {}}}
        for i in range(3)
    ]
    t.plot_records += [
        {"title": "weights", "series": "fc1", "iteration": i, "time": 1.7e9, "kind": "histogram",
         "data": {"bins": [i, i + 1.0, i + 2.0], "counts": [3, 4]},
         "figure": {"data": [{"type": "bar", "x": [i + 0.5, i + 1.5], "y": [3, 4]}]}}
        for i in range(4)
    ] + [{"title": "preds", "series": "table", "iteration": 7, "time": 1.7e9, "kind": "table",
          "data": {"columns": ["id", "label <b>"], "data": [[1, "<i>cat</i>"], [2, "dog"]]},
          "figure": {"data": [{"type": "table"}]}}]
    t.console_records += [{"time": 1.7e9 + i, "stream": "stdout", "level": "info", "text": f"line {i}"}
                          for i in range(10)]
    st.add("vision", "other", task_id="b" * 32, status="running", summary={"loss": 0.5}, config={"lr": 0.01})
    st.add("nlp", "bert", task_id="c" * 32, status="failed", summary={"loss": 1.5}, tags=("baseline",))
    return st


@pytest.fixture
def app(fake):
    from ringlog.viewer import create_app

    return create_app(fake.root, config={"RINGLOG_STORE": fake, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


def arr(values):
    return np.asarray([np.nan if v is None else v for v in values], dtype=np.float64)
