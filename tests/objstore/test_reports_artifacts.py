"""Reports, artifacts and models of both SDK flavours on an ``s3://`` root reach the bucket and are
read back from it (a fresh read cache: nothing comes from the writer's spool) by the store's
readers and the viewer's report page, artifact listing and file download."""

from __future__ import annotations

import numpy as np
import pytest

import ringlog
from ringlog.store import Store
from ringlog.store.objstore.artifacts import BucketArtifacts, SpoolArtifacts
from ringlog.store.objstore.client import Client
from ringlog.store.objstore.reports import BucketReports, open_reports
from ringlog.store.reports import ReportVersionConflictError


def _fresh_reader(monkeypatch, tmp_path, name):
    monkeypatch.setenv("RINGLOG_CACHE", str(tmp_path / name))  # another machine's read cache


def test_both_flavours_reports_artifacts_models_reach_the_bucket(s3_url, fast, monkeypatch, tmp_path):
    from ringlog import Task
    from ringlog.clearml.models import OutputModel

    run = ringlog.init(project="team", name="w", dir=s3_url, settings=fast)
    ringlog.log({"loss": 0.5}, step=0)
    rep = ringlog.Report.create(name="Sweep", project="team", markdown="# r\n" + ringlog.Report.embed("scalar", [run.id]))
    art = ringlog.Artifact("tbl", type="dataset")
    with art.new_file("a.txt") as f:
        f.write("hello bucket")
    run.log_artifact(art, aliases=["best"])
    ringlog.finish()
    assert Client(s3_url).head(f".reports/{rep.id}/report.json") is not None

    task = Task.init(project_name="team", task_name="c", dir=s3_url, settings=fast)
    task.get_logger().report_scalar("loss", "train", value=0.25, iteration=0)
    task.upload_artifact("stats", {"acc": 0.9})
    (tmp_path / "w.pt").write_bytes(b"weights" * 50)
    om = OutputModel(task=task, framework="PyTorch")
    om.update_weights(str(tmp_path / "w.pt"))
    rep2 = ringlog.Report.create(name="ClearML notes", project="team", markdown="from clearml")
    task.close()

    _fresh_reader(monkeypatch, tmp_path, "cache2")
    reports = open_reports(s3_url)
    assert isinstance(reports, BucketReports)
    assert sorted(d["name"] for d in reports.list()) == ["ClearML notes", "Sweep"]
    arts = BucketArtifacts(s3_url)
    latest = {m["name"]: m for m in arts.latest("p-team")}
    w = latest["tbl"]
    assert (w["name"], w["aliases"]) == ("tbl", ["best", "latest"])
    with arts.open_file(w, "a.txt") as fh:
        assert fh.read() == b"hello bucket"
    names = {m["name"]: m for m in arts.latest(f"t-{task.id}")}
    assert "stats" in names
    (model,) = [m for m in latest.values() if m.get("type") == "model"]  # ClearML's OutputModel
    assert arts.blob_path(model["files"][0]["sha256"]).read_bytes() == b"weights" * 50

    from ringlog.viewer import create_app

    client = create_app(config={"RINGLOG_STORE": Store(s3_url), "TESTING": True}).test_client()
    page = client.get(f"/reports/{rep.id}")
    assert page.status_code == 200 and "Sweep" in page.get_data(as_text=True)
    assert client.get(f"/api/reports/{rep2.id}").get_json()["markdown"] == "from clearml"
    listing = client.get(f"/api/tasks/{run.id}/artifacts").get_json()
    assert [a["name"] for a in listing["produced"]] == ["tbl"]
    got = client.get("/artifact/file", query_string={"scope": w["scope"], "name": "tbl", "version": "v0",
                                                     "path": "a.txt"})
    assert got.status_code == 200 and got.data == b"hello bucket"
    got.close()
    assert [a["name"] for a in client.get(f"/api/tasks/{task.id}/artifacts").get_json()["artifacts"]] == ["stats"]


