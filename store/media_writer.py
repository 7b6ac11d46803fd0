"""Writes one task's debug samples, plots and console records (see :mod:`ringlog.store.media`
for the layout, retention and crash rules)."""

from __future__ import annotations

import os
import shutil
import time
from collections import deque
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from .errors import StoreTypeError, StoreValueError
from .media_index import (COMPACT_MIN, CONSOLE_FILE, EXTENSIONS, KINDS, MEDIA_DIR, MEDIA_INDEX, PLOTS_FILE, _append,
                          _check_iteration, _fs, is_uri, _iter_lines, _local_dest, _public, check_ext,
                          check_history, dumps, safe_name)


class MediaWriter:
    """Appends samples, plots and console records to one task folder (not thread-safe: lock outside)."""

    def __init__(self, task_path: Union[str, Path]) -> None:
        self.path = Path(task_path)
        self.task_id = self.path.name
        self._live: Optional[dict] = None  # (title, series) -> deque of live add records
        self._tombstones = 0
        self._nlive = 0
        self._seq = 0
        self._names: dict = {}       # (title, series, iteration) -> (live samples, highest n)
        self._reserved: set = set()  # (title, series, iteration, n) prepared but not committed yet
        self._keep: dict = {}        # the same keys -> max_history given at prepare time

    # --- samples --------------------------------------------------------------------------------
    def _load(self) -> dict:
        """Rebuild the live records per (title, series) from the index (resume after a restart)."""
        if self._live is None:
            live: dict = {}
            by_id: dict = {}
            tomb = 0
            for rec in _iter_lines(self.path / MEDIA_INDEX):
                if rec.get("op") == "del":
                    tomb += 1
                    by_id.pop(rec.get("id"), None)
                elif rec.get("op") == "add":
                    by_id[rec.get("id")] = rec
                    self._seq = max(self._seq, int(rec.get("id", 0)) + 1)
            self._names = {}
            for rec in by_id.values():
                live.setdefault((rec["title"], rec["series"]), deque()).append(rec)
                self._name_taken(rec)
            self._live, self._tombstones, self._nlive = live, tomb, len(by_id)
        return self._live

    def _name_taken(self, rec: dict) -> None:
        key = (rec["title"], rec["series"], rec["iteration"])
        count, top = self._names.get(key, (0, -1))
        self._names[key] = (count + 1, max(top, int(rec.get("n", 0))))

    def _name_freed(self, rec: dict) -> None:
        key = (rec["title"], rec["series"], rec["iteration"])
        count, top = self._names.get(key, (1, -1))
        if count <= 1:
            self._names.pop(key, None)
        else:
            self._names[key] = (count - 1, top)

    def add_media(self, title: str, series: str, iteration: int, data: Optional[bytes] = None,
                  src_path: Union[str, Path, None] = None, ext: str = "png", kind: Optional[str] = None,
                  caption: Optional[str] = None, max_history: int = 100,
                  destination: Optional[str] = None, extra: Optional[dict] = None,
                  uri: Optional[str] = None) -> dict:
        """Store one sample (bytes ``data`` or a copy of ``src_path``) and return its index record.

        The file goes to ``<task>/media/...`` or, with ``destination`` (a folder or an fsspec URI),
        to ``<destination>/<task id>/<title>/<series>/...``; the record holds ``path`` (relative to
        the task folder when inside it, else absolute) or ``uri``. Afterwards only the newest
        ``max_history`` samples of (title, series) remain. ``extra`` (JSON-able) is kept in the record.
        ``uri`` instead of data registers a file stored elsewhere already (ClearML's ``url=``): it is
        recorded as ``uri`` with ``external: true`` and never copied or deleted by retention.

        A caller that holds a lock around this writer and sends samples to a remote destination
        can split this call so the network transfer runs outside its lock: :meth:`prepare_media`
        (under the lock), :func:`upload_sample` (outside), :meth:`commit_media` (under the lock),
        then :func:`delete_sample_files` on what retention dropped (outside).
        """
        if sum(x is not None for x in (data, src_path, uri)) != 1:
            raise StoreValueError("data/src_path/uri: give exactly one of bytes data, a source file path or a uri")
        if data is not None and not isinstance(data, (bytes, bytearray, memoryview)):
            raise StoreTypeError(f"data: must be bytes (given: {type(data).__name__})")
        if src_path is not None and not Path(src_path).is_file():
            raise FileNotFoundError(f"src_path: no such file {str(src_path)!r}")
        rec = self.prepare_media(title, series, iteration, ext=ext, kind=kind, caption=caption,
                                 max_history=max_history, destination=destination, extra=extra, uri=uri)
        try:
            if uri is None:
                if "uri" in rec:
                    upload_sample(rec["uri"], data, src_path)
                else:
                    path = Path(rec["path"])
                    self._write_local(path if path.is_absolute() else self.path / path, data, src_path)
                rec["size"] = len(data) if data is not None else Path(src_path).stat().st_size
        except BaseException:
            self.abandon_media(rec)
            raise
        public, dropped = self.commit_media(rec)
        delete_sample_files(self.path, dropped)
        return public

    def prepare_media(self, title: str, series: str, iteration: int, *, ext: str = "png",
                      kind: Optional[str] = None, caption: Optional[str] = None, max_history: int = 100,
                      destination: Optional[str] = None, extra: Optional[dict] = None,
                      uri: Optional[str] = None) -> dict:
        """Check the arguments and name the sample's file: the record to store the file at (its
        ``path`` or ``uri``) and then to pass to :meth:`commit_media` (or :meth:`abandon_media`).
        The name is reserved until then, so samples prepared meanwhile never share it."""
        for arg, v in (("title", title), ("series", series)):
            if not isinstance(v, str) or not v:
                raise StoreTypeError(f"{arg}: must be a non-empty str (given: {v!r})")
        iteration = _check_iteration(iteration)
        ext = check_ext(ext)
        kind = kind or EXTENSIONS[ext]
        if kind not in KINDS:
            raise StoreValueError(f"kind: must be one of {', '.join(KINDS)} (given: {kind!r})")
        keep = check_history(max_history)
        if uri is not None and (not isinstance(uri, str) or not uri):
            raise StoreTypeError(f"uri: must be a non-empty str (given: {uri!r})")
        self._load()  # reads the index once: the live samples and their name counters
        # O(1): the highest n among live samples of this iteration (never reused while one is live)
        top = self._names.get((title, series, iteration), (0, -1))[1]
        if self._reserved:
            top = max([top] + [n for (t, s, i, n) in self._reserved if (t, s, i) == (title, series, iteration)])
        n = top + 1
        fname = f"{iteration}_{n}.{ext}"
        rel = f"{safe_name(title)}/{safe_name(series)}/{fname}"
        rec: dict[str, Any] = {"op": "add", "id": None, "title": title, "series": series,
                               "iteration": iteration, "n": n, "kind": kind, "ext": ext,
                               "caption": caption, "time": time.time()}
        if uri is not None:
            rec["uri"], rec["external"] = uri, True
        elif destination is None:
            rec["path"] = f"{MEDIA_DIR}/{rel}"
        elif is_uri(destination):
            _fs(destination)  # a clear error now if fsspec (or the protocol) is missing
            rec["uri"] = destination.rstrip("/") + f"/{self.task_id}/{rel}"
        else:
            rec["path"] = str((_local_dest(destination) / self.task_id / rel).resolve())
        if extra:
            rec["extra"] = extra
        self._reserved.add((title, series, iteration, n))
        self._keep[(title, series, iteration, n)] = keep
        return rec

    def abandon_media(self, rec: dict) -> None:
        """Give up a prepared sample (its file could not be stored): frees its name."""
        key = (rec["title"], rec["series"], rec["iteration"], rec["n"])
        self._reserved.discard(key)
        self._keep.pop(key, None)

    def commit_media(self, rec: dict) -> tuple[dict, list[dict]]:
        """List a prepared sample whose file is stored: append its index line, then apply retention.

        Returns (the public record, the records retention dropped): their tombstones are written,
        so readers no longer list them; delete their files with :func:`delete_sample_files`."""
        key = (rec["title"], rec["series"], rec["iteration"], rec["n"])
        self._reserved.discard(key)
        keep = self._keep.pop(key, 100)
        live = self._load()
        q = live.setdefault((rec["title"], rec["series"]), deque())
        rec["id"] = self._seq
        self._seq += 1
        lines = [dumps(rec)]
        q.append(rec)
        self._name_taken(rec)
        self._nlive += 1
        dropped = []
        while len(q) > keep:
            old = q.popleft()
            self._name_freed(old)
            dropped.append(old)
            lines.append(dumps({"op": "del", "id": old["id"], "time": rec["time"]}))
            self._tombstones += 1
            self._nlive -= 1
        self.path.mkdir(parents=True, exist_ok=True)
        _append(self.path / MEDIA_INDEX, lines)
        if self._tombstones >= COMPACT_MIN and self._tombstones > self._nlive:
            self.compact()
        return _public(rec), dropped

    @staticmethod
    def _write_local(target: Path, data: Optional[bytes], src_path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        if data is not None:
            with open(tmp, "wb") as f:
                f.write(data)
        else:
            shutil.copyfile(src_path, tmp)
        os.replace(tmp, target)  # a reader never sees a half-written sample

    def compact(self) -> None:
        """Rewrite the index with live records only (temp file + rename: readers never see a mix)."""
        live = self._load()
        recs = sorted((r for q in live.values() for r in q), key=lambda r: r["id"])
        tmp = self.path / (MEDIA_INDEX + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("".join(dumps(r) + "\n" for r in recs))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path / MEDIA_INDEX)
        self._tombstones = 0

    # --- plots and console ----------------------------------------------------------------------
    def add_plot(self, title: str, series: str, iteration: int, figure: dict, *, kind: str = "plotly",
                 data: Optional[dict] = None) -> None:
        """Append one plotly figure dict for (title, series, iteration).

        ``kind`` is "plotly" (any figure), "histogram" (``data`` = {"bins", "counts"}) or "table"
        (``data`` = {"columns", "data"}); the raw ``data`` lets the viewer draw distributions or
        tables natively while ``figure`` always renders as a plain plotly chart.
        """
        # series may be "": ClearML reports line plots (and named multi-trace 3-D scatters) per title only
        if not isinstance(title, str) or not title:
            raise StoreTypeError(f"title: must be a non-empty str (given: {title!r})")
        if not isinstance(series, str):
            raise StoreTypeError(f"series: must be a str (given: {series!r})")
        iteration = _check_iteration(iteration)
        if not isinstance(figure, dict):
            raise StoreTypeError(f"figure: must be a plotly figure dict (given: {type(figure).__name__})")
        rec: dict[str, Any] = {"title": title, "series": series, "iteration": iteration, "time": time.time(),
                               "kind": kind, "figure": figure}
        if data is not None:
            rec["data"] = data
        line = dumps(rec)
        self.path.mkdir(parents=True, exist_ok=True)
        _append(self.path / PLOTS_FILE, [line])

    def add_console(self, records: Iterable[tuple]) -> None:
        """Append (unix time, stream, level, text) records in order."""
        lines = []
        for t, stream, level, text in records:
            lines.append(dumps({"time": float(t), "stream": str(stream), "level": str(level), "text": str(text)}))
        if lines:
            self.path.mkdir(parents=True, exist_ok=True)
            _append(self.path / CONSOLE_FILE, lines)

    def sync(self) -> None:
        """Make every index durable (fsync); sample files were renamed into place already."""
        for name in (MEDIA_INDEX, PLOTS_FILE, CONSOLE_FILE):
            p = self.path / name
            try:
                fd = os.open(p, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def upload_sample(uri: str, data: Optional[bytes], src_path: Union[str, Path, None] = None) -> None:
    """Store a sample's bytes (or a copy of ``src_path``) at an fsspec ``uri`` (no writer state:
    callers run it outside their writer lock)."""
    fs, rpath = _fs(uri)
    fs.makedirs(rpath.rsplit("/", 1)[0], exist_ok=True)
    if data is not None:
        with fs.open(rpath, "wb") as f:
            f.write(bytes(data))
    else:
        fs.put_file(str(src_path), rpath)


def delete_sample_files(task_path: Union[str, Path], records: Iterable[dict]) -> None:
    """Delete the files of samples retention dropped (after their tombstones: a reader never lists
    a file that is gone). Registered references (``external``) are not ours and stay."""
    for rec in records:
        if rec.get("external"):
            continue
        try:
            if "uri" in rec:
                fs, p = _fs(rec["uri"])
                fs.rm(p)
            else:
                p = Path(rec["path"])
                (p if p.is_absolute() else Path(task_path) / p).unlink()
        except (FileNotFoundError, OSError, ValueError):
            pass  # already gone (or unreachable): the tombstone still hides it
