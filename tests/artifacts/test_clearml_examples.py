"""ClearML's artifact and model examples (``examples/reporting/artifacts.py``,
``using_artifacts_example.py``, ``model_reporting.py``, ``model_reporting_plots.py`` of clearml/clearml)
as scripts of our own making the same calls, differing only in the import lines; each runs as a user
runs it: its own process, default ``Task.init`` (capture on), no ``close()``. Their inputs (two JPEGs
and a text file in ``data_samples/``) are made here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ringlog.clearml.models import Model
from ringlog.clearml.readapi import TaskView
from ringlog.store import Store

EXAMPLES = Path(__file__).parent / "clearml_examples"


def _run(name: str, work: Path, root: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, RINGLOG_DIR=str(root), PYTHONWARNINGS="default", MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, name], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stderr[-3000:]}"
    assert "Warning" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    work = tmp_path_factory.mktemp("clearml-artifact-examples")
    shutil.copytree(EXAMPLES, work, dirs_exist_ok=True)
    data = work / "data_samples"
    data.mkdir()
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(data / "dancing.jpg")
    Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(data / "picture.jpg")
    (data / "notes.txt").write_text("sample notes\n")
    return work


def _view(root: Path, name: str) -> TaskView:
    store = Store(root)
    [row] = [r for r in store.tasks() if r["name"] == name]
    return TaskView(store.task(row["id"]))


def test_artifacts_then_using_artifacts(work, tmp_path):
    root = tmp_path / "store"
    _run("artifacts.py", work, root)
    proc = _run("using_artifacts_example.py", work, root)
    made = _view(root, "artifacts example")
    assert made.status == "completed"
    arts = made.artifacts
    assert sorted(arts) == sorted(["train", "Pandas", "local file", "dictionary", "Numpy Eye", "pillow_image",
                                   "local folder", "wildcard jpegs"])
    assert arts["train"].metadata == {"counting": "legs", "max legs": 69}
    assert arts["train"].get().loc["spider", "num_legs"] == 8
    assert np.array_equal(arts["Numpy Eye"].get(), np.eye(100))
    assert arts["dictionary"].get()["num_legs"] == {"dog": 4, "falcon": 2, "fish": 0, "spider": 8}
    assert arts["pillow_image"].get().size == (64, 48) and arts["pillow_image"].type == "image"
    assert sorted(f["path"] for f in arts["local folder"].files) == ["dancing.jpg", "notes.txt", "picture.jpg"]
    assert sorted(f["path"] for f in arts["wildcard jpegs"].files) == ["dancing.jpg", "picture.jpg"]
    assert Path(arts["local file"].get_local_copy()).read_bytes() == (work / "data_samples" / "dancing.jpg").read_bytes()
    # the same JPEG, stored by three artifacts, is one blob
    blobs = [p for p in (root / ".artifacts" / "blobs").rglob("*") if p.is_file()]
    digests = [f["sha256"] for a in arts.values() for f in a.files]
    assert len(blobs) == len(set(digests)) < len(digests)
    out = proc.stdout
    assert "numpy_artifact is:\n[[1. 0. 0. ..." in out and "spider" in out and "df_artifact_as_gz path is" in out
    console = "".join(str(r.get("text", r)) for r in _view(root, "use artifacts example").reader.console())
    assert "read 8 artifacts" in console


def test_model_reporting(work, tmp_path):
    root = tmp_path / "store"
    _run("model_reporting.py", work, root)
    view = _view(root, "Model reporting example")
    [m0, m1] = sorted(view.models["output"], key=lambda m: m.version)
    assert (m0.version, m0.url) == ("v0", "https://github.com/ultralytics/yolov5/releases/download/v6.2/yolov5x6.pt")
    assert m1.labels == {"background": 0, "cat": 1, "dog": 2}
    assert Path(m1.get_local_copy()).read_bytes() == bytes(range(256)) * 64
    assert (work / "my_model.onnx").exists()  # the user's file is kept
    [q] = Model.query_models(project_name="examples", dir=str(root))
    assert q.version == "v1" and q.name == "Model reporting example"


def test_model_reporting_plots(work, tmp_path):
    root = tmp_path / "store"
    _run("model_reporting_plots.py", work, root)
    view = _view(root, "Model reporting plots example")
    assert [m.url for m in view.models["output"]] == \
        ["https://github.com/ultralytics/yolov5/releases/download/v6.2/yolov5x6.pt"]
    sc = view.get_reported_scalars()
    assert sc["Reported Metrics"]["Val - mAP@50"]["y"] == [72.7]
    plots = {(p["metric"], p["variant"]) for p in view.get_reported_plots()}
    assert ("Summary Table", "Comparison") in plots and any(t == "Accuracy" for t, _ in plots)
