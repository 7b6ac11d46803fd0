"""Pure conversions for 3-D data: point clouds from arrays and files, and their plotly figure.

Part of the media conversions (with :mod:`.convert`, split off by concern): no I/O beyond what the
caller hands in as bytes, no run, no module state. What W&B's ``Object3D`` takes
(wandb/sdk/data_types/object_3d.py): a numpy array (N, 3) of x, y, z; (N, 4) with a category in
the 4th column; (N, 6) with r, g, b in 0..255; or a file: ``.obj`` (its ``v`` vertex lines),
``.gltf`` / ``.glb`` (every mesh primitive's POSITION accessor; buffers embedded as data: URIs,
in the .glb binary chunk, or files beside the .gltf) and ``.pts.json`` (a JSON list of points in
the array layouts above). The figure is one plotly ``scatter3d`` trace of markers; clouds larger
than ``MAX_FIGURE_POINTS`` are thinned by a regular stride (the count kept says so). Cost: O(points).
"""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any, Optional

import numpy as np

from ..errors import type_error, value_error

MAX_FIGURE_POINTS = 200_000
#: numpy dtypes of glTF accessor componentType codes (POSITION is float32, 5126)
_GLTF_COMPONENTS = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}


def point_cloud(arr: np.ndarray, argument: str = "data_or_path") -> dict:
    """``{"xyz": (N, 3) float64, "category": (N,) or None, "rgb": (N, 3) uint8 or None}`` of an array
    laid out as W&B's Object3D takes it (module docstring)."""
    arr = np.asarray(arr)
    if arr.ndim != 2 or arr.shape[1] not in (3, 4, 6) or arr.dtype.kind not in "biuf" or not len(arr):
        raise value_error(argument, "must be a non-empty numeric array of shape (N, 3), (N, 4) or (N, 6)",
                          f"array of shape {arr.shape} and dtype {arr.dtype}")
    a = arr.astype(np.float64)
    if not np.all(np.isfinite(a[:, :3])):
        raise value_error(argument, "x, y, z must be finite", "non-finite coordinates")
    out = {"xyz": a[:, :3], "category": None, "rgb": None}
    if arr.shape[1] == 4:
        out["category"] = a[:, 3]
    elif arr.shape[1] == 6:
        out["rgb"] = np.clip(np.nan_to_num(a[:, 3:6]), 0, 255).astype(np.uint8)
    return out


def obj_points(text: str, argument: str = "data_or_path") -> np.ndarray:
    """The vertices (``v x y z [r g b]`` lines) of a Wavefront .obj file as an (N, 3|6) array."""
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if parts[:1] == ["v"] and len(parts) >= 4:
            rows.append([float(x) for x in parts[1:7 if len(parts) >= 7 else 4]])
    if not rows:
        raise value_error(argument, "must be a .obj file with vertex ('v x y z') lines", "no vertices")
    width = min(len(r) for r in rows)
    pts = np.array([r[:width] for r in rows])
    if width == 6 and pts[:, 3:].max() <= 1.0:  # .obj vertex colours are 0..1
        pts[:, 3:] *= 255.0
    return pts


def pts_json_points(text: str, argument: str = "data_or_path") -> np.ndarray:
    """A ``.pts.json`` file: a JSON list of [x, y, z] / [x, y, z, c] / [x, y, z, r, g, b] points."""
    try:
        return np.asarray(json.loads(text), dtype=np.float64)
    except (ValueError, TypeError):
        raise value_error(argument, "must be a JSON list of [x, y, z(, ...)] points", "unreadable .pts.json") from None


