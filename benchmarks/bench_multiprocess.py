"""Many processes logging one task (issue 16, part 3): aggregate ``run.log`` throughput.

P = 1, 2, 4, 8 processes each make ``n`` calls ``run.log({"loss": v, "acc": v})`` (two keys per
call, every process the same keys) at full speed, started together (each waits for a common start
time after its ``init``), either all into **one task** (W&B's shared mode: the first process writes
the task folder, the others their writer namespace, store/multiwriter.py) or each into **its own
task**. Aggregate calls/s = P * n / (last process done logging - start); the ratio is to one
process in the same run. Then every point is read back (merged series of the one task; each
separate task) and counted, and the merged key is charted: first chart (reading and merging every
part), a later full view and a zoom, against reading the parts' points once.

The machine this was measured on has 2 cores: each process runs a logging thread plus a flusher,
so no scaling beyond ~2x can be expected; more processes share the same two cores.

Not measured: a shared-memory ring through which same-node processes would hand points to one
writer (the issue's numba ring idea). Per-process writers need no coordination and lose nothing on a
``kill -9`` of a peer; the ring would save disk writers, not logging calls, and was not built.

Run: ``.venv/bin/python -m benchmarks.run bench_multiprocess`` (``--quick`` for CI) or
``.venv/bin/python benchmarks/bench_multiprocess.py [--n 200000] [--procs 1 2 4 8]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

from benchmarks._common import Row, check, print_table

_WORKER = textwrap.dedent("""
    import json, sys, time
    import ringlog
    root, how, label, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    s = ringlog.Settings(capture=False, handle_signals=False)
    if how == "one":
        run = ringlog.init(project="bench", id="shared", dir=root, settings=s.updated(mode="shared", x_label=label))
    else:
        run = ringlog.init(project="bench", id="task-" + label, dir=root, settings=s)
    log = run.log
    print("ready", flush=True)
    start = float(sys.stdin.readline())  # the common start, sent once every process is ready
    while time.time() < start:
        time.sleep(0.001)
    t0 = time.time()
    for i in range(n):
        log({"loss": i * 0.5, "acc": 1.0})
    t1 = time.time()
    run.finish()
    print(json.dumps({"t0": t0, "t1": t1, "finish": time.time() - t1}))
