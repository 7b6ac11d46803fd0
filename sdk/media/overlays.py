"""W&B's image overlays: ``Image(masks=..., boxes=..., classes=...)`` checked and made storable.

The result is the ``extra`` of the image's sample record (store/MEDIA_FORMAT.md keeps ``extra`` as
given), so overlays live with the image they belong to:

``{"masks": {name: {"png": <base64 PNG of the class-id mask>, "shape": [h, w], "class_labels": {"1": "cat"}}},
"boxes": {name: {"box_data": [{"position": {"minX", "maxX", "minY", "maxY"}, "domain": "pixel" | None,
"class_id": 1, "box_caption": "...", "scores": {"acc": 0.9}}], "class_labels": {...}}},
"classes": [{"id": 1, "name": "cat"}]}``

Shapes accepted (as wandb/sdk/data_types/helper_types/bounding_boxes_2d.py and image_mask.py take
them): a mask is ``{"mask_data": 2-D integer array, "class_labels": {id: name}}`` (or ``"path"`` to
a PNG of class ids); a box position is ``{"minX", "maxX", "minY", "maxY"}`` or ``{"middle": [x, y],
"width", "height"}``, in fractions of the image unless ``"domain": "pixel"``. Costs: one PNG encode
per mask, O(boxes).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..errors import type_error, value_error
from .convert import png_bytes, to_numpy

_CORNERS = ("minX", "maxX", "minY", "maxY")


def image_overlays(masks: Any = None, boxes: Any = None, classes: Any = None) -> Optional[dict]:
    """The ``extra`` dict of an image with ``masks``/``boxes``/``classes`` (None when none is given)."""
    out: dict = {}
    if masks is not None:
        out["masks"] = {str(name): _mask(m, f"masks[{name!r}]") for name, m in _groups(masks, "masks").items()}
    if boxes is not None:
        out["boxes"] = {str(name): _box_group(b, f"boxes[{name!r}]") for name, b in _groups(boxes, "boxes").items()}
    if classes is not None:
        out["classes"] = _classes(classes)
    return out or None


def _groups(value: Any, argument: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise type_error(argument, "must be a dict of name -> overlay (e.g. {'predictions': {...}})", value)
    return value


def _labels(labels: Any, argument: str) -> dict:
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise type_error(argument, "must be a dict of class id -> name", labels)
    try:
        return {str(int(k)): str(v) for k, v in labels.items()}
    except (TypeError, ValueError):
        raise type_error(argument, "keys must be integer class ids", list(labels)) from None


def _mask(m: Any, argument: str) -> dict:
    if not isinstance(m, Mapping):
        raise type_error(argument, "must be a dict with 'mask_data' (or 'path') and 'class_labels'", m)
    if m.get("path") is not None:
        path = Path(m["path"])
        if not path.is_file() or path.suffix.lower() != ".png":
            raise value_error(argument + "['path']", "must be an existing PNG file of class ids", str(path))
        data = path.read_bytes()
        shape = None
    else:
        arr = to_numpy(m.get("mask_data"))
        if arr is None or arr.ndim != 2 or arr.dtype.kind not in "biu" or not arr.size:
            raise type_error(argument + "['mask_data']", "must be a non-empty 2-D array of integer class ids",
                             m.get("mask_data"))
        if arr.min() < 0 or arr.max() > 255:
            raise value_error(argument + "['mask_data']", "class ids must be in 0..255",
                              f"{arr.min()}..{arr.max()}")
        data = png_bytes(np.ascontiguousarray(arr.astype(np.uint8)))
        shape = list(arr.shape)
    return {"png": base64.b64encode(data).decode("ascii"), "shape": shape,
            "class_labels": _labels(m.get("class_labels"), argument + "['class_labels']")}


def _box_group(b: Any, argument: str) -> dict:
    if not isinstance(b, Mapping) or not isinstance(b.get("box_data"), (list, tuple)):
        raise type_error(argument, "must be a dict with a 'box_data' list and 'class_labels'", b)
    return {"box_data": [_box(x, f"{argument}['box_data'][{i}]") for i, x in enumerate(b["box_data"])],
            "class_labels": _labels(b.get("class_labels"), argument + "['class_labels']")}


def _box(x: Any, argument: str) -> dict:
    if not isinstance(x, Mapping) or not isinstance(x.get("position"), Mapping):
        raise type_error(argument, "must be a dict with a 'position' dict", x)
    p = x["position"]
    try:
        if all(k in p for k in _CORNERS):
            pos = {k: float(p[k]) for k in _CORNERS}
        elif "middle" in p and "width" in p and "height" in p:
            (mx, my), w, h = p["middle"], float(p["width"]), float(p["height"])
            pos = {"minX": float(mx) - w / 2, "maxX": float(mx) + w / 2, "minY": float(my) - h / 2,
                   "maxY": float(my) + h / 2}
        else:
            raise KeyError
    except (KeyError, TypeError, ValueError):
        raise value_error(argument + "['position']", "must hold minX/maxX/minY/maxY or middle/width/height "
                          "numbers", p) from None
    domain = x.get("domain")
    if domain not in (None, "pixel"):
        raise value_error(argument + "['domain']", "must be None (fractions of the image) or 'pixel'", domain)
    out: dict = {"position": pos, "domain": domain}
    if x.get("class_id") is not None:
        out["class_id"] = int(x["class_id"])
    if x.get("box_caption") is not None:
        out["box_caption"] = str(x["box_caption"])
    scores = x.get("scores")
    if scores is not None:
        if not isinstance(scores, Mapping):
            raise type_error(argument + "['scores']", "must be a dict of name -> number", scores)
        out["scores"] = {str(k): float(v) for k, v in scores.items()}
    return out


def _classes(classes: Any) -> list:
    """W&B's ``classes``: a ``wandb.Classes``-like list of {"id", "name"} dicts (or a dict id -> name)."""
    if isinstance(classes, Mapping):
        return [{"id": int(k), "name": str(v)} for k, v in classes.items()]
    items = getattr(classes, "_class_set", classes)  # wandb.Classes keeps its list there
    if not isinstance(items, (list, tuple)) or not all(isinstance(c, Mapping) and "id" in c for c in items):
        raise type_error("classes", "must be a list of {'id': int, 'name': str} dicts", classes)
    return [{"id": int(c["id"]), "name": str(c.get("name", c["id"]))} for c in items]
