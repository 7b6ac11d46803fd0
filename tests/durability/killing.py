"""Kill one logging child at a chosen moment and measure what survived (tests and benchmarks share it).

:func:`kill_once` starts ``_child.py`` in a fresh process, SIGKILLs it ``after`` seconds after its
``init()`` returned, then opens the store (after :func:`ringlog.recover`, as the next open of the
task would) and checks every series: the stored points must be a bit-exact prefix of what was
logged. The *loss window* is the time between the kill and the moment the last stored point was
acknowledged by the logging call (0 when everything acknowledged is stored).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CHILD = Path(__file__).with_name("_child.py")
REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(CHILD.parent))
from _child import KEYS, value  # noqa: E402


@dataclass
class Outcome:
    mode: str
    after: float  # seconds after init() returned
    acked: int  # points (steps) acknowledged at the kill
    stored: int  # points stored for the least complete series (a prefix, checked bit-exact)
    window: float  # seconds of acknowledged points lost (see the module docstring)
    readable: bool
    problem: str = ""


def _marks(text: str):
    tid, init_t, marks = None, None, []
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["TASK"]:
            tid = parts[1]
        elif parts[:1] == ["INIT"]:
            init_t = float(parts[1])
        elif parts[:1] == ["MARK"]:
            marks.append((float(parts[1]), int(parts[2])))
    return tid, init_t, marks


def kill_once(root: Path, mode: str, flavour: str, after: float, env: dict | None = None,
              timeout: float = 60.0) -> Outcome:
    """Run one child in ``root``, kill it ``after`` seconds after init returned, check the store."""
    e = dict(os.environ)
    e.update(env or {})
    e.setdefault("PYTHONPATH", "")
    errf = open(root / "child.stderr", "w+b")  # a file, not a pipe: a chatty child never blocks on it
    proc = subprocess.Popen([sys.executable, str(CHILD), str(root), mode, flavour], stdout=subprocess.PIPE,
                            stderr=errf, env=e, cwd=str(root))
    out = b""
    init_t = None
    deadline = time.monotonic() + timeout
    os.set_blocking(proc.stdout.fileno(), False)
    try:
        while time.monotonic() < deadline:
            chunk = proc.stdout.read() or b""
            out += chunk
            if init_t is None and b"INIT " in out and b"\n" in out[out.index(b"INIT "):]:
                init_t = float(out[out.index(b"INIT "):].split()[1])
            if init_t is not None and time.time() >= init_t + after:
                break
            if proc.poll() is not None:
                break
            time.sleep(0.002)
        kill_t = time.time()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        out += proc.stdout.read() or b""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        errf.seek(0)
        err = errf.read().decode(errors="replace")
        errf.close()
    tid, init_t, marks = _marks(out.decode(errors="replace"))
    if tid is None:
        return Outcome(mode, after, 0, 0, 0.0, True, f"child never started a run: {err[-2000:]}")
    return check(root, tid, mode, marks, kill_t, after, err)


def check(root: Path, tid: str, mode: str, marks, kill_t: float, after: float, err: str = "",
          recover: bool = True) -> Outcome:
    """Open the store and check each series of task ``tid`` against the child's marks."""
    from ringlog.store import Store

    acked = marks[-1][1] if marks else 0
    try:
        if recover:  # what the next writer of the task (or `ringlog fsck --repair`) does: replay the crash ring
            from ringlog.store.crashring_recover import recover as replay

            replay(root)
        reader = Store(root).task(tid)
        keys = {"percall": KEYS[:1], "multikey": KEYS, "bulk": KEYS[:2]}[mode]
        stored = None
        for k in keys:
            n = reader.count(k, k) if (k, k) in reader.series() else 0
            if n:
                sc = reader.scalar(k, k)
                exp = np.arange(n, dtype=np.int64)
                if not np.array_equal(sc.step, exp):
                    return Outcome(mode, after, acked, n, 0.0, True, f"{k}: stored steps are not 0..{n - 1}")
                if not np.array_equal(sc.value.view(np.int64), value(exp).view(np.int64)):
                    return Outcome(mode, after, acked, n, 0.0, True, f"{k}: values differ from what was logged")
            stored = n if stored is None else min(stored, n)
    except Exception as exc:  # an unreadable store
        return Outcome(mode, after, acked, 0, float("inf"), False, f"{exc!r}\n{err[-2000:]}")
    stored = stored or 0
    # the first mark at which more than `stored` points were acknowledged: everything from then on
    # is what was lost; its age at the kill is the loss window
    window, prev = 0.0, None
    for t, n in marks:
        if n > stored:  # the first lost point was acknowledged after the previous mark
            window = max(0.0, kill_t - (prev if prev is not None else t))
            break
        prev = t
    return Outcome(mode, after, acked, stored, window, True)
