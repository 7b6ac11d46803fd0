"""The README's main job: ``python -m ringlog.demo`` (``make demo``).

Logs several million points into a few tasks through both flavours of the SDK
(a small W&B-style learning-rate sweep logged point by point, and a long
ClearML-style run logged in bulk, with spikes, NaN and Inf in it), one of each
kind of report (text, plots, tables, histograms over steps, images, audio,
video, HTML), a Markdown report with a live embedded chart, and then serves the
viewer on 127.0.0.1.

Run it again and it serves what is there; ``--again`` logs another round.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import math
import sys
import time
from pathlib import Path

import numpy as np

import ringlog
from ringlog import Report, Task
from ringlog.store import Store, default_root

PROJECT = "ringlog-demo"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ringlog.demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=None, help="store folder (default: $RINGLOG_DIR or ./ringlog_data)")
    p.add_argument("--points", type=int, default=6_000_000,
                   help="points in the long bulk-logged run (default: 6,000,000)")
    p.add_argument("--steps", type=int, default=40_000, help="steps per sweep run, logged one call at a time")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--again", action="store_true", help="log another round even if demo tasks exist")
    p.add_argument("--no-serve", action="store_true", help="log the data and exit")
    args = p.parse_args(argv)
    if args.points < 1000 or args.steps < 100:
        p.error("--points must be >= 1000 and --steps >= 100")
    return args


def _sweep_run(root: Path, lr: float, steps: int, seed: int) -> int:
    """One W&B-style run, logged point by point like a training loop would."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=steps).astype(np.float32)
    with ringlog.init(project=PROJECT, name=f"sweep lr={lr:g}", dir=str(root),
                      config={"lr": lr, "batch_size": 64, "optimizer": "adam", "seed": seed},
                      tags=["sweep", "demo"]) as run:
        run.define_metric("val/acc", summary="max")
        run.define_metric("val/loss", summary="min")
        points = 0
        for step in range(steps):
            loss = float(np.float32(2.0 * math.exp(-step * lr * 0.05) + 0.05 * abs(noise[step])))
            if step == steps // 3:
                loss = 40.0  # one spike: every zoom level of the chart must still show it
            if step == steps // 2:
                loss = float("nan")  # kept and marked, never turned into 0
            ringlog.log({"train/loss": loss, "train/lr": lr * (1 - step / steps)}, commit=False)
            points += 2
            if step % 200 == 0:
                acc = 1.0 - 0.9 * math.exp(-step * lr * 0.04) - 0.01 * abs(noise[step])
                ringlog.log({"val/loss": loss * 1.1, "val/acc": acc}, commit=False)
                points += 2
            if step % (steps // 8) == 0:
                weights = rng.normal(scale=1.0 + step / steps, size=2000)
                ringlog.log({"weights": ringlog.Histogram(weights)}, commit=False)
            if step % (steps // 4) == 0:
                img = _sample_image(step, steps)
                ringlog.log({"samples": [ringlog.Image(img, caption=f"step {step}")]}, commit=False)
                frames = (np.moveaxis(np.stack([img] * 6), -1, 1) * 255).astype(np.uint8)  # (time, c, h, w)
                frames[:, :, :, : 20 * (step * 4 // steps + 1)] //= 2
                ringlog.log({"rollout": ringlog.Video(frames, fps=4, format="gif")}, commit=False)
            ringlog.log({})  # commit the step
        table = ringlog.Table(columns=["epoch", "val_acc"],
                              data=[[e, 1 - 0.9 * math.exp(-e * lr * 8)] for e in range(20)])
        t = np.linspace(0, 1, 8000, endpoint=False)
        ringlog.log({
            "predictions": table,
            "val_acc_curve": ringlog.plot.line(table, "epoch", "val_acc", title="val acc per epoch"),
            "chirp": ringlog.Audio(0.3 * np.sin(2 * math.pi * (200 + 400 * t) * t), sample_rate=8000,
                                   caption="a chirp"),
            "notes": ringlog.Html(f"<h3>lr = {lr:g}</h3><p>logged by the demo</p>"),
        })
        print(f"  {run.name}: {points:,} points logged one call at a time")
    return points


def _sample_image(step: int, steps: int) -> np.ndarray:
    y, x = np.mgrid[0:96, 0:128]
    phase = step / max(steps, 1) * 2 * math.pi
    img = np.stack([np.sin(x / 9 + phase), np.cos(y / 7 - phase), np.sin((x + y) / 13)], axis=-1)
    return (img + 1) / 2  # floats in [0, 1]: converted to 0..255 as W&B does


def _long_run(root: Path, n: int) -> tuple[str, int]:
    """One ClearML-style task logged with the bulk numpy path, plus one of each report kind."""
    rng = np.random.default_rng(7)
    task = Task.init(project_name=PROJECT, task_name=f"long run ({n / 1e6:g}M points)",
                     tags=["bulk", "demo"], dir=str(root))
    task.connect({"epochs": 90, "lr": 0.1, "momentum": 0.9, "arch": "resnet50"})
    log = task.get_logger()
    steps = np.arange(n, dtype=np.int64)
    loss = (3.0 * np.exp(-steps / (n / 5)) + 0.02 * np.abs(rng.normal(size=n))).astype(np.float32)
    spikes = rng.choice(n, size=12, replace=False)
    loss[spikes] *= 25  # rare spikes: M4 envelopes keep every one of them at every zoom
    loss[rng.choice(n, size=3, replace=False)] = np.nan
    loss[rng.choice(n, size=2, replace=False)] = np.inf
    chunk = 1 << 20
    for i in range(0, n, chunk):  # as a data loader would hand over blocks
        log.report_scalar_array("loss", "train", loss[i:i + chunk], steps[i:i + chunk])
    grad = np.abs(rng.standard_cauchy(size=n // 4)).astype(np.float32)
    log.report_scalar_array("grad_norm", "global", grad, steps[: n // 4] * 4)
    total = n + n // 4
    for epoch in range(90):
        log.report_scalar("accuracy", "val", value=1 - 0.9 * math.exp(-epoch / 20), iteration=epoch)
        log.report_scalar("accuracy", "train", value=1 - 0.85 * math.exp(-epoch / 15), iteration=epoch)
        total += 2
    log.report_single_value("best_val_accuracy", 0.9 - 0.9 * math.exp(-89 / 20) + 0.1)
    _report_every_kind(log, rng)
    task.close()
    return task.id, total


def _report_every_kind(log, rng: np.random.Generator) -> None:
    """Text, plots, tables, images, audio, video and HTML, as ClearML's Logger reports them."""
    log.report_text("demo: starting the report tour", level=logging.INFO, print_console=False)
    for it in range(0, 50, 10):
        log.report_histogram("activations", "layer4", values=np.histogram(rng.normal(size=5000), bins=30)[0],
                             iteration=it, xaxis="bin", yaxis="count")
        log.report_image("reconstructions", "val", iteration=it,
                         image=(rng.random((64, 64, 3)) * 255).astype(np.uint8))
    log.report_confusion_matrix("confusion", "val", iteration=49,
                                matrix=rng.integers(0, 50, size=(5, 5)) + np.eye(5, dtype=int) * 200,
                                xlabels=list("abcde"), ylabels=list("abcde"))
    log.report_scatter2d("embedding", "pca", iteration=49, scatter=rng.normal(size=(300, 2)), mode="markers")
    log.report_vector("class sizes", "train", values=[120, 80, 60, 40, 20], iteration=49,
                      xlabels=list("abcde"))
    helix = np.linspace(0, 6 * math.pi, 200)
    log.report_scatter3d("trajectory", "helix", iteration=49,
                         scatter=np.column_stack([np.cos(helix), np.sin(helix), helix]))
    log.report_plotly("custom plotly", "bars", iteration=49, figure={
        "data": [{"type": "bar", "x": ["adam", "sgd", "lion"], "y": [0.93, 0.9, 0.92]}],
        "layout": {"title": {"text": "final accuracy by optimizer"}}})
    _report_matplotlib(log)
    log.report_line_plot("pr curve", series=[{"name": "model", "data": np.column_stack(
        [np.linspace(0, 1, 50), 1 - np.linspace(0, 1, 50) ** 2])}], iteration=49, xaxis="recall",
        yaxis="precision")
    log.report_surface("loss landscape", "2d", iteration=49,
                       matrix=np.fromfunction(lambda i, j: np.sin(i / 5) * np.cos(j / 5), (40, 40)))
    log.report_table("per class", "val", iteration=49,
                     table_plot=[["class", "precision", "recall"], ["cat", 0.91, 0.88], ["dog", 0.87, 0.9]])
    t = np.linspace(0, 1, 16000, endpoint=False)
    log.report_media("audio", "tone", iteration=49,
                     stream=_wav_bytes(0.3 * np.sin(2 * math.pi * 440 * t), 16000), file_extension=".wav")
    log.report_media("html", "note", iteration=49,
                     stream="<h3>Validation notes</h3><p>Spikes at a handful of steps.</p>".encode(),
                     file_extension=".html")
    log.report_text("demo: report tour done", level=logging.INFO, print_console=False)


def _report_matplotlib(log) -> None:
    """A matplotlib figure, converted to an interactive plotly plot (matplotlib is optional)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (matplotlib not installed: the demo skips its matplotlib figure)")
        return
    fig, ax = plt.subplots()
    x = np.linspace(0, 10, 200)
    ax.plot(x, np.sin(x), label="sin")
    ax.plot(x, np.cos(x), label="cos")
    ax.set_title("a matplotlib figure")
    ax.legend()
    log.report_matplotlib_figure("matplotlib", "waves", figure=fig, iteration=49)
    plt.close(fig)


def _wav_bytes(signal: np.ndarray, rate: int) -> bytes:
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())
    return buf.getvalue()


def _write_report(root: Path, long_id: str) -> str:
    def md5(s: str) -> str:
        return hashlib.md5(s.encode()).hexdigest()

    markdown = f"""# Demo findings

The long run's loss, drawn live from the store (zoom in: every spike is there):

<iframe src="/widgets/?type=scalar&objectType=task&objects={long_id}&metrics=loss&variants=train&xaxis=iter"
 width="100%" height="400"></iframe>

## The sweep

| lr | verdict |
|---|---|
| 0.1 | fastest |
| 0.001 | too slow |

<iframe src="/widgets/?type=parcoords&objectType=task&project={PROJECT}&tags[]=sweep&metrics={md5('val/acc')}.{md5('val/acc')}&variants=General.lr&value_type=max_value"
 width="100%" height="400"></iframe>

- [x] log millions of points
- [ ] write the paper
"""
    report = Report.create(name="Demo findings", project=PROJECT, markdown=markdown,
                           description="What the demo shows", tags=["demo"], root=str(root))
    return report.id


def _already_logged(root: Path) -> int:
    if not root.exists():
        return 0
    return len(Store(root).tasks(project=PROJECT))


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    root = (Path(args.root) if args.root is not None else default_root()).resolve()
    existing = _already_logged(root)
    if existing and not args.again:
        print(f"{existing} demo tasks already in {root}; serving them (--again logs another round)")
    else:
        t0 = time.perf_counter()
        total = 0
        print(f"logging into {root}")
        for seed, lr in enumerate((0.1, 0.03, 0.01, 0.001)):
            total += _sweep_run(root, lr, args.steps, seed)
        long_id, n = _long_run(root, args.points)
        total += n
        print(f"  long run: {n:,} points logged in bulk")
        report_id = _write_report(root, long_id)
        dt = time.perf_counter() - t0
        print(f"logged {total:,} points into 5 tasks in {dt:.1f} s ({total / dt / 1e6:.1f} M points/s, "
              f"including media, plots and the final flush); report {report_id}")
    if args.no_serve:
        return 0
    from ringlog.viewer import serve  # deferred: flask and the viewer only when serving

    serve(root, host=args.host, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
