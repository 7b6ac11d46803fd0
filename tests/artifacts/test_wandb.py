"""W&B's artifact API: Artifact(add_file/add_dir/add/add_reference/new_file), run.log_artifact with aliases,
run.use_artifact("name:alias") -> download/get/get_entry, wandb.save(glob, policy), log_model/use_model."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ringlog as wandb
from ringlog.errors import LoggingValueError
from ringlog.store.artifacts import ArtifactStore, project_scope, task_scope


@pytest.fixture
def run(store_root):
    r = wandb.init(project="wb", name="maker", dir=str(store_root), capture=False)
    yield r
    r.finish()


def _versions(root, name, project="wb"):
    return ArtifactStore(root).versions(project_scope(project), name)


def test_log_and_use_with_aliases_and_versions(run, store_root, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "train.csv").write_text("a,b\n1,2\n")
    (tmp_path / "data" / "sub").mkdir()
    (tmp_path / "data" / "sub" / "x.txt").write_text("x")
    (tmp_path / "readme.md").write_text("hello")
    art = wandb.Artifact("mnist", type="dataset", description="digits", metadata={"n": 2})
    art.add_dir(str(tmp_path / "data"), name="raw")
    art.add_file(str(tmp_path / "readme.md"))
    art.add(wandb.Table(columns=["id", "label"], data=[[1, "cat"], [2, "dog"]]), "labels")
    art.add_reference("s3://bucket/mnist/big.tar", name="big.tar")
    with art.new_file("notes.txt") as f:
        f.write("written in place")
    (tmp_path / "readme.md").write_text("changed after add_file")  # mutable policy: the added content is kept
    logged = run.log_artifact(art, aliases=["best"])
    assert logged.version == "v0" and logged.name == "mnist:v0" and sorted(logged.aliases) == ["best", "latest"]
    # same content again: no new version; changed content: v1, and 'latest' moves
    again = wandb.Artifact("mnist", type="dataset")
    again.add_dir(str(tmp_path / "data"), name="raw")
    again.add_file(str(tmp_path / "readme.md"))
    assert run.log_artifact(again).version == "v1"
    same = wandb.Artifact("mnist", type="dataset")
    same.add_dir(str(tmp_path / "data"), name="raw")
    same.add_file(str(tmp_path / "readme.md"))
    assert run.log_artifact(same).version == "v1"
    run.finish()

    user = wandb.init(project="wb", name="user", dir=str(store_root), capture=False)
    best = user.use_artifact("mnist:best")
    assert best.version == "v0" and best.description == "digits" and best.metadata == {"n": 2}
    out = Path(best.download())
    assert out == tmp_path / "artifacts" / "mnist:v0"
    assert (out / "readme.md").read_text() == "hello" and (out / "raw" / "sub" / "x.txt").read_text() == "x"
    assert (out / "notes.txt").read_text() == "written in place" and not (out / "big.tar").exists()
    assert best.get_entry("big.tar").ref == "s3://bucket/mnist/big.tar"
    assert best.get_entry("big.tar").download() == "s3://bucket/mnist/big.tar"
    table = best.get("labels")
    assert table.columns == ["id", "label"] and table.data == [[1, "cat"], [2, "dog"]]
    assert best.get("readme.md") is None
    assert Path(best.get_entry("raw/train.csv").download(root=str(tmp_path / "one"))).read_text() == "a,b\n1,2\n"
    assert user.use_artifact("wb/mnist:latest").version == "v1"
    assert user.use_artifact("entity/wb/mnist:v0").version == "v0"
    with pytest.raises(LoggingValueError, match="no alias 'prod'"):
        user.use_artifact("mnist:prod")
    with pytest.raises(LoggingValueError, match="type: artifact mnist:v1 has type 'dataset', not 'model'"):
        user.use_artifact("mnist", type="model")
    assert sorted(best.used_by()) == [user.id]
    assert best.logged_by() == run.id
    user.finish()
    v0, v1 = _versions(store_root, "mnist")
    assert (v0["producer"], v0["consumers"], v1["consumers"]) == (run.id, [user.id], [user.id])


def test_bad_artifact_input_is_a_clear_error(run, tmp_path):
    with pytest.raises(LoggingValueError, match="name: must be 1-128 letters"):
        wandb.Artifact("bad name!", "dataset")
    with pytest.raises(TypeError, match="type: must be a non-empty str"):
        wandb.Artifact("ok", "")
    a = wandb.Artifact("ok", "dataset")
    with pytest.raises(LoggingValueError, match="local_path: '.*missing' is no existing file"):
        a.add_file(str(tmp_path / "missing"))
    with pytest.raises(LoggingValueError, match="uri: must be a URI"):
        a.add_reference("not a uri")
    with pytest.raises(TypeError, match="obj: must be a ringlog.Table"):
        a.add(object(), "x")
    (tmp_path / "f").write_text("1")
    a.add_file(str(tmp_path / "f"))
    with pytest.raises(LoggingValueError, match="already in artifact"):
        a.add_file(str(tmp_path / "f"))
    with pytest.raises(LoggingValueError, match="name: .*'\\.\\.'"):
        a.add_file(str(tmp_path / "f"), name="../escape")
    with pytest.raises(LoggingValueError, match="download: artifact 'ok' is not logged yet"):
        a.download()
    run.log_artifact(a)
    with pytest.raises(LoggingValueError, match="is logged and cannot change"):
        a.add_file(str(tmp_path / "f"), name="g")


def test_log_model_and_use_model(run, store_root, tmp_path):
    w = tmp_path / "model.pt"
    w.write_bytes(b"\x00weights" * 100)
    logged = wandb.log_model(str(w), name="clf", aliases=["staging"])
    assert (logged.type, logged.version, sorted(logged.aliases)) == ("model", "v0", ["latest", "staging"])
    w.write_bytes(b"\x01weights" * 100)
    assert wandb.log_model(str(w), name="clf").version == "v1"
    path = wandb.use_model("clf:staging")
    assert Path(path).read_bytes() == b"\x00weights" * 100 and path.endswith("model.pt")
    with pytest.raises(LoggingValueError, match="not 'model'"):
        wandb.log_artifact(str(w), name="notamodel", type="dataset")
        wandb.use_model("notamodel")


def test_module_functions_need_a_run():
    with pytest.raises(RuntimeError, match=r"ringlog.save\(\) needs an open run"):
        wandb.save("*.txt")


_SCRIPT = """
import os, ringlog as wandb
run = wandb.init(project="wb", name="saver")
open("metrics.txt", "w").write("epoch 0")
wandb.save("metrics.txt")                      # live: now and again at the end
open("once.txt", "w").write("first")
wandb.save("once.txt", policy="now")
os.makedirs("ckpt", exist_ok=True)
wandb.save(os.path.abspath("ckpt") + "/*.bin", policy="end")
open("ckpt/a.bin", "wb").write(b"a" * 10)
open("metrics.txt", "w").write("epoch 1")      # changed after save: the end version has it
open("once.txt", "w").write("second")          # policy now: the first content is what was saved
art = wandb.Artifact("results", type="eval")
art.add_file("metrics.txt")
run.log_artifact(art)
print(run.id)
# no finish(): the exit path stores the live/end files
"""


def test_save_policies_in_a_script_without_finish(tmp_path):
    root = tmp_path / "root"
    env = dict(os.environ, RINGLOG_DIR=str(root))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(_SCRIPT)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    run_id = proc.stdout.split()[-1]
    a = ArtifactStore(root)
    m = a.get(task_scope(run_id), "run-files")
    assert sorted(f["path"] for f in m["files"]) == ["a.bin", "metrics.txt", "once.txt"]
    with a.open_file(m, "metrics.txt") as f:
        assert f.read() == b"epoch 1"
    with a.open_file(m, "once.txt") as f:
        assert f.read() == b"first"
    assert [v["version"] for v in a.versions(task_scope(run_id), "run-files")] == ["v0", "v1", "v2"]
    assert {r["name"] for r in a.task_lineage(run_id)["produced"]} == {"run-files", "results"}


def test_a_failing_disk_warns_and_the_run_goes_on(run, tmp_path, monkeypatch):
    from ringlog.errors import LoggingWarning
    from ringlog.store import artifacts_blobs

    def full(self, *a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(artifacts_blobs.LocalBlobs, "put_file", full)
    monkeypatch.setattr(artifacts_blobs.LocalBlobs, "put_bytes", full)
    (tmp_path / "f.txt").write_text("x")
    art = wandb.Artifact("diskfull", type="dataset")
    art.add_file(str(tmp_path / "f.txt"))
    art.add(wandb.Table(columns=["a"], data=[[1]]), "t")
    with pytest.warns(LoggingWarning, match="artifact 'diskfull' could not be stored.*No space left"):
        assert run.log_artifact(art) is None
    wandb.log({"loss": 0.5})  # the run goes on
    monkeypatch.undo()
    assert run.log_artifact(art).version == "v0"  # the disk is back: the same artifact logs
    assert run.use_artifact("diskfull").get("t").data == [[1]]
