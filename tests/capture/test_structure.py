"""The captures' code, read with ``ast``: collaborators are called, not probed, and no error is
swallowed (STYLE habit 6; issue 12).

* no ``inspect`` (a signature probed to guess what the run accepts), no ``getattr`` / ``hasattr``
  on the run or the settings (a ``RunSink`` and a ``Settings``: use their members), no registry
  written into the run's ``__dict__``; no ``try: from .. import x / except ImportError`` around a
  ringlog module (it always ships);
* no ``except Exception`` / ``except BaseException`` / bare ``except`` whose body only passes,
  returns or continues: such a handler is either narrowed to the exception it expects or reports
  what it caught (``warn_once``, a count, a log line).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CAPTURE = Path(__file__).resolve().parents[2] / "sdk" / "capture"
FILES = ["tensorboard.py", "manager.py", "options.py", "console.py", "console_lines.py", "console_fd.py", "sysmetrics.py",
         "patching.py", "tb_import.py", "watch.py", "mpl.py"]
RUN_NAMES = {"run", "core", "run_", "settings"}  # typed collaborators: RunSink, Settings


def _tree(name: str) -> ast.Module:
    return ast.parse((CAPTURE / name).read_text(), filename=name)


def _is_run(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in RUN_NAMES
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr in RUN_NAMES
    return False


def _broad(handler: ast.ExceptHandler) -> bool:
    names = []
    t = handler.type
    for n in (t.elts if isinstance(t, ast.Tuple) else [t]):
        names.append(n.id if isinstance(n, ast.Name) else None)
    return t is None or "Exception" in names or "BaseException" in names


def _silent(body: list) -> bool:
    return all(isinstance(s, (ast.Pass, ast.Continue))
               or (isinstance(s, ast.Return) and (s.value is None or isinstance(s.value, ast.Constant)))
               or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)) for s in body)


@pytest.mark.parametrize("name", FILES)
def test_collaborators_are_called_not_probed(name):
    bad = []
    for node in ast.walk(_tree(name)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            bad += [f"line {node.lineno}: imports inspect" for m in mods if m == "inspect"]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("getattr", "hasattr"):
            if node.args and _is_run(node.args[0]):
                bad.append(f"line {node.lineno}: {node.func.id}() probes the run")
        elif isinstance(node, ast.Attribute) and node.attr == "__dict__" and _is_run(node.value):
            bad.append(f"line {node.lineno}: writes into the run's __dict__")
    assert bad == [], f"{name}: {bad}"


@pytest.mark.parametrize("name", FILES)
def test_no_broad_handler_swallows_silently(name):
    bad = [f"line {h.lineno}" for h in ast.walk(_tree(name))
           if isinstance(h, ast.ExceptHandler) and _broad(h) and _silent(h.body)]
    assert bad == [], f"{name}: broad except that only passes/returns/continues at {bad}"


@pytest.mark.parametrize("name", FILES)
def test_no_import_guard_around_modules_that_ship(name):
    bad = []
    for node in ast.walk(_tree(name)):
        if not isinstance(node, ast.Try):
            continue
        catches = {n.id for h in node.handlers for n in ast.walk(h.type or ast.Name("BaseException"))
                   if isinstance(n, ast.Name)}
        ours = [s for s in node.body if isinstance(s, ast.ImportFrom)
                and (s.level > 0 or (s.module or "").startswith("ringlog"))]
        if ours and catches & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"}:
            bad.append(f"line {node.lineno}")
    assert bad == [], f"{name}: import guard around a ringlog module at {bad}"


def test_the_checks_can_fail():
    src = ("def f(run):\n    import inspect\n    getattr(run, 'warn_once', None)\n    try:\n        pass\n"
           "    except Exception:\n        pass\n")
    tree = ast.parse(src)
    handlers = [h for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler)]
    assert handlers and _broad(handlers[0]) and _silent(handlers[0].body)
    calls = [c for c in ast.walk(tree) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)]
    assert any(c.func.id == "getattr" and _is_run(c.args[0]) for c in calls)
