"""Artifacts: dedup across tasks, commit throughput, and streaming a large file with bounded memory.

``python -m benchmarks.run [--quick] bench_artifacts``. Full sizes: a 100 MiB checkpoint (random
bytes: incompressible, as weights are) committed by 10 tasks, and a 2 GiB file streamed in a fresh
process; ``--quick``: 16 MiB x 10 and 128 MiB. Baselines measured in the same run:

* ``shutil.copyfile`` + ``fsync`` of the same file (what any store must at least pay once): the
  first commit (hash, copy, fsync, rename, manifest) is held to a ratio of it;
* the blob store's bytes on disk after 10 tasks: must equal one copy (dedup);
* peak RSS (VmHWM) growth of the process that commits and then downloads the big file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._common import Row, check, print_table

_STREAM = r"""
import sys, time
from ringlog.store.artifacts import ArtifactStore, project_scope
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            return int(line.split()[1]) * 1024
a = ArtifactStore(sys.argv[1])
a.put(b"warm")
before = hwm()
t0 = time.perf_counter()
m = a.commit(project_scope("bench"), "big", files=[("big.bin", sys.argv[2])])
t1 = time.perf_counter()
a.download(m, sys.argv[3])
t2 = time.perf_counter()
print(t1 - t0, t2 - t1, hwm() - before)
"""


def _copy_fsync(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    fd = os.open(dst, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run(quick: bool = False) -> list[Row]:
    from ringlog.store.artifacts import ArtifactStore, task_scope

    mb = 16 if quick else 100
    big_mb = 128 if quick else 2048
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="rl-bench-art-") as tmp:
        tmp = Path(tmp)
        src = tmp / "ckpt.bin"
        with open(src, "wb") as f:
            for _ in range(mb):
                f.write(os.urandom(1 << 20))
        t0 = time.perf_counter()
        _copy_fsync(src, tmp / "copy.bin")
        copy_s = time.perf_counter() - t0
        (tmp / "copy.bin").unlink()
        a = ArtifactStore(tmp / "root")
        times = []
        for i in range(10):
            t0 = time.perf_counter()
            a.commit(task_scope(f"task{i}"), "checkpoint", type="model", files=[("ckpt.bin", src)],
                     producer=f"task{i}")
            times.append(time.perf_counter() - t0)
        on_disk = sum(p.stat().st_size for p in (a.base / "blobs").rglob("*") if p.is_file())
        rows += [
            Row("copy + fsync (baseline)", copy_s * 1e3, "ms", "", f"{mb} MiB, {mb / copy_s:.0f} MiB/s"),
            Row("first commit (hash, copy, fsync, manifest)", times[0] * 1e3, "ms", "<= 4x baseline",
                f"{times[0] / copy_s:.1f}x; {mb / times[0]:.0f} MiB/s"),
            Row("each later task, same file (hash only)", sum(times[1:]) / 9 * 1e3, "ms", "< first commit",
                f"{mb / (sum(times[1:]) / 9):.0f} MiB/s"),
            Row("blob bytes after 10 tasks", on_disk / 2**20, "MiB", f"= {mb} MiB", f"{10 * mb} MiB logged"),
        ]
        check(on_disk == mb << 20, f"10 tasks logging one {mb} MiB file stored {on_disk:,} bytes, not {mb << 20:,}")
        check(times[0] <= 4 * copy_s + 0.5, f"first commit {times[0]:.2f} s vs copy+fsync {copy_s:.2f} s (> 4x)")
        # the median: one later commit can catch a busy moment of a shared machine (CI saw 0.70 s once)
        later = sorted(times[1:])[4]
        check(later < times[0] * 1.5 + 0.2, f"later commits of the same file took {later:.2f} s (median) "
                                            f"against {times[0]:.2f} s for the first")
        shutil.rmtree(tmp / "root")

        big = tmp / "big.bin"
        with open(big, "wb") as f:  # sparse: the cost measured is the store's, not making the source
            f.truncate(big_mb << 20)
        proc = subprocess.run([sys.executable, "-c", _STREAM, str(tmp / "root2"), str(big), str(tmp / "out")],
                              capture_output=True, text=True, timeout=3600)
        check(proc.returncode == 0, proc.stderr[-2000:])
        put_s, get_s, grew = proc.stdout.split()
        put_s, get_s, grew = float(put_s), float(get_s), int(grew)
        rows += [
            Row(f"commit a {big_mb} MiB file", float(put_s), "s", "", f"{big_mb / put_s:.0f} MiB/s"),
            Row("download it back", float(get_s), "s", "", f"{big_mb / get_s:.0f} MiB/s"),
            Row("peak RSS growth while doing both", grew / 2**20, "MiB", "< 64 MiB", "4 MiB chunks"),
        ]
        check(grew < 64 << 20, f"peak memory grew {grew >> 20} MiB streaming {big_mb} MiB")
    print_table(f"artifacts ({'quick' if quick else 'full'})", rows)
    return rows
