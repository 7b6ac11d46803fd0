"""The layer table of STYLE.md, checked with ast: who may import whom.

| folder  | import name    | may import            |
| sdk/    | ringlog        | core, store           |
| core/   | ringlog.core   | numpy, numba only     |
| store/  | ringlog.store  | core                  |
| viewer/ | ringlog.viewer | core, store           |
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LAYERS = {"sdk": "ringlog", "core": "ringlog.core", "store": "ringlog.store", "viewer": "ringlog.viewer"}
ALLOWED = {
    "core": {"ringlog.core"},
    "store": {"ringlog.core", "ringlog.store"},
    "viewer": {"ringlog.core", "ringlog.store", "ringlog.viewer"},
    "sdk": {"ringlog", "ringlog.core", "ringlog.store"},
}
# The CLI is the one sdk module that starts the viewer; it imports it inside the command.
LAZY_VIEWER_OK = {"sdk/cli.py", "sdk/demo.py"}
BARE = {"core", "store", "sdk", "viewer"}


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node, node.module


def _layer_of(module: str) -> str | None:
    for prefix in ("ringlog.core", "ringlog.store", "ringlog.viewer"):
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    if module == "ringlog" or module.startswith("ringlog."):
        return "ringlog"
    return None


def _files(folder: str):
    return sorted((REPO / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", sorted(LAYERS))
def test_layers_import_only_what_the_table_allows(folder):
    problems = []
    for path in _files(folder):
        rel = path.relative_to(REPO).as_posix()
        for node, module in _imports(path):
            top = module.split(".")[0]
            if top in BARE:
                problems.append(f"{rel}:{node.lineno} imports bare {module!r}; use ringlog.*")
                continue
            layer = _layer_of(module)
            if layer is None:
                continue
            if layer == "ringlog.viewer" and rel in LAZY_VIEWER_OK:
                continue
            if layer not in ALLOWED[folder]:
                problems.append(f"{rel}:{node.lineno} imports {module!r}; {folder}/ may import {sorted(ALLOWED[folder])}")
    assert not problems, "\n".join(problems)


def test_core_imports_only_numpy_and_numba_and_stdlib():
    third_party = set()
    for path in _files("core"):
        for _node, module in _imports(path):
            top = module.split(".")[0]
            if top in sys.stdlib_module_names or top in {"numpy", "numba", "ringlog"}:
                continue
            third_party.add(f"{path.name}: {module}")
    assert not third_party, f"core/ must use numpy and numba only: {sorted(third_party)}"


def test_import_ringlog_is_light():
    """`import ringlog` pulls in neither numba, zarr, flask nor matplotlib."""
    code = (
        "import sys, time; t = time.perf_counter(); import ringlog; dt = time.perf_counter() - t\n"
        "heavy = sorted(m for m in ('numba', 'zarr', 'flask', 'matplotlib', 'plotly', 'numcodecs') if m in sys.modules)\n"
        "print(repr((dt, heavy)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO / "tests")
    dt, heavy = eval(out.stdout.strip())  # noqa: S307 - our own subprocess's repr
    assert heavy == [], f"import ringlog imported {heavy}"
    assert dt < 0.5, f"import ringlog took {dt:.3f} s (budget 0.5 s)"
