"""Durability tests run real scripts in fresh processes (the way users end them) and read the store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run_script(code: str, cwd: Path, env: dict | None = None, timeout: float = 120.0) -> subprocess.CompletedProcess:
    """Run ``code`` with this interpreter in ``cwd`` (data goes to ``cwd/ringlog_data``), default settings."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("RINGLOG_")}
    e.update(env or {})
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=e, capture_output=True, text=True,
                          timeout=timeout)


def only_task(root: Path) -> dict:
    """The one task under ``root`` (its catalog row), with its reader under "reader"."""
    from ringlog.store import Store

    store = Store(root)
    tasks = store.tasks()
    assert len(tasks) == 1, tasks
    row = dict(tasks[0])
    row["reader"] = store.task(row["id"])
    return row


@pytest.fixture
def script():
    return run_script
