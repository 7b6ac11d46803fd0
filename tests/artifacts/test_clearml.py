"""ClearML's artifact and model API: upload_artifact per object kind, register_artifact, artifacts[name],
OutputModel / InputModel / task.models, read back from a fresh Task.get_task."""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ringlog import Task
from ringlog.artifacts.serialize import has_pyarrow
from ringlog.clearml.models import InputModel, Model, OutputModel
from ringlog.errors import LoggingTypeError, LoggingValueError, LoggingWarning
from ringlog.store.artifacts import ArtifactStore


@pytest.fixture
def task(store_root):
    t = Task.init(project_name="arts", task_name="producer", dir=str(store_root), auto_connect_frameworks=False,
                  auto_resource_monitoring=False, auto_connect_streams=False)
    yield t
    t.close()


class Unknown:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return isinstance(other, Unknown) and other.v == self.v


def test_each_object_kind_round_trips(task, tmp_path):
    df = pd.DataFrame({"legs": [2, 4, 8], "wings": [2.5, 0.0, float("nan")]}, index=["falcon", "dog", "spider"])
    img = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
    arr = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    (tmp_path / "folder" / "sub").mkdir(parents=True)
    (tmp_path / "folder" / "a.txt").write_text("alpha")
    (tmp_path / "folder" / "sub" / "b.jpg").write_bytes(b"\xff\xd8jpeg")
    (tmp_path / "folder" / "c.jpg").write_bytes(b"\xff\xd8other")
    ok = [task.upload_artifact("df", df, metadata={"rows": 3, "when": object()}),
          task.upload_artifact("arr", arr),
          task.upload_artifact("dict", {"b": 1, "a": [1, 2.5, None]}),
          task.upload_artifact("list", [1, "two"]),
          task.upload_artifact("img", img),
          task.upload_artifact("file", str(tmp_path / "folder" / "a.txt")),
          task.upload_artifact("folder", tmp_path / "folder"),
          task.upload_artifact("jpgs", str(tmp_path / "folder" / "**" / "*.jpg")),
          task.upload_artifact("obj", Unknown(7)),
          task.upload_artifact("as str", Unknown(8), auto_pickle=False),
          task.upload_artifact("ref", "s3://bucket/data/x.bin")]
    assert all(ok)
    arts = Task.get_task(task_id=task.id).artifacts  # a fresh read, as another process would
    assert sorted(arts) == sorted(["df", "arr", "dict", "list", "img", "file", "folder", "jpgs", "obj", "as str", "ref"])
    back = arts["df"].get()
    pd.testing.assert_frame_equal(back, df, check_names=False)
    assert arts["df"].metadata["rows"] == 3 and arts["df"].metadata["when"].startswith("<object object")
    assert "falcon" in arts["df"].preview and arts["df"].type == "pandas"
    fmt = arts["df"]._m["format"]
    if has_pyarrow():
        assert fmt == "parquet" and arts["df"].get_local_copy().endswith("df.parquet")
    else:  # pandas-only install: csv.gz, as ClearML's default
        assert fmt == "csv.gz"
        with gzip.open(arts["df"].get_local_copy()) as f:
            assert f.read().startswith(b",legs,wings\nfalcon,2,2.5")
    assert np.array_equal(arts["arr"].get(), arr) and arts["arr"].get().dtype == np.float32
    assert arts["arr"].get_local_copy().endswith("arr.npz")
    assert arts["dict"].get() == {"a": [1, 2.5, None], "b": 1} and arts["list"].get() == [1, "two"]
    assert np.array_equal(np.asarray(arts["img"].get()), np.asarray(img))
    assert Path(arts["file"].get()).read_text() == "alpha"
    folder = arts["folder"].get_local_copy()
    assert (Path(folder) / "sub" / "b.jpg").read_bytes() == b"\xff\xd8jpeg"
    assert sorted(f["path"] for f in arts["jpgs"].files) == ["c.jpg", "sub/b.jpg"]
    assert arts["obj"].get() == Unknown(7) and arts["obj"]._m["pickled"] is True and arts["obj"].type == "pickle"
    assert arts["as str"].get().startswith("<test_clearml.Unknown") or "Unknown" in arts["as str"].get()
    assert arts["ref"].get() == "s3://bucket/data/x.bin" and arts["ref"].url == "s3://bucket/data/x.bin"
    assert arts["ref"].files == []  # a reference is recorded, never fetched


