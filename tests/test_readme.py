"""The README's Python snippets are executed, so the docs cannot rot.

Every fenced ```python block of README.md runs, in order, in one fresh
interpreter per block, with ``RINGLOG_DIR`` pointing at a temporary store.
Blocks share the store, so a later block may read what an earlier one wrote.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks() -> list[str]:
    return BLOCK.findall(README.read_text())


def test_readme_has_python_snippets():
    assert len(_blocks()) >= 3, "README.md should show the SDK with runnable snippets"


def test_readme_names_exactly_two_setup_commands():
    text = README.read_text()
    setup = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", setup, re.S | re.M)
    lines = [ln for block in commands for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines == ["make demo", "make test"]


@pytest.mark.slow
def test_readme_snippets_run(tmp_path):
    env = dict(os.environ, RINGLOG_DIR=str(tmp_path / "store"), MPLBACKEND="Agg")
    for i, code in enumerate(_blocks()):
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
        )
        assert proc.returncode == 0, f"README python block {i} failed:\n{code}\n--- stderr ---\n{proc.stderr[-4000:]}"
