"""``init(mode=...)``, ``$RINGLOG_MODE`` and ``$WANDB_MODE``: "disabled" writes nothing (issue 16,
part 2); "offline"/"online" write the local store as before; a bad value names where it came from."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ringlog
from ringlog.errors import LoggingValueError


def _files(root) -> list:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_disabled_run_works_and_writes_nothing(tmp_path, monkeypatch, fast):
    monkeypatch.chdir(tmp_path)  # the default root ./ringlog_data must not appear either
    monkeypatch.setenv("RINGLOG_DIR", str(tmp_path / "env_root"))
    run = ringlog.init(project="p", name="n", config={"lr": 0.1}, mode="disabled", settings=fast)
    assert ringlog.run is run and run.disabled
    for i in range(100):
        ringlog.log({"loss": 1.0 / (i + 1), "acc": i})
    run.log({"x": 1}, step=500)
    run.log({"y": {"nested": 2}})
    assert run.step == 501
    run.config.update({"b": 2})
    run.config.c = 3
    run.summary["best"] = 0.5
    run.summary.update({"other": 1})
    assert dict(run.config) == {"lr": 0.1, "b": 2, "c": 3}
    assert run.summary["best"] == 0.5 and run.summary.as_dict() == {"best": 0.5, "other": 1}
    assert run.define_metric("loss", summary="min")["summary"] == "min"
    ringlog.define_metric("acc", step_metric="loss")
    ringlog.log({"img": ringlog.Image(np.zeros((4, 4, 3), np.uint8)), "h": ringlog.Histogram([1, 2, 3]),
                 "t": ringlog.Table(columns=["a", "b"], data=[[1, "x"]]), "s": "text"})
    art = ringlog.Artifact("data", type="dataset")  # (add_file would stage content: the Artifact's own doing)
    (tmp_path / "f.txt").write_text("x")
    assert run.log_artifact(art) is None and ringlog.log_artifact(art) is None
    assert run.use_artifact("data:latest") is None and run.log_model(str(tmp_path / "f.txt")) is None
    assert run.save("*.txt") == [] and run.alert("title", "text") is None
    assert run.flush() is True
    run.history.row["k"] = 1
    run.history.add()
    assert isinstance(run.stats(), dict)
    with ringlog.init(project="p", mode="disabled") as again:  # the previous disabled run finishes first
        again.log({"a": 1})
    assert run.finished if hasattr(run, "finished") else True
    ringlog.finish()
    assert ringlog.run is None
    (tmp_path / "f.txt").unlink()
    assert _files(tmp_path) == [], "a disabled run wrote files"


@pytest.mark.parametrize("var", ["RINGLOG_MODE", "WANDB_MODE"])
def test_env_disables(tmp_path, monkeypatch, fast, var):
    monkeypatch.setenv(var, "disabled")
    run = ringlog.init(project="p", dir=str(tmp_path / "root"), settings=fast)
    run.log({"a": 1.0})
    run.finish()
    assert getattr(run, "disabled", False) and not (tmp_path / "root").exists()


def test_argument_wins_over_env_and_offline_writes(tmp_path, monkeypatch, fast):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    for mode in ("offline", "online"):
        root = tmp_path / mode
        run = ringlog.init(project="p", dir=str(root), settings=fast, mode=mode)
        run.log({"a": 1.0})
        run.finish()
        t = ringlog.store.Store(root).task(run.id)
        assert t.count("a") == 1 and t.info["status"] == "completed"


def test_ringlog_mode_wins_over_wandb_mode(tmp_path, monkeypatch, fast):
    monkeypatch.setenv("RINGLOG_MODE", "offline")
    monkeypatch.setenv("WANDB_MODE", "disabled")
    run = ringlog.init(project="p", dir=str(tmp_path / "r"), settings=fast)
    run.finish()
    assert not getattr(run, "disabled", False) and (tmp_path / "r").exists()


@pytest.mark.parametrize("given,where", [({"mode": "nope"}, "mode"), ({"mode": 3}, "mode"),
                                         ({"env": "sometimes"}, "$RINGLOG_MODE")])
def test_bad_mode_is_named(tmp_path, monkeypatch, fast, given, where):
    if "env" in given:
        monkeypatch.setenv("RINGLOG_MODE", given["env"])
    with pytest.raises(LoggingValueError, match=r"^" + where.replace("$", r"\$") + r": must be one of"):
        ringlog.init(project="p", dir=str(tmp_path), settings=fast, mode=given.get("mode"))
    assert not tmp_path.joinpath("p").exists()


def test_disabled_imports_neither_store_nor_numba(tmp_path):
    code = textwrap.dedent("""
        import sys, ringlog
        run = ringlog.init(project="p", mode="disabled")
        for i in range(1000):
            ringlog.log({"loss": i * 0.5})
        run.summary["x"] = 1
        run.finish()
        bad = sorted(m for m in sys.modules if m.startswith(("ringlog.store", "numba", "zarr", "numcodecs")))
        print("IMPORTED", bad)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "RINGLOG_DIR": str(tmp_path / "root")})
    assert out.returncode == 0, out.stderr
    assert "IMPORTED []" in out.stdout
    assert _files(tmp_path) == []