def test_same_object_twice_makes_no_new_version_a_change_does(task):
    task.upload_artifact("cfg", {"lr": 0.1})
    task.upload_artifact("cfg", {"lr": 0.1})
    assert [a.version for a in task.artifacts["cfg"].versions] == ["v0"]
    task.upload_artifact("cfg", {"lr": 0.2})
    assert [a.version for a in task.artifacts["cfg"].versions] == ["v0", "v1"]
    assert task.artifacts["cfg"].get() == {"lr": 0.2}
    arr = np.arange(10.0)
    task.upload_artifact("a", arr)
    task.upload_artifact("a", arr.copy())  # npz bytes are deterministic (fixed zip times)
    assert len(task.artifacts["a"].versions) == 1


def test_register_artifact_uploads_changes_at_flush_and_close(store_root):
    t = Task.init(project_name="arts", task_name="reg", dir=str(store_root), auto_resource_monitoring=False)
    df = pd.DataFrame({"x": [1, 2]})
    t.register_artifact("train", df, metadata={"counting": "legs"})
    assert t.get_registered_artifacts()["train"] is df
    t.flush()
    assert len(t.artifacts["train"].versions) == 1  # unchanged: no new version
    df.loc[2] = [3]
    t.flush()
    assert t.artifacts["train"].get()["x"].tolist() == [1, 2, 3]
    df.loc[3] = [4]
    tid = t.id
    t.close()
    view = Task.get_task(task_id=tid, dir=str(store_root))
    assert [a.version for a in view.artifacts["train"].versions] == ["v0", "v1", "v2"]
    assert view.artifacts["train"].get()["x"].tolist() == [1, 2, 3, 4]
    assert view.artifacts["train"].metadata == {"counting": "legs"}


def test_bad_input_warns_once_and_strict_raises(task, store_root):
    with pytest.warns(LoggingWarning, match="name: must be a non-empty str of at most 256"):
        assert task.upload_artifact("", 1) is False
    with pytest.warns(LoggingWarning, match="artifact_object: '/no/such/file' is no existing file"):
        assert task.upload_artifact("x", "/no/such/file") is False
    with pytest.warns(LoggingWarning, match="artifact: must be a pandas DataFrame"):
        task.register_artifact("r", [1, 2])
    with pytest.warns(LoggingWarning, match="metadata: must be a dict"):
        assert task.upload_artifact("m", 1, metadata=[1]) is False
    assert list(task.artifacts) == []
    task.close()
    s = Task.init(project_name="arts", task_name="strict", dir=str(store_root), strict=True,
                  auto_resource_monitoring=False)
    try:
        with pytest.raises(LoggingValueError, match="wildcard '/none/\\*.jpg' matches no file"):
            s.upload_artifact("w", "/none/*.jpg")
        with pytest.raises(LoggingTypeError, match="name"):
            s.upload_artifact(3, 1)
    finally:
        s.close()


