"""Kill loop (CI-sized): children logging at full speed - per call, 8 keys per call, bulk arrays -
in both flavours are SIGKILLed at seeded random moments, a share within the first second and a share
on a cold numba cache (every kernel still to compile). After each kill the crash ring is replayed
(store/FORMAT.md, "Crash ring"), the store must open, every series must be a bit-exact prefix of what
was logged, and every point acknowledged more than the promised window (``flush_interval``, 1 s by
default) before the kill must be there. The per-call children run with the crash ring on (it is
opt-in) and must lose far less (the ring's window: median at most ``RING_P50``); the multi-key and
bulk children run with the defaults.

The long version (hundreds of kills, p50/p99/max of the loss window) is
``python -m benchmarks.bench_durability --kills 200``; its figures are in benchmarks/RESULTS.md."""

from __future__ import annotations

import random

import pytest

from .killing import kill_once

PROMISE = 1.0  # Settings.flush_interval's default: README's "kill -9 loses at most the last flush interval"
# CI boxes run this beside other jobs (2 cores): a starved child's flusher runs late. The soak in
# benchmarks/ records the real p50/p99/max; here a run that breaks the promise by more than this fails
# (before issue 13 the first durable sync came 2.2-2.8 s after init, and none for 20 s on a cold cache)
SLACK = 1.0
MODES = ("percall", "multikey", "bulk")
# measured with the ring at load 8-15 on 2 cores: per-call/multi-key medians 0.00-0.13 s; single kills
# up to 0.76 s (a copier starved of the GIL and the CPU in the first second), and up to the flush's
# window when the store fell further behind than the ring holds (bulk arrays, once 8 keys per call)
RING_P50 = 0.25


def _plan(seed: int, n: int) -> list[tuple[str, str, float]]:
    rng = random.Random(seed)
    plan = []
    for i in range(n):
        after = rng.uniform(0.05, 1.0) if i % 2 else rng.uniform(2.5, 4.5)
        plan.append((MODES[i % 3], ("wandb", "clearml")[(i // 3) % 2], round(after, 3)))
    return plan


@pytest.mark.parametrize("cache", ["warm", "cold"])
def test_kill_loop_loses_nothing_older_than_the_promised_window(tmp_path, cache):
    n = 12 if cache == "warm" else 6
    outcomes = []
    for i, (mode, flavour, after) in enumerate(_plan(13 if cache == "warm" else 31, n)):
        root = tmp_path / f"k{i}"
        root.mkdir()
        env = {"NUMBA_CACHE_DIR": str(tmp_path / f"numba{i}")} if cache == "cold" else {}
        env["RINGLOG_CRASH_RING"] = str(64 << 20) if mode == "percall" else "0"
        outcomes.append(kill_once(root, mode, flavour, after, env=env))
    bad = [o for o in outcomes if not o.readable or o.problem or o.window > PROMISE + SLACK
           or (o.after > 2.5 and o.acked and o.stored == 0)]  # logging for seconds and nothing durable: a lost run
    assert not bad, "\n".join(map(str, bad))
    assert sum(o.stored for o in outcomes) > 0  # the check saw data, not only empty stores
    # the crash ring (replayed by kill_once's check, as the next writer would): per-call logging loses
    # about a copier period. The median, not the tail: a copier starved of the CPU on a busy box, or a
    # store further behind than the ring holds, is back to the flush's window, which the bound above covers
    windows = sorted(o.window for o in outcomes if o.mode == "percall")
    assert windows[len(windows) // 2] <= RING_P50, windows  # without the ring: p50 ~0.5-0.8 s (issue 13)
