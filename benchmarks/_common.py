"""Shared helpers for the benchmarks: timing, a printed table, ratio assertions.

Every benchmark module exposes ``run(quick: bool) -> list[Row]``. It prints its
own table and asserts throughput as a ratio against a baseline measured in the
same run (plus a generous absolute floor), so it holds on a noisy machine.
``quick`` uses small sizes so CI can run every benchmark in seconds.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Row:
    name: str
    value: float
    unit: str
    target: str = ""
    note: str = ""


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """Fastest wall time of ``repeat`` calls, in seconds (noise only adds time)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def median_of(fn: Callable[[], object], repeat: int = 21) -> float:
    """Median wall time of ``repeat`` calls, in seconds (for latency targets)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n## {title}\n")
    print("| measure | value | unit | target | note |")
    print("|---|---:|---|---|---|")
    for r in rows:
        v = f"{r.value:,.3g}" if abs(r.value) < 1000 else f"{r.value:,.0f}"
        print(f"| {r.name} | {v} | {r.unit} | {r.target} | {r.note} |")


def check(ok: bool, message: str) -> None:
    """Assert a benchmark claim with a message that says what was measured."""
    if not ok:
        raise AssertionError(message)