def gltf_points(data: bytes, binary: bool, base: Optional[Path] = None, argument: str = "data_or_path") -> np.ndarray:
    """Every mesh primitive's POSITION vertices of a .glb (``binary``) or .gltf file, as (N, 3).
    ``base``: the .gltf's folder, where buffers named by relative URIs are read from."""
    try:
        bin_chunk = b""
        if binary:
            magic, _, total = struct.unpack_from("<4sII", data, 0)
            if magic != b"glTF":
                raise ValueError("not a glb file")
            at, doc = 12, None
            while at + 8 <= min(total, len(data)):
                length, ctype = struct.unpack_from("<II", data, at)
                chunk = data[at + 8:at + 8 + length]
                if ctype == 0x4E4F534A:  # "JSON"
                    doc = json.loads(chunk.decode("utf-8"))
                elif ctype == 0x004E4942:  # "BIN\0"
                    bin_chunk = chunk
                at += 8 + length
        else:
            doc = json.loads(data.decode("utf-8"))
        buffers = [_gltf_buffer(b, bin_chunk, base) for b in doc.get("buffers", [])]
        out = []
        for mesh in doc.get("meshes", []):
            for prim in mesh.get("primitives", []):
                if "POSITION" in prim.get("attributes", {}):
                    out.append(_gltf_accessor(doc, buffers, prim["attributes"]["POSITION"]))
    except (ValueError, KeyError, IndexError, TypeError, struct.error, OSError) as exc:
        raise value_error(argument, "must be a readable glTF 2.0 file", f"{type(exc).__name__}: {exc}") from None
    if not out:
        raise value_error(argument, "must hold a mesh with POSITION vertices", "no positions")
    return np.concatenate(out).astype(np.float64)


def _gltf_buffer(b: dict, bin_chunk: bytes, base: Optional[Path]) -> bytes:
    uri = b.get("uri")
    if uri is None:
        return bin_chunk
    if uri.startswith("data:"):
        return base64.b64decode(uri.split(",", 1)[1])
    if base is None or "://" in uri or ".." in Path(uri).parts:
        raise ValueError(f"buffer {uri!r} is not beside the file")
    return (base / uri).read_bytes()


def _gltf_accessor(doc: dict, buffers: list, index: int) -> np.ndarray:
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    dtype = np.dtype(_GLTF_COMPONENTS[acc["componentType"]])
    count, width = acc["count"], {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[acc["type"]]
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    stride = view.get("byteStride") or dtype.itemsize * width
    raw = buffers[view["buffer"]]
    rows = [np.frombuffer(raw, dtype=dtype, count=width, offset=start + i * stride) for i in range(count)] \
        if stride != dtype.itemsize * width else [np.frombuffer(raw, dtype=dtype, count=count * width, offset=start)]
    return np.concatenate(rows).reshape(count, width)[:, :3]


def point_cloud_figure(cloud: dict, title: str) -> tuple[dict, int]:
    """(plotly figure with one ``scatter3d`` marker trace, points drawn) of :func:`point_cloud`'s
    result; coloured by rgb, else by category, else by height (z)."""
    xyz, cat, rgb = cloud["xyz"], cloud["category"], cloud["rgb"]
    step = max(1, -(-len(xyz) // MAX_FIGURE_POINTS))
    xyz = xyz[::step]
    marker: dict = {"size": 2}
    if rgb is not None:
        marker["color"] = [f"rgb({r},{g},{b})" for r, g, b in rgb[::step].tolist()]
    else:
        marker["color"] = (cat[::step] if cat is not None else xyz[:, 2]).tolist()
        marker["colorscale"] = "Viridis"
    trace = {"type": "scatter3d", "mode": "markers", "x": xyz[:, 0].tolist(), "y": xyz[:, 1].tolist(),
             "z": xyz[:, 2].tolist(), "marker": marker, "name": title}
    layout = {"title": {"text": title}, "scene": {"aspectmode": "data"}}
    return {"data": [trace], "layout": layout}, len(xyz)


def as_text(data: Any, argument: str) -> str:
    """File content given as bytes or str, as text (UTF-8)."""
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise type_error(argument, "must be a text file (UTF-8)", "binary data") from None
    return data
