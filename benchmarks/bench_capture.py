"""Capture benchmarks: console tee cost per print, system sampler CPU, TensorBoard add_scalar overhead.

``python -m benchmarks.run [--quick] bench_capture``. Baselines are measured in the same run:

* console (Python level): ``print(line, file=tee)`` where the tee wraps a ``StringIO``, vs
  ``print(line, file=StringIO)``; target <= 2 us added per print. The background pump that
  folds lines is timed separately (CPU seconds per million lines, off the user's thread).
* console (fd level, in a subprocess): ``print(line, flush=True)`` (what a terminal's line
  buffering does) with stdout a pipe into ``cat`` (as a terminal or a log collector reads it),
  without and with fd capture (then the write goes to our pipe and a reader thread copies it
  on); reported, not asserted: it is two syscalls and a thread wake-up, noisy on a shared box.
* sampler: the sampler thread's own CPU time (``time.thread_time`` inside the thread) per
  sample, as a share of one core at the default 2 s interval; target <= 1 %. Quick mode
  samples every 0.1 s for about 1.5 s and projects to 2 s (the per-sample cost does not depend
  on the interval).
* TensorBoard: ``torch.utils.tensorboard.SummaryWriter.add_scalar`` with and without the
  capture mirroring into a real run (``ringlog.init``), alternating; target <= 20 % added CPU
  time on the caller's thread (``time.thread_time``: what the call costs the training loop),
  as the median over rounds of each captured round against the base round just before it.
  The wall-clock ratio is reported too; it also holds the run's flusher storing the mirrored
  points on its own thread (the SDK's cost, see ``bench_sdk``) and is noisy on a shared box.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

from ._common import Row, best_of, check, print_table


class _Recorder:
    """The hooks the captures call, recording like the SDK's checked path (validate + append)."""

    system_title = "system"  # RunSink: where the sampler reports (a shared task's process: system/<label>)

    def __init__(self) -> None:
        self.points: list = []
        self.console: list = []
        self.warnings: list = []

    def report_scalar(self, title, series, value, iteration):
        if not isinstance(title, str) or not isinstance(series, str):
            raise TypeError("title/series")
        v = value if type(value) is float else float(value.item() if hasattr(value, "item") else value)
        self.points.append((title, series, v, int(iteration)))

    def report_array(self, title, series, values, iterations, times=None):
        for v, i in zip(values, iterations):
            self.report_scalar(title, series, v, i)

    def console_write(self, stream, text, level="info", time=None):
        self.console.append((stream, text))

    def warn_once(self, kind, message):
        self.warnings.append((kind, message))


def _console_python(n: int) -> tuple[float, float, float]:
    from ringlog.capture.console import ConsoleCapture, PyTee
    from ringlog.capture.console_lines import LineFolder

    line = "epoch 3 step 1200 loss 0.123456 acc 0.9876"

    def bare():
        out = io.StringIO()
        for _ in range(n):
            print(line, file=out)

    queue: list = []

    def teed():
        tee = PyTee(io.StringIO(), queue)
        for _ in range(n):
            print(line, file=tee)
        queue.clear()

    base = best_of(bare, 5) / n
    tee = best_of(teed, 5) / n
    # the pump's share: fold n lines' worth of chunks (2 per print) into the sink
    rec = _Recorder()
    cap = ConsoleCapture(lambda s, t, tm: rec.console.append(t), period=3600, fd_level=False)
    q: list = []
    cap.queues.append(("stdout", q, LineFolder()))
    now = time.time()
    for _ in range(n):
        q.append((now, line))
        q.append((now, "\n"))
    t0 = time.thread_time()
    cap.drain()
    pump = time.thread_time() - t0
    assert len(rec.console) == n
    return base, tee, pump / n


FD_SCRIPT = textwrap.dedent('''
    import json, os, sys, time
    n, capture = int(sys.argv[1]), sys.argv[2] == "1"
    if capture:
        from ringlog.capture.console import ConsoleCapture
        got = []
        cap = ConsoleCapture(lambda s, t, tm: got.append(t), period=0.5).start()
    line = "epoch 3 step 1200 loss 0.123456 acc 0.9876"
    best = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            print(line, flush=True)
        best = min(best, time.perf_counter() - t0)
    if capture:
        cap.stop()
    os.write(2, json.dumps({"per_print": best / n, "logged": len(got) if capture else 0}).encode())
''')


def _console_fd(n: int) -> tuple[float, float, int]:
    """Per-print cost with stdout a pipe into another process (as a terminal or a log collector
    reads it), without and with fd-level capture."""
    out = []
    for capture in ("0", "1"):
        with open(os.devnull, "wb") as devnull:
            reader = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=devnull)
            try:
                p = subprocess.run([sys.executable, "-c", FD_SCRIPT, str(n), capture], stdout=reader.stdin,
                                   stderr=subprocess.PIPE, timeout=300)
            finally:
                reader.stdin.close()
                reader.wait(60)
        if p.returncode != 0:
            raise AssertionError(f"fd-level console benchmark failed: {p.stderr.decode()[-2000:]}")
        out.append(json.loads(p.stderr.decode().strip().splitlines()[-1]))
    return out[0]["per_print"], out[1]["per_print"], out[1]["logged"]


