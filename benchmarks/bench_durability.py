"""Durability figures: the kill-9 loss window, runs lost, and the first log() on a cold numba cache.

Full soak (documented in benchmarks/RESULTS.md; minutes):
``python -m benchmarks.bench_durability --kills 200`` - children logging per call, 8 keys per call and
bulk arrays in both flavours are SIGKILLed at random moments (a third in the first second, a third on
a cold numba cache); after each kill the store is reopened and every series checked bit-exact. The loss
window of a kill is how long before the kill the first lost point was acknowledged; a run is *lost*
when its store is unreadable, its data wrong, or nothing of it is durable though it logged for more
than the promised window. ``--quick`` (CI, via ``benchmarks.run --quick``): 6 kills. The crash ring
(FORMAT.md, "Crash ring") is off, as by default; ``--ring on`` runs the same soak with it
(``RINGLOG_CRASH_RING`` = 64 MiB), each store recovered (its ring replayed) before the check.

Crash ring cost: a child logs 2M points per call with the ring on and off (alternating, 3 rounds);
the rows give the logging thread's CPU per call and the copier thread's CPU per million points.

First log on a cold cache: a fresh process with an empty ``NUMBA_CACHE_DIR`` times ``init()``, its first
``log()`` call, and how long until that point can be read back by another reader (``flush()`` not used).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from ._common import Row, check, print_table

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "durability"))
from killing import kill_once  # noqa: E402

PROMISE = 1.0  # Settings.flush_interval's default

FIRST_LOG = r"""
import sys, time
t0 = time.perf_counter()
import ringlog
run = ringlog.init(project="p", dir=sys.argv[1])
t1 = time.perf_counter()
c1 = time.thread_time()
ringlog.log({"loss": 0.25})
t2 = time.perf_counter()
cpu = time.thread_time() - c1
from ringlog.store import Store
store = Store(sys.argv[1])
while True:
    try:
        if store.task(run.id).count("loss", "loss") == 1:
            break
    except Exception:
        pass
    time.sleep(0.005)
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, cpu)
"""


def first_log(cold: bool) -> tuple[float, float, float, float]:
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ)
        if cold:
            env["NUMBA_CACHE_DIR"] = os.path.join(d, "numba")
        out = subprocess.run([sys.executable, "-c", FIRST_LOG, os.path.join(d, "data")], env=env, cwd=d,
                             capture_output=True, text=True, timeout=600, check=True)
        a, b, c, cpu = (float(x) for x in out.stdout.split()[-4:])
        return a, b, c, cpu


RING_COST = r"""
import os, sys, time
import ringlog
from ringlog._engine import lifecycle
run = ringlog.init(project="p", dir=sys.argv[1], settings=ringlog.Settings(capture=False))
n = 2_000_000
c0 = time.thread_time()
for i in range(n):
    ringlog.log({"loss": 0.5})
