"""Python objects to artifact files and back, by ClearML's ``upload_artifact`` rules.

=====================  =====================================  ==================================
object                 stored as                              ``get()`` returns
=====================  =====================================  ==================================
pandas DataFrame       ``<name>.parquet`` when pyarrow is     the DataFrame
                       importable, else ``<name>.csv.gz``
                       (ClearML's own default: it needs
                       nothing beyond pandas); preview = the
                       first rows as text
numpy ndarray          ``<name>.npz`` (one ``array.npy``)     the array
dict / list            ``<name>.json``                        the dict / list
PIL Image              ``<name>.png``                         the image
str / Path to a file   the file, under its own name           its local path
str / Path to folder   every file, by its path in the folder  the local folder
a glob ("dir/*.jpg")   every match, relative to the part      the local folder
                       before the first wildcard
"s3://..." etc.        a reference (URI recorded, not read)   the URI
anything else          ``<name>.pkl`` (pickle; flagged)       the unpickled object
=====================  =====================================  ==================================

Output is deterministic (gzip and zip times fixed), so the same object stored twice has the
same content hash and makes no new version. ``serialization_function(obj) -> bytes`` overrides
the table; ``auto_pickle=False`` stores ``str(obj)`` instead of a pickle, as ClearML does.
Costs: one serialization into a temp file (never the whole of a big file in memory for
paths; numpy arrays are written to the temp file chunk by chunk by numpy itself).
"""

from __future__ import annotations

import glob as _glob
import io
import json
import os
import pickle
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

PREVIEW_CHARS = 65536
_WILDCARD = set("*?[")
_URI_SCHEMES = ("s3://", "gs://", "az://", "azure://", "http://", "https://", "file://", "hdfs://", "ftp://")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class PackError(ValueError):
    """Raised when an object cannot be stored; ``argument`` names the culprit."""

    def __init__(self, argument: str, message: str, kind: str = "value") -> None:
        super().__init__(f"{argument}: {message}")
        self.argument, self.kind = argument, kind


@dataclass
class Packed:
    kind: str
    files: list = field(default_factory=list)       # (path inside the artifact, Path or bytes)
    references: list = field(default_factory=list)  # {"path", "uri"}
    preview: str = ""
    extra: dict = field(default_factory=dict)


def _preview(text: str) -> str:
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "\n..."


def _is_dataframe(obj: Any) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, pd.DataFrame)