def _sampler(quick: bool) -> tuple[float, int, float]:
    from ringlog.capture.sysmetrics import SystemSampler

    interval = 0.1 if quick else 2.0
    duration = 1.5 if quick else 20.0
    rec = _Recorder()
    s = SystemSampler(rec, interval, disk_path=tempfile.gettempdir())
    s.start()
    s.stop_event.wait(duration)
    s.stop()
    per_sample = s.cpu_seconds / max(1, s.samples)
    return per_sample, s.samples, len({(t, k) for t, k, _, _ in rec.points})


def _tensorboard(n: int, reps: int) -> tuple[float, float, float, float]:
    """(base CPU/call, captured CPU/call, median paired overhead, wall-clock overhead)."""
    import shutil
    import warnings

    import ringlog
    from torch.utils.tensorboard import SummaryWriter

    from ringlog.capture.tensorboard import TBCapture

    tmp = tempfile.mkdtemp(prefix="ringlog-bench-tb-")
    w = SummaryWriter(os.path.join(tmp, "tb"), max_queue=100000, flush_secs=3600)

    def loop():
        for i in range(n):
            w.add_scalar("Loss/train", 0.5, i)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = ringlog.init(project="bench", dir=os.path.join(tmp, "store"), capture=False,
                           settings=ringlog.Settings(handle_signals=False, staging_limit=1 << 24))
        run._core.flusher.ready.wait(120)  # the store exists and the kernels are warm: a quiet background
        run.log({"warm": 1.0})
        run._core.flush(wait=True, timeout=120)
        loop()  # warm the writer
        cap = TBCapture(run._core)  # mirrors into a real run (the SDK's staging)
        base, captured, wall_base, wall_cap = [], [], [], []
        try:
            for _ in range(reps):  # alternate, so background threads weigh on both sides alike
                for on, cpu, wall in ((False, base, wall_base), (True, captured, wall_cap)):
                    if on:
                        cap.start()
                    t0, c0 = time.perf_counter(), time.thread_time()
                    loop()
                    cpu.append((time.thread_time() - c0) / n)
                    wall.append((time.perf_counter() - t0) / n)
                    cap.stop()
        finally:
            cap.stop()
            run.finish()
    w.close()
    shutil.rmtree(tmp, ignore_errors=True)
    import statistics

    # each captured round is paired with the base round just before it (same load on the box);
    # the median of the paired ratios shrugs off a round that another process disturbed
    paired = statistics.median(c / b for b, c in zip(base, captured))
    return min(base), min(captured), paired - 1, min(wall_cap) / min(wall_base) - 1


def run(quick: bool = False) -> list[Row]:
    rows: list[Row] = []
    n = 20_000 if quick else 200_000
    base, tee, pump = _console_python(n)
    added = tee - base
    rows.append(Row("print to StringIO (baseline)", base * 1e6, "us/print"))
    rows.append(Row("print through the Python tee", tee * 1e6, "us/print"))
    rows.append(Row("added by the Python tee", added * 1e6, "us/print", "<= 2 us"))
    rows.append(Row("pump: fold + sink, off-thread", pump * 1e6, "us/line", "", "background thread"))
    fd_base, fd_cap, logged = _console_fd(2_000 if quick else 20_000)
    rows.append(Row("print(flush=True) into a pipe", fd_base * 1e6, "us/print"))
    rows.append(Row("same, fd-level capture on", fd_cap * 1e6, "us/print", "", f"{logged:,} lines logged"))
    per_sample, samples, series = _sampler(quick)
    check(samples > 0 and series > 0, f"the sampler took {samples} samples of {series} series (it failed)")
    share = per_sample / 2.0
    rows.append(Row("sampler CPU per sample", per_sample * 1e3, "ms", "", f"{samples} samples, {series} series"))
    rows.append(Row("sampler share of a core at 2 s", share * 100, "%", "<= 1 %"))
    tb_base, tb_cap, over, wall_over = _tensorboard(20_000, 15)  # 15 rounds: a few disturbed pairs do not move the median (9 swung 5-25 % on a quiet box)
    rows.append(Row("SummaryWriter.add_scalar", tb_base * 1e6, "us CPU/call", "", "caller's thread, best round"))
    rows.append(Row("add_scalar with capture", tb_cap * 1e6, "us CPU/call", "", "caller's thread, best round"))
    rows.append(Row("TensorBoard capture overhead", over * 100, "%", "<= 20 %", "median of paired rounds"))
    rows.append(Row("same, wall clock", wall_over * 100, "%", "",
                    "includes the run's flusher storing the mirrored points"))
    print_table("capture" + (" (quick)" if quick else ""), rows)
    check(added <= 2e-6, f"the Python console tee adds {added * 1e6:.2f} us per print (target <= 2 us)")
    check(share <= 0.01, f"the sampler uses {share * 100:.2f} % of a core at 2 s (target <= 1 %)")
    check(logged == 3 * (2_000 if quick else 20_000), f"fd-level capture logged {logged} lines")
    # quick mode (20k calls a round) read 5-25 % on a quiet box in one hour (about +1.5 us CPU on a
    # ~9 us call) and 30.6 % on the CI machine (+2.7 us: the wrapper is ~0.5 us and the intake's
    # put ~0.4 us, the rest is cache and GIL traffic with the run's flusher). CI checks 50 %, a
    # tripwire for a regression (a second mirror or a slow path per call doubles it); the full
    # run holds the 20 % target
    limit = 0.50 if quick else 0.20
    check(over <= limit, f"TensorBoard capture adds {over * 100:.1f} % to add_scalar (limit {limit:.0%}, target <= 20 %)")
    return rows


if __name__ == "__main__":  # pragma: no cover
    run(quick="--quick" in sys.argv)
