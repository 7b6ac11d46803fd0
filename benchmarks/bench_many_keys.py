"""Many distinct keys through the SDK (issue 13, item 9): ``finish()`` of W&B rows of K keys.

``python -m benchmarks.bench_many_keys`` (100,000 keys, the issue's figure) or ``--quick`` (20,000,
for CI); ``--keys K`` sets K. A fresh process logs K distinct keys for 3 steps (``run.log`` of a
K-key dict per step, durable, as users run) and times the log calls and ``finish()``, with the
flusher thread's CPU time; the task folder's file count shows that tiny series write no files of
their own. Baseline, same run: a fresh process logs the same 3K points under one key, then finishes.

Checks, chosen to hold on a loaded 2-core machine: the batched path is taken (at most K/10
one-by-one ``TaskWriter.append`` calls for the 3K batches: 3K before it), the task folder holds at
most 24 files whatever K (no file per tiny series), and ``finish()`` <= max(12 s, 60x the baseline's
log + finish) against a disaster (measured at load ~11: 9.4 s before, 5.3 s after for 20,000 keys;
the figures are in RESULTS.md, issue 13).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from benchmarks._common import Row, check, print_table

CHILD = textwrap.dedent("""
    import json, os, sys, time
    import ringlog
    from ringlog.store import TaskWriter
    calls = [0]
    one = TaskWriter.append

    def counted(self, *a, **k):  # one-point appends the batched path (TaskWriter.append_many) spares
        calls[0] += 1
        return one(self, *a, **k)

    TaskWriter.append = counted
    root, keys, wide = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "wide"
    run = ringlog.init(project="bench", name="many-keys", dir=root,
                       settings=ringlog.Settings(capture=False, handle_signals=False, finish_timeout=900))
    run._core.flusher.warm.wait(120)
    names = [f"layer{i:06d}/grad_norm" for i in range(keys)]
    t0, c0 = time.perf_counter(), time.thread_time()
    if wide:
        for step in range(3):
            run.log({k: float(step) for k in names})
    else:
        for i in range(3 * keys):
            run.log({"loss": 0.5})
    t1, c1 = time.perf_counter(), time.thread_time()
    run.finish()
    t2 = time.perf_counter()
    task = next(p for p in __import__("pathlib").Path(root).rglob("series.json")).parent
    files = sum(1 for p in task.rglob("*") if p.is_file())
    bad = 0  # every point read back (tests/sdk/test_many_keys.py does the same at CI size)
    if wide:
        from ringlog.store import Store
        r = Store(root).task(run.id)
        for k in names:
            sc = r.scalar(k)
            bad += sc.step.tolist() != [0, 1, 2] or sc.value.tolist() != [0.0, 1.0, 2.0]
    print(json.dumps({"log": t1 - t0, "log_cpu": c1 - c0, "finish": t2 - t1, "cpu": run._core.flusher.cpu_s,
                      "files": files, "appends": calls[0], "bad": bad,
                      "load": float(open("/proc/loadavg").read().split()[0]), "id": run.id}))
""")


def measure(root: Path, keys: int, wide: bool) -> dict:
    r = subprocess.run([sys.executable, "-c", CHILD, str(root), str(keys), "wide" if wide else "narrow"],
                       capture_output=True, text=True, timeout=1800)
    check(r.returncode == 0, f"many-keys child failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def run(quick: bool, keys: int | None = None) -> list[Row]:
    keys = keys or (20_000 if quick else 100_000)
    tmp = Path(tempfile.mkdtemp(prefix="ringlog-bench-many-keys-"))
    try:
        base = measure(tmp / "narrow", keys, wide=False)
        w = measure(tmp / "wide", keys, wide=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    b = base["log"] + base["finish"]
    rows = [Row(f"log() of {keys:,} keys x 3 steps: the log calls", w["log"], "s"),
            Row(f"log() of {keys:,} keys x 3 steps: finish()", w["finish"], "s", "<= 5 (issue 13)",
                f"{w['finish'] / b:.1f}x baseline; flusher CPU {w['cpu']:.2f} s in all; load {w['load']:.1f}"),
            Row(f"flusher CPU per series ({keys:,} x 3 points), all cycles and the close", w["cpu"] / keys * 1e6, "us",
                "", f"{w['cpu'] / w['log_cpu']:.2f}x the CPU of the log calls ({w['log_cpu'] / keys * 1e6:.1f} us per key)"),
            Row(f"files in the task folder, {keys:,} series", w["files"], "files", "<= 24",
                f"no file per tiny series; {keys - w['bad']:,} of {keys:,} series read back exactly"),
            Row(f"TaskWriter.append calls for {3 * keys:,} batches", w["appends"], "calls", f"<= {keys // 10:,}",
                "the rest added vectorised by append_many"),
            Row(f"same {3 * keys:,} points under one key, log + finish (baseline)", b, "s", "",
                f"finish {base['finish']:.2f} s; flusher CPU {base['cpu']:.2f} s")]
    print_table("SDK: many keys" + (" (quick)" if quick else ""), rows)
    check(w["files"] <= 24, f"{w['files']} files in the task folder of {keys:,} short series")
    check(w["bad"] == 0, f"{w['bad']:,} of {keys:,} series did not read back exactly")
    check(w["appends"] <= keys // 10, f"{w['appends']:,} single appends for {keys:,} keys x 3 steps: the "
                                       "batched path is not taken")
    check(w["finish"] <= max(12.0, 60 * b),
          f"finish() of {keys:,} keys x 3 steps took {w['finish']:.1f} s (one key, same points: {b:.2f} s)")
    return rows


if __name__ == "__main__":
    k = sys.argv[sys.argv.index("--keys") + 1] if "--keys" in sys.argv else None
    run(quick="--quick" in sys.argv, keys=int(k) if k else None)
