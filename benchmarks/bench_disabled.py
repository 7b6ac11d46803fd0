"""Cost of ``ringlog.log({...})`` in ``mode="disabled"`` against a bare loop (issue 16, part 2).

Per call: a loop that builds the same dict and calls a no-op function (the baseline), the same
loop calling ``ringlog.log`` on a disabled run, and (for scale) on an offline run writing the
store. Median of several runs of ``n`` calls, in one process. Asserts that a disabled run costs
about as little as not logging (≤ 6× the bare loop, for a shared machine: measured 1.7× quiet, 3.4× at load 20) and less than a writing run.
Run: ``python -m benchmarks.run [--quick] bench_disabled``.
"""

from __future__ import annotations

import statistics
import tempfile
import time

import ringlog

from ._common import Row, check, print_table


def _noop(d):
    return None


def _loop(fn, n: int) -> float:
    t0 = time.perf_counter()
    for i in range(n):
        fn({"loss": i * 0.5, "acc": 1.0})
    return (time.perf_counter() - t0) / n * 1e9


def run(quick: bool = False) -> list[Row]:
    n, repeat = (20_000, 5) if quick else (200_000, 5)
    ringlog.init(project="bench", mode="disabled")
    bare = statistics.median(_loop(_noop, n) for _ in range(repeat))
    disabled = statistics.median(_loop(ringlog.log, n) for _ in range(repeat))
    ringlog.finish()
    with tempfile.TemporaryDirectory(prefix="rl-bench-disabled-") as d:
        ringlog.init(project="bench", mode="offline", dir=d, settings=ringlog.Settings(capture=False))
        offline = statistics.median(_loop(ringlog.log, n) for _ in range(repeat))
        ringlog.finish()
    rows = [
        Row("bare loop (dict + no-op call)", bare, "ns/call", "baseline"),
        Row("ringlog.log, mode=disabled", disabled, "ns/call", "<= 6x baseline", f"{disabled / bare:.2f}x"),
        Row("ringlog.log, mode=offline (writes the store)", offline, "ns/call", "", f"{offline / bare:.2f}x"),
    ]
    print_table(f"mode=disabled ({'quick' if quick else 'full'}, {n:,} calls, median of {repeat})", rows)
    check(disabled <= 6 * bare + 200, f"log() on a disabled run took {disabled:.0f} ns/call, {disabled / bare:.1f}x "
                                      f"the bare loop's {bare:.0f} ns (> 6x)")
    check(disabled < offline, f"a disabled run ({disabled:.0f} ns/call) cost more than one writing the store "
                              f"({offline:.0f} ns/call)")
    return rows


if __name__ == "__main__":
    run()
