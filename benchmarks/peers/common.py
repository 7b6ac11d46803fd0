"""The one workload every peer script runs, inside that peer's own venv (stdlib only).

A peer script is run as ``python peer_<name>.py FORM VARIANT N ROOT`` by the driver:

* ``FORM`` ``one``: N calls of one key (``loss``) at steps 0..N-1; ``keys10``: N/10 steps of 10
  keys each (the tool's own many-keys form); ``read``: read back, with the tool's own reader API,
  every point of ``loss`` that a ``one`` process left in ROOT;
* ``VARIANT``: the call form when a tool has two (ringlog: ``wandb`` / ``clearml``; MLflow:
  ``log_metric`` / ``log_batch``);
* ``ROOT``: the folder the run writes into (everything the tool writes goes under it, so its size
  is the run's bytes on disk).

The values are a noisy decaying loss computed in float32 and converted to Python floats before
any clock starts (``loss.item()`` of a float32 tensor gives such floats). The script prints one
JSON line: ``import``, ``init``, ``loop``, ``finish`` seconds (``total`` = loop + finish; the
same as this process's CPU seconds, all its threads, under ``cpu_*``: not a helper process's),
``points``, ``bytes`` (the size of ROOT after finish), ``rss`` (peak RSS, VmHWM, MB); for ``read``:
``read`` seconds (from after the import to every value in hand), ``points`` read and their sum.
"""

from __future__ import annotations

import json
import math
import os
import random
import struct
import sys
import time

KEYS10 = [f"layer{j}/grad" for j in range(10)]


class Workload:
    """Parses argv, builds the values, keeps the clock; the peer script does the calls inline (a
    helper call per point would add its own cost to every tool's loop)."""

    def __init__(self, argv: list[str] | None = None) -> None:
        argv = sys.argv[1:] if argv is None else argv
        if len(argv) != 4 or argv[0] not in ("one", "keys10", "read"):
            raise SystemExit(f"usage: {sys.argv[0]} one|keys10|read VARIANT N ROOT (got {argv!r})")
        self.form, self.variant, self.n, self.root = argv[0], argv[1], int(argv[2]), argv[3]
        os.makedirs(self.root, exist_ok=True)
        self.steps = self.n // 10 if self.form == "keys10" else self.n
        self.vals = curve(self.steps)
        self.out: dict = {"form": self.form, "variant": self.variant}
        self._t, self._cpu = time.perf_counter(), time.process_time()

    def mark(self, name: str) -> None:
        """Time since the previous mark, stored under ``name``."""
        now, cpu = time.perf_counter(), time.process_time()
        self.out[name] = now - self._t
        self.out["cpu_" + name] = cpu - self._cpu
        if name == "loop":  # a tool's helper processes (wandb-core) before finish() may end them
            self.out["helpers_rss"] = helpers_hwm()
        self._t, self._cpu = time.perf_counter(), time.process_time()

    def emit(self, points: int, read_sum: float | None = None) -> None:
        out = self.out
        out["points"] = points
        if self.form == "read":
            out["sum"] = read_sum
        else:
            out["total"] = out["loop"] + out["finish"]
            out["cpu_total"] = out["cpu_loop"] + out["cpu_finish"]
            out["bytes"] = du(self.root)
            out["helpers_rss"] = max(out.get("helpers_rss", 0.0), helpers_hwm())
        out["rss"] = vmhwm()
        sys.stdout.flush()
        print(json.dumps(out), flush=True)


def curve(n: int) -> list[float]:
    """A noisy decaying loss rounded to float32, as Python floats (pure Python: a peer's venv need
    not hold numpy, and its peak RSS should not count one it does not import)."""
    rng, tau = random.Random(0), max(1.0, n / 5)
    y = [2.0 * math.exp(-i / tau) + 0.1 + 0.05 * rng.gauss(0.0, 1.0) for i in range(n)]
    return list(struct.unpack(f"{n}f", struct.pack(f"{n}f", *y)))


def vmhwm(pid: str = "self") -> float:
    """Peak resident set (VmHWM) of a process, MB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def helpers_hwm() -> float:
    """The peak RSS of this process's live descendants added up, MB: a tool that logs through a
    helper process (wandb's ``wandb-core``) holds that memory too."""
    todo, seen, total = [str(os.getpid())], set(), 0.0
    while todo:
        pid = todo.pop()
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    kids = f.read().split()
            except OSError:
                continue
            for kid in kids:
                if kid not in seen:
                    seen.add(kid)
                    todo.append(kid)
                    total += vmhwm(kid)
    return total


def du(path: str) -> int:
    """Bytes of every regular file under ``path`` (links not followed)."""
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total