def test_a_full_disk_warns_and_the_run_goes_on(task, monkeypatch):
    from ringlog.store import artifacts_blobs

    def full(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(artifacts_blobs.LocalBlobs, "put_bytes", full)
    with pytest.warns(LoggingWarning, match="artifact 'd' could not be stored.*No space left"):
        assert task.upload_artifact("d", {"a": 1}) is False
    task.get_logger().report_scalar("loss", "train", 1.0, 0)  # the task is fine


def test_pickle_is_flagged_and_an_unpicklable_object_is_refused(task):
    task.upload_artifact("p", {"set": {1, 2}})  # not JSON: pickled, flagged
    a = task.artifacts["p"]
    assert a.type == "pickle" and a.get() == {"set": {1, 2}} and "not JSON" in a._m["note"]
    with pytest.warns(LoggingWarning, match="cannot be pickled"):
        assert task.upload_artifact("lam", lambda x: x) is False
    assert pickle.loads(Path(a.get_local_copy()).read_bytes()) == {"set": {1, 2}}


def test_models_output_input_and_lineage(store_root, tmp_path):
    w = tmp_path / "model.pt"
    w.write_bytes(b"weights-1" * 1000)
    t = Task.init(project_name="models", task_name="train", dir=str(store_root), auto_resource_monitoring=False)
    om = OutputModel(task=t, framework="PyTorch", label_enumeration={"cat": 1})
    om.update_labels({"background": 0, "cat": 1, "dog": 2})
    url = om.update_weights(weights_filename=str(w), iteration=5)
    assert url.startswith("ringlog-artifact://") and om.version == "v0" and w.exists()  # the user's file is kept
    om.set_metadata("accuracy", 0.93)
    om.update_weights(str(w))  # same bytes: no new version
    w.write_bytes(b"weights-2" * 1000)
    om.update_weights(str(w))
    om.publish()
    om.tags = ["best"]
    om.report_scalar("Reported Metrics", "mAP", 72.7, 0)  # goes to the task's logger
    ref = OutputModel(task=t, name="registered")
    ref.update_weights(register_uri="https://example.com/yolo.pt")
    tid, mid = t.id, om.id
    t.close()

    u = Task.init(project_name="models", task_name="use", dir=str(store_root), auto_resource_monitoring=False)
    im = InputModel(model_id=mid, dir=str(store_root))
    assert (im.name, im.version, im.framework, im.published, im.tags) == ("train", "v1", "PyTorch", True, ["best"])
    assert im.labels == {"background": 0, "cat": 1, "dog": 2} and im.get_metadata("accuracy") == "0.93"
    assert Path(im.get_local_copy()).read_bytes() == b"weights-2" * 1000
    im.connect(u)
    uid = u.id
    u.close()
    view = Task.get_task(task_id=tid, dir=str(store_root))
    assert sorted((m.name, m.version) for m in view.models["output"]) == [("registered", "v0"), ("train", "v0"),
                                                                          ("train", "v1")]
    assert [(m.name, m.version) for m in Task.get_task(task_id=uid, dir=str(store_root)).models["input"]] \
        == [("train", "v1")]
    assert "Reported Metrics" in view.get_reported_scalars()
    reg = Model.query_models(project_name="models", model_name="registered", dir=str(store_root))[0]
    assert reg.url == "https://example.com/yolo.pt" and reg.get_local_copy() == "https://example.com/yolo.pt"
    a = ArtifactStore(store_root)
    [v0, v1] = a.versions(im._manifest["scope"], "train")
    assert (v0["producer"], v1["producer"], v1["consumers"], v1["aliases"]) == (tid, tid, [uid], ["latest", "published"])
    assert [m.name for m in Model.query_models(project_name="models", only_published=True, dir=str(store_root))] \
        == ["train"]


_REGISTER_SCRIPT = """
import pandas as pd
from ringlog import Task
task = Task.init(project_name="arts", task_name="script")
df = pd.DataFrame({"x": [1.5, 2.5]})
task.register_artifact("live", df)
df.loc[2] = [3.5]     # changed after registering, then the script just ends: no flush, no close
print(task.id)
"""


def test_registered_frame_changed_before_a_plain_exit_is_stored(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, RINGLOG_DIR=str(tmp_path / "root"))
    proc = subprocess.run([sys.executable, "-c", _REGISTER_SCRIPT], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    view = Task.get_task(task_id=proc.stdout.split()[-1], dir=str(tmp_path / "root"))
    assert view.status == "completed"
    assert view.artifacts["live"].get()["x"].tolist() == [1.5, 2.5, 3.5]
    assert [a.version for a in view.artifacts["live"].versions] == ["v0", "v1"]
