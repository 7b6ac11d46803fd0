"""Media benchmarks: sample writes with retention, filtered plot reads, image encoding.

``python -m benchmarks.run [--quick] bench_media``. Baselines in the same run:

* sample writes vs plain ``open/write/close`` of the same bytes into the same folder layout (the
  floor any file-per-sample store pays); ours adds a temp-file rename, an index line and, once past
  the history, one deletion and one tombstone per sample;
* ``read_plots(title)`` of one title among 20 vs ``json.loads`` of every line (what a reader without
  the raw-prefix filter would pay);
* ``ringlog.Image(array)`` vs Pillow's ``fromarray(...).save(png)`` of the same array.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from ._common import Row, best_of, check, print_table


def _write_once(root: Path, n: int, payload: bytes, keep: int):
    from ringlog.store.media import MediaWriter

    def once():
        task = root / "ours"
        shutil.rmtree(task, ignore_errors=True)
        mw = MediaWriter(task)
        for i in range(n):
            mw.add_media("images", "sample", i, data=payload, ext="png", max_history=keep)
        mw.sync()

    return once


def _raw_once(root: Path, n: int, payload: bytes):
    def once():
        d = root / "raw" / "images" / "sample"
        shutil.rmtree(root / "raw", ignore_errors=True)
        d.mkdir(parents=True)
        for i in range(n):
            with open(d / f"{i}_0.png", "wb") as f:
                f.write(payload)

    return once


def _interleaved_rates(n: int, fns: list, rounds: int = 5) -> list[float]:
    """Best rate of each of ``fns`` over ``rounds`` rounds that run them in turn: this shared disk's
    speed swings several-fold within a minute, so a baseline measured minutes apart is no baseline."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return [n / t for t in best]


def _plot_read(root: Path, iterations: int) -> tuple[float, float]:
    from ringlog.store.media import MediaWriter, read_plots

    task = root / "plots"
    mw = MediaWriter(task)
    rng = np.random.default_rng(0)
    for it in range(iterations):
        for t in range(20):
            mw.add_plot(f"title{t}", "s", it, {"data": [{"type": "bar", "y": rng.random(64)}]})
    path = task / "plots.jsonl"

    def full():
        return [r for r in map(json.loads, path.open("rb")) if r["title"] == "title7"]

    ours = best_of(lambda: read_plots(task, "title7"), 3)
    base = best_of(full, 3)
    check(len(read_plots(task, "title7")) == iterations, "read_plots lost records")
    return ours, base


def _image_rates(n: int) -> tuple[float, float]:
    from PIL import Image as PILImage

    from ringlog.media.types import Image

    arr = np.random.default_rng(1).integers(0, 256, (128, 128, 3), dtype=np.uint8)

    def base():
        for _ in range(n):
            buf = io.BytesIO()
            PILImage.fromarray(arr, "RGB").save(buf, format="PNG")

    def ours():
        for _ in range(n):
            Image(arr)

    return n / best_of(ours, 3), n / best_of(base, 3)


def run(quick: bool = False) -> list[Row]:
    n = 300 if quick else 3000
    payload = bytes(4096)
    root = Path(tempfile.mkdtemp(prefix="ringlog-bench-media-"))
    try:
        raw, ours_keep_all, ours_retained = _interleaved_rates(n, [
            _raw_once(root, n, payload), _write_once(root, n, payload, keep=n),
            _write_once(root, n, payload, keep=100)])
        plot_ours, plot_base = _plot_read(root, 50 if quick else 400)
        img_ours, img_base = _image_rates(20 if quick else 200)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rows = [
        Row("plain file writes (baseline)", raw, "files/s", "", "4 KiB each"),
        Row("add_media, history kept", ours_keep_all, "samples/s", ">= 0.2x baseline, >= 200/s",
            f"{ours_keep_all / raw:.2f}x baseline"),
        Row("add_media, last 100 kept", ours_retained, "samples/s", ">= 0.15x baseline, >= 150/s",
            f"{ours_retained / raw:.2f}x baseline; deletes + tombstones"),
        Row("read_plots(1 of 20 titles)", plot_ours * 1e3, "ms", "<= 0.6x full parse",
            f"full parse {plot_base * 1e3:.1f} ms ({plot_base / plot_ours:.1f}x slower)"),
        Row("Image(128x128x3) encode", img_ours, "images/s", ">= 0.5x Pillow",
            f"Pillow alone {img_base:,.0f}/s"),
    ]
    print_table("media", rows)
    check(ours_keep_all >= 0.2 * raw and ours_keep_all >= 200, f"add_media {ours_keep_all:.0f}/s vs raw {raw:.0f}/s")
    check(ours_retained >= 0.15 * raw and ours_retained >= 150,
          f"add_media with retention {ours_retained:.0f}/s vs raw {raw:.0f}/s")
    check(plot_ours <= 0.6 * plot_base, f"read_plots {plot_ours:.4f}s vs full parse {plot_base:.4f}s")
    check(img_ours >= 0.5 * img_base, f"Image encode {img_ours:.0f}/s vs Pillow {img_base:.0f}/s")
    return rows


if __name__ == "__main__":
    import sys

    run(quick="--quick" in sys.argv)
