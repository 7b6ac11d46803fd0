"""W&B's ``Object3D`` and ``Molecule`` for ``ringlog.log({...})``.

``Object3D(data_or_path, caption=None)`` takes what W&B's does (wandb/sdk/data_types/object_3d.py):
a numpy array (N, 3|4|6), a W&B point-cloud scene dict (``{"type": "lidar/beta", "points": array,
...}``: its points; ``boxes`` and ``vectors`` are kept in the record's data but not drawn), or a
``.obj`` / ``.gltf`` / ``.glb`` / ``.pts.json`` file (a path, or a file object with ``file_type``).
It is stored as a plot record: a plotly ``scatter3d`` figure of the points (the viewer draws it in
WebGL) with ``data = {"object3d": {"format", "points", "drawn", "source", ...}}``; a mesh file keeps
its vertices only (faces and materials are not drawn, and the file itself is not copied).
``.babylon`` and ``.stl``, which W&B also takes, are refused with a message saying so.

``Molecule(data_or_path, caption=None)`` takes a molecule file W&B takes (pdb, pqr, mmcif, mcif,
cif, sdf, sd, gro, mol2; a path, or a file object with ``file_type``) and stores its text as given,
inside an HTML sample that shows it as plain text (kind "html"; the record's ``extra`` names the
format and file). There is no 3-D molecule viewer: the text is what is shown. ``mmtf`` (binary)
and ``Molecule.from_rdkit`` / ``from_smiles`` (they need RDKit) are refused with a clear error.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

import numpy as np

from .._engine.lenient import lenient_init
from ..errors import type_error, value_error
from .base import Media, caption_arg, path_arg
from .convert import to_numpy
from .convert3d import as_text, gltf_points, obj_points, point_cloud, point_cloud_figure, pts_json_points

OBJECT3D_FORMATS = ("obj", "gltf", "glb", "pts.json")
UNDRAWN_FORMATS = ("babylon", "stl")
MOLECULE_FORMATS = ("pdb", "pqr", "mmcif", "mcif", "cif", "sdf", "sd", "gro", "mol2")


def _file_format(path: Path, file_type: Optional[str]) -> str:
    if file_type:
        return str(file_type).lower().lstrip(".")
    name = path.name.lower()
    return "pts.json" if name.endswith(".pts.json") else path.suffix.lower().lstrip(".")


def _read(data_or_path: Any, file_type: Optional[str], argument: str) -> tuple[Any, str, str, Optional[Path]]:
    """(content bytes/str, format, source name, folder) of a path or a file object."""
    if hasattr(data_or_path, "read"):
        if not file_type:
            raise value_error("file_type", "must name the format when data_or_path is a file object", file_type)
        return data_or_path.read(), _file_format(Path("x"), file_type), str(getattr(data_or_path, "name", "")), None
    path = path_arg(data_or_path)
    if path is None:
        raise type_error(argument, "must be a numpy array, a scene dict, a file path or a file object", data_or_path)
    if not path.is_file():
        raise value_error(argument, "must be an existing file", str(path))
    return path.read_bytes(), _file_format(path, file_type), path.name, path.parent


class Object3D:
    """A 3-D point cloud or mesh's vertices, drawn as a 3-D scatter (module docstring)."""

    @lenient_init
    def __init__(self, data_or_path: Any, caption: Optional[str] = None, file_type: Optional[str] = None,
                 **_ignored: Any) -> None:
        self.caption = caption_arg(caption)
        self.info: dict = {}
        arr = to_numpy(data_or_path)
        if arr is not None:
            self.cloud, self.format, source = point_cloud(arr), "numpy", None
        elif isinstance(data_or_path, Mapping):
            if "points" not in data_or_path:
                raise value_error("data_or_path", "a scene dict must have 'points' (W&B's lidar/beta layout)",
                                  list(data_or_path))
            self.cloud, self.format, source = point_cloud(to_numpy(data_or_path["points"]), "data_or_path['points']"), \
                str(data_or_path.get("type") or "scene"), None
            for extra in ("boxes", "vectors"):
                if data_or_path.get(extra) is not None:
                    self.info[extra] = _plain(data_or_path[extra])
        else:
            content, fmt, source, folder = _read(data_or_path, file_type, "data_or_path")
            if fmt in UNDRAWN_FORMATS:
                raise value_error("data_or_path", f"{fmt} files are not supported by ringlog (W&B draws them); "
                                  f"give one of {', '.join(OBJECT3D_FORMATS)} or a numpy point cloud", source)
            if fmt == "obj":
                pts = obj_points(as_text(content, "data_or_path"))
            elif fmt in ("gltf", "glb"):
                raw = content if isinstance(content, bytes) else content.encode("utf-8")
                pts = gltf_points(raw, fmt == "glb", folder)
            elif fmt == "pts.json":
                pts = pts_json_points(as_text(content, "data_or_path"))
            else:
                raise value_error("data_or_path", f"file type must be one of {', '.join(OBJECT3D_FORMATS)}",
                                  fmt)
            self.cloud, self.format = point_cloud(pts), fmt
        self.source = source

    @classmethod
    def from_numpy(cls, data: Any, caption: Optional[str] = None) -> "Object3D":
        return cls(data, caption=caption)

    @classmethod
    def from_file(cls, data_or_path: Any, file_type: Optional[str] = None, caption: Optional[str] = None) -> "Object3D":
        return cls(data_or_path, caption=caption, file_type=file_type)

    def record(self, title: str) -> tuple[dict, str, dict]:
        """(figure, kind, data) of the stored plot record."""
        fig, drawn = point_cloud_figure(self.cloud, self.caption or title)
        info = {"format": self.format, "points": int(len(self.cloud["xyz"])), "drawn": drawn,
                "source": self.source, "caption": self.caption, **self.info}
        return fig, "plotly", {"object3d": info}

    def __repr__(self) -> str:
        return f"<ringlog.Object3D {self.format} {len(self.cloud['xyz'])} points>"