""")


def measure(procs: int, how: str, n: int, root: str) -> dict:
    """One trial: ``procs`` processes, ``how`` = "one" (one task) or "separate"; returns the figures."""
    ps = [subprocess.Popen([sys.executable, "-c", _WORKER, root, how, f"r{i}", str(n)], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(procs)]
    for p in ps:
        check(p.stdout.readline().strip() == "ready", "a worker did not start")
    start = time.time() + 0.2
    for p in ps:
        p.stdin.write(f"{start!r}\n")
        p.stdin.flush()
    outs = []
    for p in ps:
        out, err = p.communicate(timeout=600)
        check(p.returncode == 0, f"worker failed: {err[-2000:]}")
        outs.append(json.loads(out.strip().splitlines()[-1]))
    late = max(o["t0"] for o in outs) - start
    check(late < 2.0, f"a worker started logging {late:.2f} s after the common start")
    span = max(o["t1"] for o in outs) - start
    from ringlog.store import Store

    st = Store(root)
    if how == "one":
        count = st.task("shared").count("loss")
    else:
        count = sum(st.task(f"task-r{i}").count("loss") for i in range(procs))
    check(count == procs * n, f"{how}: {count:,} of {procs * n:,} points read back")
    out = {"calls_s": procs * n / span, "finish_s": max(o["finish"] for o in outs)}
    if how == "one" and procs > 1:
        out["chart"] = merged_chart(root, procs * n)
    return out


def merged_chart(root: str, total: int) -> dict:
    """Chart latency of the merged "loss" (every writer's points in one series): the first chart
    (reading and merging every part), a later full view and a 10 % zoom, each from a fresh reader
    of one store (as the viewer asks), against reading every part's raw points once (baseline)."""
    from ringlog.store import Store
    from ringlog.store.namespaces import namespace_dirs
    from ringlog.store.reader import TaskReader

    st = Store(root)
    path = st.task("shared").path
    t0 = time.perf_counter()
    parts = [TaskReader(path, own_only=True).scalar("loss")]
    parts += [TaskReader(p).scalar("loss") for _, p in namespace_dirs(path)]
    read = time.perf_counter() - t0
    check(sum(len(p) for p in parts) == total, "the parts hold every point")
    from ringlog.core import warmup

    warmup()  # the kernels load once per viewer process: not part of a chart's cost
    st = Store(root)  # a cold cache for the charts
    t0 = time.perf_counter()
    first = st.task("shared").decimate("loss", points=2000)
    t1 = time.perf_counter()
    st.task("shared").decimate("loss", points=2000)
    t2 = time.perf_counter()
    hi = int(first.x[-1])
    st.task("shared").decimate("loss", points=2000, x_min=hi * 0.45, x_max=hi * 0.55)
    t3 = time.perf_counter()
    return {"read": read, "first": t1 - t0, "again": t2 - t1, "zoom": t3 - t2, "points": total}


def run(quick: bool = False, n: int | None = None, procs=None) -> list[Row]:
    n = n or (20_000 if quick else 200_000)
    procs = procs or ((1, 2) if quick else (1, 2, 4, 8))
    rows = []
    charts: list[dict] = []
    base = None
    for p in procs:
        for how in ("one", "separate"):
            if how == "separate" and p == 1:
                continue  # the same as one task
            with tempfile.TemporaryDirectory(prefix="ringlog-bench-mp-") as root:
                m = measure(p, how, n, root)
            base = base or m["calls_s"]
            what = "one task" if how == "one" else f"{p} separate tasks"
            rows.append(Row(f"{p} process(es), {what}", m["calls_s"], "calls/s", "",
                            f"x{m['calls_s'] / base:.2f} of 1 process; slowest finish {m['finish_s']:.2f} s"))
            if "chart" in m:
                c = m["chart"]
                charts.append(c)
                note = f"{p} writers, {c['points']:,} points"
                rows.append(Row(f"{p} writers: read every part's points (baseline)", c["read"] * 1e3, "ms", "", note))
                rows.append(Row(f"{p} writers: first chart of the merged key", c["first"] * 1e3, "ms",
                                "<= 4x baseline + 0.5 s", f"x{c['first'] / c['read']:.2f} of baseline"))
                rows.append(Row(f"{p} writers: later full view", c["again"] * 1e3, "ms", "<= 1x baseline + 0.2 s"))
                rows.append(Row(f"{p} writers: 10 % zoom", c["zoom"] * 1e3, "ms", "<= 1x baseline + 0.2 s"))
    print_table(f"Many processes logging ({n:,} calls of 2 keys per process, {os.cpu_count()} cores)", rows)
    got = {r.name: r.value for r in rows}
    floor = 0.15 if quick else 0.4  # quick trials last ~0.1 s: a loaded CI machine swings them more
    for p in procs[1:]:  # writers of one task share nothing: as fast as separate tasks, noise aside
        one, sep = got[f"{p} process(es), one task"], got[f"{p} process(es), {p} separate tasks"]
        check(one >= floor * sep, f"{p} processes into one task: {one:,.0f} calls/s, under {floor}x of {p} "
                                  f"separate tasks' {sep:,.0f}")
    for c in charts:  # the merge is a sort of every point: a small multiple of reading them
        check(c["first"] <= 4 * c["read"] + 0.5, f"merged first chart {c['first']:.2f} s vs reading {c['read']:.2f} s")
        for k in ("again", "zoom"):
            check(c[k] <= c["read"] + 0.2, f"merged {k} {c[k]:.2f} s vs reading {c['read']:.2f} s")
    return rows


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="calls per process")
    ap.add_argument("--procs", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    run(quick=a.quick, n=a.n, procs=tuple(a.procs))
