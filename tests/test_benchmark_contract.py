"""Every ``benchmarks/bench_*.py`` keeps the contract ``benchmarks.run`` relies on: a top-level
``run(quick: bool = False)``. Two benchmarks written as scripts with only ``main()`` stopped CI's
bench-quick (AttributeError) after the whole suite had passed; this catches it in the suite."""
from __future__ import annotations

import ast
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def test_every_benchmark_module_has_run_with_a_quick_argument():
    missing = []
    for path in sorted(BENCH.glob("bench_*.py")):
        tree = ast.parse(path.read_text())
        runs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "run"]
        args = [a.arg for a in runs[0].args.args + runs[0].args.kwonlyargs] if runs else []
        if "quick" not in args:
            missing.append(path.name)
    assert len(list(BENCH.glob("bench_*.py"))) > 10
    assert missing == [], f"benchmarks without run(quick=...): {missing}"
