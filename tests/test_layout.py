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


# --- inside the SDK: its rooms and the one-way rule ----------------------------------------------
#
# | room                 | holds                                                   | may import (ringlog) |
# | ringlog.errors       | the SDK's error and warning classes                     | nothing              |
# | ringlog._engine      | staging, flusher, clock, lifecycle, settings, context   | errors, core, store  |
# | ringlog.media        | media objects, conversions, the record writer           | + _engine            |
# | ringlog.capture      | console, TensorBoard, matplotlib, system metrics, watch | + media              |
# | ringlog.artifacts    | artifact serialization, store access, W&B's Artifact    | + media              |
# | ringlog.wandb        | init/log/finish, Run, config/summary/history            | + capture, artifacts |
# | ringlog.clearml      | Task, Logger, report_*, read-back                       | + capture, artifacts |
# | ringlog (top level)  | the lazy facade, Report, cli, demo                      | all of the above     |
#
# The two flavours never import each other; only cli and demo import the viewer (LAZY_VIEWER_OK).
_BASE = {"ringlog.core", "ringlog.store", "ringlog.errors"}
ROOMS = {
    "ringlog.errors": set(),
    "ringlog._engine": _BASE | {"ringlog._engine"},
    "ringlog.media": _BASE | {"ringlog._engine", "ringlog.media"},
    "ringlog.capture": _BASE | {"ringlog._engine", "ringlog.media", "ringlog.capture"},
    "ringlog.artifacts": _BASE | {"ringlog._engine", "ringlog.media", "ringlog.artifacts"},
    "ringlog.wandb": _BASE | {"ringlog._engine", "ringlog.media", "ringlog.capture", "ringlog.artifacts",
                              "ringlog.wandb"},
    "ringlog.clearml": _BASE | {"ringlog._engine", "ringlog.media", "ringlog.capture", "ringlog.artifacts",
                                "ringlog.clearml"},
}
_TOP_LEVEL_SDK_FILES = {"__init__.py", "errors.py", "report.py", "cli.py", "demo.py"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    parts[0] = LAYERS[parts[0]]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _all_modules() -> dict[str, Path]:
    return {_module_name(p): p for folder in LAYERS for p in _files(folder)}


def _type_checking_lines(tree: ast.AST) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks (annotations only: no import at run time)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for sub in node.body:
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    return lines


def _internal_imports(name: str, path: Path, modules: dict[str, Path]):
    """(node, imported ringlog module, in TYPE_CHECKING) for every import of a ringlog module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    tc = _type_checking_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "ringlog":
                    yield node, alias.name, node.lineno in tc
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "ringlog":
                continue
            for alias in node.names:  # ``from pkg import submodule`` imports the submodule
                sub = f"{mod}.{alias.name}"
                yield node, (sub if sub in modules else mod), node.lineno in tc


def _room(module: str) -> str | None:
    for room in ROOMS:
        if module == room or module.startswith(room + "."):
            return room
    return None


def test_sdk_rooms_import_one_way():
    modules = _all_modules()
    problems = []
    for name, path in sorted(modules.items()):
        room = _room(name)
        if room is None:
            continue
        for node, target, _tc in _internal_imports(name, path, modules):
            if target.startswith(("ringlog.core", "ringlog.store", "ringlog.viewer")):
                target_room = target.split(".")[0] + "." + target.split(".")[1]
            else:
                target_room = _room(target) or target
            if target_room not in ROOMS[room]:
                rel = path.relative_to(REPO).as_posix()
                problems.append(f"{rel}:{node.lineno} ({room}) imports {target}; allowed: {sorted(ROOMS[room])}")
    assert not problems, "\n".join(problems)


def test_every_sdk_file_lives_in_a_room():
    loose = sorted(p.name for p in (REPO / "sdk").glob("*.py") if p.name not in _TOP_LEVEL_SDK_FILES)
    assert not loose, f"sdk/ top level holds only {sorted(_TOP_LEVEL_SDK_FILES)}; put {loose} in a room"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in graph:
                    continue
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                elif nxt in on:
                    low[v] = min(low[v], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_import_cycle_anywhere():
    """Every import counts, including those inside functions (they are cycles deferred, not
    removed); only ``if TYPE_CHECKING:`` imports, which never run, are left out. A package's
    ``__init__`` is not an edge of its submodules: importing ``a.b`` runs ``a/__init__`` first,
    but that is Python's order, not a dependency of ``a.b`` on its siblings."""
    modules = _all_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for _node, target, tc in _internal_imports(name, path, modules):
            if not tc and target != name and target in modules:
                graph[name].add(target)
    graph["ringlog"] = set()  # the lazy facade imports by string, on attribute access
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_long_files_say_why():
    """STYLE.md habit 8: files stay a few hundred lines; one over 400 says why near its top."""
    files = [p for folder in LAYERS for p in _files(folder)] + sorted((REPO / "viewer" / "static").rglob("*.js"))
    long = []
    for p in files:
        text = p.read_text()
        n = text.count("\n")
        if n > 400 and "over 400 lines" not in text[:3000]:
            long.append(f"{p.relative_to(REPO)} ({n} lines)")
    assert not long, "over 400 lines with no reason in the docstring: " + ", ".join(long)
