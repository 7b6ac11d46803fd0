"""W&B image overlays in the viewer: what the Debug samples listing and one image's overlays cost.

``python -m benchmarks.run [--quick] bench_overlays``. A task of N images each logged with a mask
(blocky 256x256 segments, 10 classes) and B boxes with a score, beside a task of the same N plain
images, both written by the store's MediaWriter with the SDK's own overlay record
(``ringlog.media.overlays.image_overlays``). Baselines in the same run:

* the listing (``media_impl``) of the plain task: the overlays task's listing carries a stub per image,
  so its JSON must stay about as small; its time grows with the media index, which holds the
  overlays (parsed on every listing: the store keeps them in the record's ``extra``);
* ``json.dumps`` of one record's stored overlays (serving them as stored) vs ``overlays_payload`` of
  it (checked and reshaped for the page), what ``/media/<task>/<id>/overlays`` answers.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ._common import Row, check, median_of, print_table


def _tasks(root: Path, n: int, boxes: int):
    from ringlog.media.convert import png_bytes
    from ringlog.media.overlays import image_overlays
    from ringlog.store.media import MediaWriter

    rng = np.random.default_rng(0)
    image = png_bytes(rng.integers(0, 255, (256, 256, 3), dtype=np.uint8))
    plain, with_ov = MediaWriter(root / "plain"), MediaWriter(root / "overlays")
    for i in range(n):
        mask = np.kron(rng.integers(0, 10, (16, 16)), np.ones((16, 16))).astype(np.uint8)
        xy = rng.random((boxes, 2)) * 0.9
        extra = image_overlays(
            masks={"predictions": {"mask_data": mask, "class_labels": {c: f"class {c}" for c in range(10)}}},
            boxes={"predictions": {"box_data": [
                {"position": {"minX": float(x), "maxX": float(x) + 0.1, "minY": float(y), "maxY": float(y) + 0.1},
                 "class_id": int(c), "box_caption": f"obj {k}", "scores": {"acc": float(s)}}
                for k, ((x, y), c, s) in enumerate(zip(xy, rng.integers(0, 10, boxes), rng.random(boxes)))],
                "class_labels": {c: f"class {c}" for c in range(10)}}})
        plain.add_media("img", "s", i, data=image, ext="png", kind="image")
        with_ov.add_media("img", "s", i, data=image, ext="png", kind="image", extra=extra)
    plain.sync()
    with_ov.sync()
    return root / "plain", root / "overlays"


def run(quick: bool = False) -> list[Row]:
    from ringlog.store.media import read_media_records
    from ringlog.viewer.media import media_impl, overlays_payload

    n, boxes = (20, 50) if quick else (100, 200)

    class Reader:  # the two calls media_impl makes, over a bare task folder
        def __init__(self, path):
            self.path, self.id = path, path.name

        def media_records(self, title=None, series=None):
            return read_media_records(self.path, title=title, series=series)

        def media_file(self, rec):
            from ringlog.store.media import media_file

            return media_file(self.path, rec)

    root = Path(tempfile.mkdtemp(prefix="ringlog-bench-overlays-"))
    try:
        plain, with_ov = (Reader(p) for p in _tasks(root, n, boxes))
        t_plain = median_of(lambda: media_impl(plain), 7)
        t_ov = median_of(lambda: media_impl(with_ov), 7)
        size_plain = len(json.dumps(media_impl(plain)))
        size_ov = len(json.dumps(media_impl(with_ov)))
        index_mb = (with_ov.path / "media.jsonl").stat().st_size / 1e6
        rec = with_ov.media_records()[-1]
        t_dump = median_of(lambda: json.dumps(rec.extra), 21)
        t_payload = median_of(lambda: json.dumps(overlays_payload("t", rec)), 21)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rows = [
        Row("listing, plain images (baseline)", t_plain * 1e3, "ms", "", f"{n} images, {size_plain / 1e3:.1f} kB JSON"),
        Row("listing, images with overlays", t_ov * 1e3, "ms", "<= 40x baseline",
            f"{t_ov / t_plain:.1f}x; {size_ov / 1e3:.1f} kB JSON (stubs); media index {index_mb:.1f} MB"),
        Row("one image's overlays, as stored (baseline)", t_dump * 1e3, "ms", "", f"{boxes} boxes + 1 mask"),
        Row("one image's overlays, checked for the page", t_payload * 1e3, "ms", "<= 10x baseline, <= 50 ms",
            f"{t_payload / t_dump:.1f}x"),
    ]
    print_table("image overlays", rows)
    check(size_ov <= 1.6 * size_plain, f"overlay listing {size_ov} B vs plain {size_plain} B: stubs only")
    check(t_ov <= 40 * t_plain, f"overlay listing {t_ov:.4f}s vs plain {t_plain:.4f}s")
    check(t_payload <= 10 * t_dump and t_payload <= 0.05, f"overlays_payload {t_payload:.5f}s vs dumps {t_dump:.5f}s")
    return rows


if __name__ == "__main__":
    import sys

    run(quick="--quick" in sys.argv)