class Molecule(Media):
    """A molecule file stored as given and shown as its text (module docstring)."""

    kind = "html"

    @lenient_init
    def __init__(self, data_or_path: Any, caption: Optional[str] = None, file_type: Optional[str] = None,
                 **_ignored: Any) -> None:
        super().__init__()
        self.caption = caption_arg(caption)
        content, fmt, source, _ = _read(data_or_path, file_type, "data_or_path")
        if fmt == "mmtf":
            raise value_error("data_or_path", "mmtf (binary) molecules are not supported by ringlog; give one of "
                              + ", ".join(MOLECULE_FORMATS), source)
        if fmt not in MOLECULE_FORMATS:
            raise value_error("data_or_path", f"file type must be one of {', '.join(MOLECULE_FORMATS)}", fmt)
        text = as_text(content, "data_or_path")
        self.text, self.format = text, fmt
        self.ext = "html"
        self.extra = {"molecule": {"format": fmt, "source": source}}
        title = html.escape(f"{source or 'molecule'} ({fmt}) - shown as text: ringlog has no 3-D molecule viewer")
        self.data = (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
                     f"<p><b>{title}</b></p><pre>{html.escape(text)}</pre></body></html>").encode("utf-8")

    @classmethod
    def from_rdkit(cls, *args: Any, **kwargs: Any) -> "Molecule":
        raise NotImplementedError("Molecule.from_rdkit needs RDKit, which ringlog does not use; write the "
                                  "molecule to a .sdf/.pdb file and pass its path")

    @classmethod
    def from_smiles(cls, *args: Any, **kwargs: Any) -> "Molecule":
        raise NotImplementedError("Molecule.from_smiles needs RDKit, which ringlog does not use; write the "
                                  "molecule to a .sdf/.pdb file and pass its path")


def _plain(v: Any) -> Any:
    """JSON-able copy of a scene's boxes/vectors (arrays become lists)."""
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v
