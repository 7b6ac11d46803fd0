"""Where issue 18's fixed costs go: ``python -m benchmarks.fixed_costs [--repeat N]``.

Not a ``bench_*`` module (``benchmarks.run`` does not run it; no assertions): three probes, each in
a fresh process with default settings (capture on), printing one dict:

* ``memory``: RSS (MB) after each import stage, after ``init()``, after 1,000,000 ``log()`` calls
  and the peak (``VmHWM``);
* ``init``: ``init()``'s parts in ms (imports, numba registries, task creation, capture attach);
* ``finish``: ``finish()`` of 1,000 points right after ``init()`` (``--after 0``) or later, with the
  time spent in capture stop, the flusher's wait for the environment, the store's sync / metadata
  writes / close and the thread joins (seconds; nested timers overlap: the join holds the rest).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile

MEMORY = r"""
import sys


def rss():
    for l in open('/proc/self/status'):
        if l.startswith('VmRSS'): return int(l.split()[1])/1024
out = {"python": rss()}
import numpy; out["numpy"] = rss()
import ringlog, ringlog.wandb.api; out["ringlog.wandb.api"] = rss()
import zarr, numcodecs; out["zarr+numcodecs"] = rss()
import numba; out["numba+llvmlite"] = rss()
import ringlog.store; out["ringlog.store"] = rss()
from ringlog._engine import startup; startup.preload(); out["preload (numba registries, kernels)"] = rss()
run = ringlog.init(project='p', dir=sys.argv[1]); out["init"] = rss()
import math
for i in range(1_000_000): ringlog.log({'loss': 2.0 * math.exp(-i / 2e5) + 0.1})
out["after 1M log() calls"] = rss()
run.finish(); out["after finish"] = rss()
for l in open('/proc/self/status'):
    if l.startswith('VmHWM'): out["peak (VmHWM)"] = int(l.split()[1]) / 1024
print({k: round(v) for k, v in out.items()})
"""

INIT = r"""
import time, sys
T = {}
def tm(label, fn, *a, **k):
    t0 = time.perf_counter(); r = fn(*a, **k); T[label] = round((time.perf_counter() - t0) * 1e3, 1); return r
import importlib
tm("import ringlog.wandb.api", importlib.import_module, "ringlog.wandb.api")
from ringlog._engine import startup, runcore
from ringlog.capture import manager
tm("import ringlog.store", importlib.import_module, "ringlog.store")
tm("import core kernels", lambda: [importlib.import_module(m) for m in ("ringlog.core.stats", "ringlog.core.pyramid", "ringlog.core._warm")])
def reg():
    from numba.core.registry import cpu_target
    cpu_target.typing_context.refresh(); cpu_target.target_context.refresh()
tm("numba registries refresh", reg)
tm("preload rest", startup.preload)
orig_open = startup.open_task
startup.open_task = lambda core: tm("open_task (create folder, meta, catalog)", orig_open, core)
orig_attach = manager.attach
import ringlog.wandb.api as api
api.captures.attach = lambda core: tm("capture attach", orig_attach, core)
import ringlog
t0 = time.perf_counter()
run = ringlog.init(project="p", dir=sys.argv[1])
T["init total (after imports)"] = round((time.perf_counter() - t0) * 1e3, 1)
t0 = time.perf_counter(); ringlog.log({"a": 1.0}); T["first log us"] = round((time.perf_counter() - t0) * 1e6)
run.finish()
print(T)
"""

FINISH = r"""
import time, sys, threading
import ringlog
T = {}
def wrap(obj, name, label):
    f = getattr(obj, name)
    def w(*a, **k):
        t0 = time.perf_counter()
        try: return f(*a, **k)
        finally: T[label] = T.get(label, 0) + time.perf_counter() - t0
    setattr(obj, name, w)
t0 = time.perf_counter()
run = ringlog.init(project="p", dir=sys.argv[2])
t1 = time.perf_counter()
core = run._core
time.sleep(float(sys.argv[1]))
for i in range(1000): ringlog.log({"loss": i * 0.1})
fl = core.flusher
wrap(core.capture, "stop", "capture.stop")
wrap(fl.env_done, "wait", "env_done.wait(flusher)")
w = fl.writer
wrap(w, "sync", "writer.sync"); wrap(w, "close", "writer.close"); wrap(w, "set_meta", "writer.set_meta")
wrap(fl, "join", "flusher.join"); wrap(core.clock, "join", "clock.join"); wrap(core.outputs, "close_uploads", "close_uploads")
wrap(core, "write_side_records", "side_records")
t2 = time.perf_counter()
run.finish()
t3 = time.perf_counter()
print(f"init {t1-t0:.3f} finish {t3-t2:.3f}", {k: round(v, 4) for k, v in T.items()})
"""


def probe(code: str, *args: str) -> str:
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([sys.executable, "-c", code, *args, d], capture_output=True, text=True, timeout=600,
                             cwd=d)
    return out.stdout.strip() or out.stderr[-2000:]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--after", type=float, default=0.0, help="seconds between init() and the 1,000 points")
    a = p.parse_args()
    for _ in range(a.repeat):
        print("memory", probe(MEMORY))
        print("init", probe(INIT))
        print("finish", probe(FINISH, str(a.after)))


if __name__ == "__main__":
    main()
