"""Cost of ``ringlog.log({...})`` in ``mode="disabled"`` against a bare loop (issue 16, part 2).

Per call: a loop that builds the same dict and calls a no-op function (the baseline), the same
loop calling ``ringlog.log`` on a disabled run, and (for scale) on an offline run writing the
store. Median of ``--repeat`` runs of ``--n`` calls, in one process. Run:
``.venv/bin/python benchmarks/bench_disabled.py [--n 200000] [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import ringlog


def _noop(d):
    return None


def _loop(fn, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        fn({"loss": i * 0.5, "acc": 1.0})
    return (time.perf_counter() - t0) / n * 1e9


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    rows = {}
    ringlog.init(project="bench", mode="disabled")
    rows["bare loop (dict + no-op call)"] = statistics.median(_loop(_noop, a.n) for _ in range(a.repeat))
    rows["ringlog.log, mode=disabled"] = statistics.median(_loop(ringlog.log, a.n) for _ in range(a.repeat))
    ringlog.finish()
    with tempfile.TemporaryDirectory() as d:
        ringlog.init(project="bench", mode="offline", dir=d, capture=False)
        rows["ringlog.log, mode=offline"] = statistics.median(_loop(ringlog.log, a.n) for _ in range(a.repeat))
        ringlog.finish()
    base = rows["bare loop (dict + no-op call)"]
    for k, v in rows.items():
        print(f"{k:34s} {v:8.0f} ns/call  x{v / base:.2f}")


if __name__ == "__main__":
    main()