cpu = time.thread_time() - c0
ring = lifecycle.open_runs()[0].flusher.ring
ring_cpu = ring.cpu_s if ring is not None else 0.0
ringlog.finish()
print(cpu / n, ring_cpu / n * 1e6)
"""


def ring_cost(rounds: int = 3) -> dict:
    """Logging thread CPU per call (s) and copier CPU per 1M points (s), ring on and off (medians)."""
    out = {"on": [], "off": []}
    for _ in range(rounds):
        for ring in ("on", "off"):
            with tempfile.TemporaryDirectory() as d:
                env = dict(os.environ, RINGLOG_CRASH_RING="0" if ring == "off" else str(64 << 20))
                r = subprocess.run([sys.executable, "-c", RING_COST, os.path.join(d, "data")], env=env, cwd=d,
                                   capture_output=True, text=True, timeout=600, check=True)
                out[ring].append(tuple(float(x) for x in r.stdout.split()[-2:]))
    return {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for k, v in out.items()}


def soak(kills: int, seed: int = 7, ring: bool = False) -> list:
    rng = random.Random(seed)
    outcomes = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(kills):
            mode = ("percall", "multikey", "bulk")[i % 3]
            flavour = ("wandb", "clearml")[(i // 3) % 2]
            after = rng.uniform(0.05, 1.0) if i % 3 == 1 else rng.uniform(1.0, 5.0)
            root = Path(d) / f"k{i}"
            root.mkdir()
            env = {"NUMBA_CACHE_DIR": os.path.join(d, f"numba{i}")} if (i // 3) % 3 == 2 else {}  # a third of each mode
            cold = bool(env)
            env["RINGLOG_CRASH_RING"] = str(64 << 20) if ring else "0"
            o = kill_once(root, mode, flavour, after, env=env)
            o.cold = cold  # type: ignore[attr-defined]
            outcomes.append(o)
            print(f"  kill {i + 1}/{kills}: {mode:8s} {flavour:7s} {'cold' if cold else 'warm'} after {after:.2f} s: "
                  f"window {o.window:.3f} s, {o.stored:,}/{o.acked:,} points{' ' + o.problem if o.problem else ''}",
                  flush=True)
    return outcomes


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def run(quick: bool = False, kills: int | None = None, ring: bool = False) -> list[Row]:
    kills = kills or (6 if quick else 60)
    rows = []
    init_s, log_s, readable_s, log_cpu = first_log(cold=True)
    rows += [Row("cold cache: init() returns", init_s, "s", note="imports + task created on the caller's thread"),
             Row("cold cache: first log() call", log_s * 1e6, "us", "never waits on a compile",
                 f"its own CPU: {log_cpu * 1e6:.0f} us"),
             Row("cold cache: first point readable by another reader", readable_s, "s", f"<= {PROMISE} s")]
    w_init, w_log, w_readable, _ = first_log(cold=False)
    rows += [Row("warm cache: init() returns", w_init, "s"),
             Row("warm cache: first point readable", w_readable, "s", f"<= {PROMISE} s")]
    if not quick:
        cost = ring_cost()
        rows += [Row("crash ring off: logging thread CPU per log() call", cost["off"][0] * 1e6, "us"),
                 Row("crash ring on: logging thread CPU per log() call", cost["on"][0] * 1e6, "us",
                     note=f"{cost['on'][0] / cost['off'][0]:.2f}x off"),
                 Row("crash ring on: copier thread CPU per 1M points", cost["on"][1], "s")]
    outcomes = soak(kills, ring=ring)
    windows = [o.window for o in outcomes if o.readable]
    lost = [o for o in outcomes if not o.readable or o.problem or (o.acked and o.stored == 0 and o.after > PROMISE + 0.5)]
    groups = [("all", outcomes), ("cold cache", [o for o in outcomes if o.cold]),
              ("warm cache", [o for o in outcomes if not o.cold])]
    groups += [(f"{m}, {c}", [o for o in outcomes if o.mode == m and o.cold == (c == "cold")])
               for m in ("percall", "multikey", "bulk") for c in ("warm", "cold")]
    for label, sel in groups:
        ws = [o.window for o in sel if o.readable]
        if ws:
            rows += [Row(f"kill -9 loss window p50 ({label}, {len(ws)} kills)", statistics.median(ws), "s"),
                     Row(f"kill -9 loss window p99 ({label})", _pct(ws, 0.99), "s", f"<= {PROMISE} s"),
                     Row(f"kill -9 loss window max ({label})", max(ws), "s")]
    rows.append(Row("runs lost (unreadable, wrong data, or nothing durable)", len(lost), "runs", "0"))
    print_table(f"durability ({kills} kills, flush_interval {PROMISE} s, crash ring {'on' if ring else 'off'})", rows)
    check(not lost, f"{len(lost)} runs lost: {lost}")
    check(log_cpu < 0.02 and log_s < 0.5, f"the first log() on a cold cache took {log_s:.3f} s ({log_cpu:.3f} s "
                                          "of its own CPU): it must not compile, import or wait on a compile")
    check(max(windows) < 3 * PROMISE, f"a kill lost {max(windows):.2f} s of acknowledged points")
    return rows


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kills", type=int, default=60)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--ring", choices=("on", "off"), default="off", help="the crash ring (default off, as in the SDK)")
    a = p.parse_args()
    run(quick=a.quick, kills=None if a.quick else a.kills, ring=a.ring == "on")
