"""A training-like child for the durability tests and benchmarks (run as a script).

``python _child.py ROOT MODE FLAVOUR [SECONDS]`` starts a run in ROOT and logs at full speed until
killed (or SECONDS pass, then exits without finish()). MODE: ``percall`` (one key per call),
``multikey`` (8 keys per call), ``bulk`` (``report_scalar_array`` chunks of 4,096). FLAVOUR:
``wandb`` or ``clearml``. Values are a deterministic function of the step (noisy float64 bits), so
a reader can check every stored point bit-exact. On stdout, one line per mark: ``MARK t n`` -
``time.time()`` and the number of points acknowledged (the logging call returned) by then, for
every series; first ``TASK id`` and ``INIT t`` (when init returned).
"""

from __future__ import annotations

import sys
import time

import numpy as np


def value(step):
    """The value logged at ``step``: noisy, full-precision float64 bits (checked bit-exact)."""
    s = np.asarray(step, dtype=np.uint64)
    h = (s * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(11)
    return h.astype(np.float64) / float(1 << 53) * 2.0 - 1.0 + np.asarray(step, dtype=np.float64) * 1e-6


KEYS = [f"k{i}" for i in range(8)]


def main() -> None:
    root, mode, flavour = sys.argv[1], sys.argv[2], sys.argv[3]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 1e9
    out = sys.stdout
    vals = value(np.arange(1 << 22))  # before init: a loaded box must not delay the first point after it
    t_start = time.time()
    if flavour == "wandb":
        import ringlog

        run = ringlog.init(project="kill", name=mode, dir=root)
        tid = run.id
        log = ringlog.log
        report_array = ringlog.Task.current_task().get_logger().report_scalar_array
    else:
        from ringlog import Task

        task = Task.init(project_name="kill", task_name=mode, dir=root)
        tid = task.id
        report = task.get_logger().report_scalar
        report_array = task.get_logger().report_scalar_array
    out.write(f"TASK {tid}\nINIT {time.time()} {time.time() - t_start}\n")
    out.flush()
    step = 0
    end = time.time() + seconds
    next_mark = 0.0
    while True:
        now = time.time()
        if now >= next_mark:
            out.write(f"MARK {now} {step}\n")
            out.flush()
            next_mark = now + 0.01
            if now >= end:
                break
        if mode == "bulk":
            n = 4096
            steps = np.arange(step, step + n, dtype=np.int64)
            for k in KEYS[:2]:
                report_array(k, k, value(steps), steps)
            step += n
            continue
        if step + 64 > len(vals):  # a fast per-call child passes 4M steps in a few seconds
            vals = value(np.arange(2 * len(vals)))
        for _ in range(64):
            v = float(vals[step])
            if mode == "percall":
                if flavour == "wandb":
                    log({"k0": v})
                else:
                    report("k0", "k0", v, step)
            else:
                if flavour == "wandb":
                    log({k: v for k in KEYS})
                else:
                    for k in KEYS:
                        report(k, k, v, step)
            step += 1
    out.write(f"MARK {time.time()} {step}\n")
    out.flush()


if __name__ == "__main__":
    main()
