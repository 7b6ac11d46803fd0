"""CI's RINGLOG_NO_SKIP guard (tests/conftest.py): a skipped test fails the run only when it is set."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def _run(tmp_path, env_value):
    shutil.copy(Path(__file__).with_name("conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(
        "import pytest\n"
        "def test_skipped():\n    pytest.skip('no such tool here')\n"
        "def test_ok():\n    assert True\n")
    env = {k: v for k, v in os.environ.items() if k != "RINGLOG_NO_SKIP"}
    if env_value:
        env["RINGLOG_NO_SKIP"] = env_value
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_skip_fails_the_run_under_the_guard(tmp_path):
    p = _run(tmp_path, "1")
    assert p.returncode == 1, p.stdout
    assert "RINGLOG_NO_SKIP: 1 skipped test(s) fail this run" in p.stdout
    assert "test_sample.py::test_skipped" in p.stdout and "no such tool here" in p.stdout


def test_skip_stays_a_skip_without_it(tmp_path):
    p = _run(tmp_path, None)
    assert p.returncode == 0, p.stdout
    assert "1 passed, 1 skipped" in p.stdout
