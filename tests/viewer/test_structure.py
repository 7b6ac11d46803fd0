"""The viewer's shape (issue 12): one error->HTTP mapping, one module for security headers, no
import cycle, small files, the store's status list, and no scaffolding for hand-made fake stores."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import ringlog.viewer

VIEWER = Path(ringlog.viewer.__file__).parent
MODULES = {p.stem: p for p in VIEWER.glob("*.py")}


def _source(name: str) -> str:
    return MODULES[name].read_text()


def test_only_errors_py_maps_errors_to_http():
    for name in MODULES:
        if name != "errors":
            src = _source(name)
            assert "errorhandler(" not in src and "register_error_handler(" not in src, name


def test_only_security_py_writes_content_security_policies():
    for name in MODULES:
        if name != "security":
            assert "default-src" not in _source(name) and "Content-Security-Policy\"] =" not in _source(name), name


def _imports(name: str) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(_source(name))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                out.add(node.module.split(".")[0])
            elif node.level == 1:
                out.update(a.name for a in node.names)
            elif node.module and node.module.startswith("ringlog.viewer."):
                out.add(node.module.split(".")[2])
    return out & set(MODULES)


def test_no_import_cycle_inside_the_viewer():
    graph = {name: _imports(name) for name in MODULES}
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        state[n] = 1
        for m in graph[n]:
            assert state.get(m) != 1, " -> ".join(path + [n, m])
            if m not in state:
                visit(m, path + [n])
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, [])


def test_status_list_is_the_stores():
    from ringlog.store import STATUSES
    from ringlog.viewer import tasks, widgets

    assert tasks.STATUSES == STATUSES
    assert set(widgets.LIVE_STATUSES) <= set(STATUSES)


def test_no_fake_store_scaffolding_left():
    for name in MODULES:
        src = _source(name)
        assert not re.search(r"except\s+(\w+\.)?ImportError", src), name
        assert "fake" not in src.lower(), name
        assert "CONTRACTS.md" not in src, name
    for doc in list(VIEWER.glob("*.md")) + list((VIEWER.parent / "store").glob("*.md")):
        assert "CONTRACTS.md" not in doc.read_text(), doc.name
