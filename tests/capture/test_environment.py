"""environment.collect: basics, packages, and git facts of a temporary repository."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from ringlog._engine.environment import collect, git_info, packages, strip_credentials

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "HOME": str(cwd), "PATH": "/usr/bin:/bin"})


def test_basics_and_packages():
    env = collect(git=False)
    assert env["python"] == ".".join(map(str, sys.version_info[:3]))
    assert env["argv"] == sys.argv and env["executable"] == sys.executable
    assert env["host"] and env["platform"] and env["cwd"]
    assert "git" not in env and "errors" not in env
    pk = env["packages"]
    assert any(p.lower().startswith("numpy==") for p in pk)
    assert pk == packages() and len(pk) == len({p.split("==")[0].lower() for p in pk})


@needs_git
def test_git_info_of_a_temporary_repo_with_uncommitted_change(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "trunk")
    (repo / "train.py").write_text("lr = 0.1\n")
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-q", "-m", "first")
    _git(repo, "remote", "add", "origin", "https://alice:s3cret-token@example.com/team/proj.git")
    (repo / "train.py").write_text("lr = 0.01\n")
    (repo / "notes.txt").write_text("new file\n")
    env = collect(git=True, path=repo / "train.py")
    g = env["git"]
    assert g["root"] == str(repo.resolve())
    assert g["branch"] == "trunk" and len(g["commit"]) == 40
    assert g["remote"] == "https://example.com/team/proj.git"  # the token never lands in the store
    assert g["dirty"] is True
    assert "-lr = 0.1" in g["diff"] and "+lr = 0.01" in g["diff"] and g["diff"].startswith("diff --git")
    assert g["untracked"] == ["notes.txt"]


@needs_git
def test_repo_without_commits_and_outside_a_repo(tmp_path):
    repo = tmp_path / "fresh"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "a.py").write_text("x = 1\n")
    _git(repo, "add", "a.py")
    g = git_info(repo)
    assert g["commit"] is None and "+x = 1" in g["diff"] and g["remote"] is None
    outside = tmp_path / "plain"
    outside.mkdir()
    assert git_info(outside, timeout=5) is None or git_info(outside)["root"] != str(outside)


def test_never_raises_without_git(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git executable to be found
    env = collect(git=True, path=tmp_path)
    assert "git" not in env and env["python"]


def test_strip_credentials():
    assert strip_credentials("https://u:p@host/x.git") == "https://host/x.git"
    assert strip_credentials("ssh://git@host/x.git") == "ssh://host/x.git"
    assert strip_credentials("git@github.com:a/b.git") == "git@github.com:a/b.git"  # scp-like: no secret


def test_hardware_with_a_fake_nvml():
    import types

    from ringlog._engine.environment import hardware

    nv = types.SimpleNamespace(nvmlInit=lambda: None, nvmlShutdown=lambda: None, nvmlDeviceGetCount=lambda: 1,
                               nvmlDeviceGetHandleByIndex=lambda i: i,
                               nvmlDeviceGetName=lambda h: b"NVIDIA H100 80GB HBM3",
                               nvmlDeviceGetMemoryInfo=lambda h: types.SimpleNamespace(total=80 << 30),
                               nvmlSystemGetDriverVersion=lambda: "550.54")
    hw = hardware(nv)
    assert hw["gpus"] == [{"name": "NVIDIA H100 80GB HBM3", "memory_gb": 80.0}] and hw["gpu_driver"] == "550.54"
    assert hw["cpu_count"] >= 1 and hw["memory_gb"] > 0
    real = collect(git=False)  # this machine: no driver, so no "gpus" key (one with GPUs lists them)
    assert real["cpu_count"] == hw["cpu_count"] and ("gpus" not in real or len(real["gpus"]) >= 1)