def _is_ndarray(obj: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(obj, np.ndarray)


def _is_pil(obj: Any) -> bool:
    mod = sys.modules.get("PIL.Image")
    return mod is not None and isinstance(obj, mod.Image)


def has_pyarrow() -> bool:
    try:
        import pyarrow  # deferred: optional; parquet when installed, csv.gz otherwise
    except ImportError:
        return False
    return pyarrow is not None


def _ext(extension_name: Optional[str], allowed: tuple, default: str) -> str:
    if extension_name is None:
        return default
    ext = extension_name if extension_name.startswith(".") else "." + extension_name
    if ext not in allowed:
        raise PackError("extension_name", f"must be one of {list(allowed)} for this object, given {extension_name!r}")
    return ext


def pack(obj: Any, name: str, workdir: Path, *, auto_pickle: Optional[bool] = True,
         extension_name: Optional[str] = None, serialization_function: Optional[Callable] = None,
         sort_keys: bool = True) -> Packed:
    """Turn ``obj`` into files (temp files go under ``workdir``); see the module docstring. The
    artifact's ``name`` names its files with '/' and '\\' replaced by '_'."""
    name = name.replace("/", "_").replace("\\", "_")
    if serialization_function is not None:
        if not callable(serialization_function):
            raise PackError("serialization_function", "must be callable(obj) -> bytes", "type")
        data = serialization_function(obj)
        if not isinstance(data, (bytes, bytearray)):
            raise PackError("serialization_function", f"must return bytes, returned {type(data).__name__}", "type")
        ext = extension_name or ".bin"
        ext = ext if ext.startswith(".") else "." + ext
        return Packed("custom", [(name + ext, bytes(data))], preview=_preview(repr(obj)))
    if _is_dataframe(obj):
        return _pack_dataframe(obj, name, workdir, extension_name)
    if _is_ndarray(obj) and obj.dtype != object:
        ext = _ext(extension_name, (".npz",), ".npz")
        path = workdir / (name + ext)
        _write_npz(obj, path)
        return Packed("numpy", [(path.name, path)], preview=_preview(f"{obj.dtype} {obj.shape}\n{obj!r}"),
                      extra={"format": "npz", "shape": list(obj.shape), "dtype": str(obj.dtype)})
    if _is_pil(obj):
        ext = _ext(extension_name, (".png", ".jpg", ".jpeg"), ".png")
        img = obj if obj.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16") else obj.convert("RGB")
        if ext != ".png" and img.mode not in ("L", "RGB"):
            img = img.convert("RGB")
        buf = io.BytesIO()
        img.save(buf, format="PNG" if ext == ".png" else "JPEG")
        return Packed("image", [(name + ext, buf.getvalue())], preview=_preview(repr(obj)),
                      extra={"format": ext[1:], "width": obj.width, "height": obj.height})
    if isinstance(obj, (dict, list)):
        _ext(extension_name, (".json",), ".json")
        try:
            text = json.dumps(obj, sort_keys=sort_keys, indent=2, allow_nan=True)
        except (TypeError, ValueError) as exc:
            if auto_pickle is False:
                raise PackError("artifact_object", f"is a {type(obj).__name__} that is not JSON ({exc})") from exc
            return _pickle(obj, name, note=f"not JSON ({exc}), pickled")
        return Packed("json", [(name + ".json", text.encode("utf-8"))], preview=_preview(text))
    if isinstance(obj, (str, os.PathLike)):
        return _pack_path(obj, name)
    if auto_pickle is False:
        text = str(obj)
        return Packed("str", [(name + ".txt", text.encode("utf-8"))], preview=_preview(text))
    return _pickle(obj, name)


def _pickle(obj: Any, name: str, note: str = "") -> Packed:
    try:
        data = pickle.dumps(obj, protocol=4)
    except Exception as exc:  # pickling runs user code (__reduce__): any error means "cannot store"
        raise PackError("artifact_object", f"a {type(obj).__name__} cannot be pickled ({exc!r})") from exc
    return Packed("pickle", [(name + ".pkl", data)], preview=_preview(repr(obj)[:PREVIEW_CHARS]),
                  extra={"pickled": True, "object_type": f"{type(obj).__module__}.{type(obj).__qualname__}"}
                  | ({"note": note} if note else {}))


def _pack_dataframe(df: Any, name: str, workdir: Path, extension_name: Optional[str]) -> Packed:
    default = ".parquet" if has_pyarrow() else ".csv.gz"
    ext = _ext(extension_name, (".parquet", ".csv.gz", ".csv"), default)
    path = workdir / (name + ext)
    if ext == ".parquet":
        if not has_pyarrow():
            raise PackError("extension_name", "'.parquet' needs pyarrow (pip install pyarrow); use '.csv.gz'")
        df.to_parquet(path, index=True)
    elif ext == ".csv.gz":
        df.to_csv(path, compression={"method": "gzip", "mtime": 0})
    else:
        df.to_csv(path)
    preview = df.head(20).to_string(max_colwidth=80)
    return Packed("pandas", [(path.name, path)], preview=_preview(preview),
                  extra={"format": ext[1:], "rows": int(df.shape[0]), "columns": [str(c) for c in df.columns]})


def _write_npz(arr: Any, path: Path) -> None:
    import numpy as np  # deferred: only when a numpy array is stored (it is already imported then)

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as z:
        info = zipfile.ZipInfo("array.npy", date_time=_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            np.lib.format.write_array(f, np.ascontiguousarray(arr), allow_pickle=False)


def _pack_path(obj: Any, name: str) -> Packed:
    text = os.fspath(obj)
    if not isinstance(text, str):
        raise PackError("artifact_object", f"must be a str path, given bytes {text!r}", "type")
    p = Path(text).expanduser()
    if text.startswith(_URI_SCHEMES) and not p.exists():
        return Packed("reference", references=[{"path": name, "uri": text}], preview=text)
    if p.is_file():
        return Packed("file", [(p.name, p)], preview=_text_preview(p), extra={"source": str(p)})
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file())
        if not files:
            raise PackError("artifact_object", f"folder {text!r} holds no file")
        return Packed("folder", [(f.relative_to(p).as_posix(), f) for f in files],
                      preview="\n".join(f.relative_to(p).as_posix() for f in files[:200]), extra={"source": str(p)})
    if _WILDCARD & set(text):
        parts = Path(text).parts
        cut = next(i for i, part in enumerate(parts) if _WILDCARD & set(part))
        base = Path(*parts[:cut]) if cut else Path(".")
        files = sorted(Path(f) for f in _glob.glob(text, recursive=True) if os.path.isfile(f))
        if not files:
            raise PackError("artifact_object", f"wildcard {text!r} matches no file")
        rel = [os.path.relpath(f, base).replace(os.sep, "/") for f in files]
        return Packed("files", list(zip(rel, files)), preview="\n".join(rel[:200]),
                      extra={"source": text})
    raise PackError("artifact_object", f"{text!r} is no existing file, folder, wildcard match or URI")


def _text_preview(p: Path) -> str:
    if p.suffix.lower() in (".txt", ".json", ".csv", ".yaml", ".yml", ".md", ".log", ".py", ".cfg", ".ini", ".toml"):
        try:
            with open(p, "rb") as f:
                return _preview(f.read(PREVIEW_CHARS).decode("utf-8", "replace"))
        except OSError:
            return ""
    return f"{p.name} ({p.stat().st_size:,} bytes)"


def unpack(manifest: dict, local: Path, deserialization_function: Optional[Callable] = None) -> Any:
    """The object a version holds (see the module docstring); ``local`` is its downloaded folder."""
    kind = manifest.get("kind", "")
    files = manifest.get("files") or []
    first = local.joinpath(*files[0]["path"].split("/")) if files else None
    if deserialization_function is not None:
        if first is None:
            raise PackError("deserialization_function", "this artifact holds no file to deserialize")
        return deserialization_function(first.read_bytes())
    fmt = manifest.get("format", "")
    if kind == "pandas":
        import pandas as pd  # deferred: only to read a stored DataFrame back

        return pd.read_parquet(first) if fmt == "parquet" else pd.read_csv(first, index_col=0)
    if kind == "numpy":
        import numpy as np  # deferred: only to read a stored array back

        with np.load(first, allow_pickle=False) as z:
            return z["array"]
    if kind == "json":
        return json.loads(first.read_text(encoding="utf-8"))
    if kind == "image":
        from PIL import Image  # deferred: Pillow is needed only to read a stored image back

        with Image.open(first) as im:
            im.load()
            return im.copy()
    if kind == "pickle":
        with open(first, "rb") as f:
            return pickle.load(f)
    if kind == "str":
        return first.read_text(encoding="utf-8")
    if kind == "reference":
        refs = manifest.get("references") or []
        return refs[0]["uri"] if len(refs) == 1 else [r["uri"] for r in refs]
    if kind in ("file", "custom") and first is not None and len(files) == 1:
        return str(first)
    return str(local)