def test_a_report_edited_in_the_viewer_is_written_to_the_bucket(s3_url, monkeypatch, tmp_path):
    made = ringlog.Report.create(name="R", project="p", markdown="v1", root=s3_url)
    _fresh_reader(monkeypatch, tmp_path, "viewer-cache")
    other = open_reports(s3_url)
    doc = other.update(made.id, version=1, markdown="v2 from the viewer")
    assert doc["version"] == 2
    with pytest.raises(ReportVersionConflictError):
        made.update("stale edit")  # checked against the bucket's copy, not the writer's local one
    assert ringlog.Report.get(made.id, root=s3_url).markdown == "v2 from the viewer"
    other.archive(made.id)
    other.delete(made.id)
    assert not any(e.key.startswith(f".reports/{made.id}/") for e in Client(s3_url).list(".reports/"))
    assert ringlog.Report.list(root=s3_url, archived=None) == []


def test_spool_artifacts_outside_a_run_upload_at_once(s3_url, tmp_path):
    from ringlog.store.roots import local_root

    store = SpoolArtifacts(local_root(s3_url), s3_url)
    store.commit("p-x", "ds", files=[("f.bin", np.arange(4, dtype=np.uint8).tobytes())])
    m = BucketArtifacts(s3_url, local=tmp_path / "r").get("p-x", "ds")
    with BucketArtifacts(s3_url, local=tmp_path / "r").open_file(m, "f.bin") as fh:
        assert fh.read() == bytes(range(4))


def test_a_run_on_another_machine_uses_an_artifact_from_the_bucket(s3_url, fast, monkeypatch, tmp_path):
    run = ringlog.init(project="team", name="producer", dir=s3_url, settings=fast)
    art = ringlog.Artifact("ds", type="dataset")
    with art.new_file("x.txt") as f:
        f.write("from A")
    run.log_artifact(art)
    ringlog.finish()
    monkeypatch.setenv("RINGLOG_SPOOL", str(tmp_path / "spool-B"))  # another node: its own spool and cache
    monkeypatch.setenv("RINGLOG_CACHE", str(tmp_path / "cache-B"))
    run2 = ringlog.init(project="team", name="consumer", dir=s3_url, settings=fast)
    got = run2.use_artifact("ds:latest")
    assert (tmp_path / "dl" / "x.txt").exists() is False
    got.download(root=str(tmp_path / "dl"))
    assert (tmp_path / "dl" / "x.txt").read_text() == "from A"
    art2 = ringlog.Artifact("ds", type="dataset")
    with art2.new_file("x.txt") as f:
        f.write("from B")
    run2.log_artifact(art2)  # numbered after A's version, which this node pulled first
    ringlog.finish()
    vs = BucketArtifacts(s3_url, local=tmp_path / "reader").versions("p-team", "ds")
    assert [v["version"] for v in vs] == ["v0", "v1"] and vs[0]["consumers"] == [run2.id]


def test_artifacts_with_the_bucket_down_answer_from_the_spool_and_warn_once(s3_url, monkeypatch):
    import time
    import warnings

    from ringlog.store.objstore import artifacts as objart
    from ringlog.store.objstore.testing import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.setattr(objart, "_down_until", {})
    monkeypatch.setattr(objart, "_warned_until", {})
    from ringlog.store.roots import local_root

    store = SpoolArtifacts(local_root(s3_url), s3_url)
    with pytest.warns(RuntimeWarning, match="could not be uploaded"):
        store.commit("p-x", "ds", files=[("a.txt", b"one")])
    t0 = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once: the next calls neither warn nor wait for the bucket
        store.commit("p-x", "ds", files=[("a.txt", b"two")])
        m = store.get("p-x", "ds")
        with store.open_file(m, "a.txt") as fh:
            assert fh.read() == b"two"
    assert time.monotonic() - t0 < 2.0 and m["version"] == "v1"
    assert objart.pending(local_root(s3_url))  # left for the uploader or `ringlog sync`


def test_reports_with_the_bucket_down_read_the_local_copy_and_refuse_changes(s3_url, monkeypatch):
    from ringlog.store.objstore import spool
    from ringlog.store.objstore.testing import free_port
    from ringlog.store.reports import ReportError

    live = open_reports(s3_url)
    doc = live.create(name="Kept", project="p", markdown="m")
    assert [d["name"] for d in live.list()] == ["Kept"]
    folder = spool.cache_for(s3_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    down = BucketReports(s3_url, local=folder)
    assert [d["name"] for d in down.list()] == ["Kept"] and down.get(doc["id"])["markdown"] == "m"
    with pytest.raises(ReportError, match="cannot be read"):
        down.update(doc["id"], markdown="lost?")
    assert down.get(doc["id"])["markdown"] == "m"
