"""Chunk codecs of the series arrays, and the Zarr v3 metadata that declares them.

ringlog encodes whole chunks itself (numcodecs Blosc, optionally after a Delta
filter) and writes them at the keys Zarr v3 uses (``<array>/c/<i>``), with a
``zarr.json`` declaring the same pipeline, so ``zarr.open_array`` reads the
arrays too (tested). Skipping zarr-python's write path keeps appends at the
speed of the compressor. Choices and measurements: FORMAT.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numcodecs import Blosc, Delta

from . import _fs
from ._fs import write_atomic
from ._fs import write_json_atomic
from .errors import CorruptStoreError

_SHUFFLE_NAMES = {Blosc.NOSHUFFLE: "noshuffle", Blosc.SHUFFLE: "shuffle", Blosc.BITSHUFFLE: "bitshuffle"}


@dataclass(frozen=True)
class ArraySpec:
    """How one kind of array is chunked and compressed."""

    dtype: str  # numpy dtype string, little endian
    cname: str
    clevel: int
    shuffle: int
    delta: bool = False

    @property
    def blosc(self) -> Blosc:
        return Blosc(cname=self.cname, clevel=self.clevel, shuffle=self.shuffle, blocksize=0)

    def codecs_json(self) -> list:
        out = []
        if self.delta:
            out.append({"name": "numcodecs.delta", "configuration": {"dtype": self.dtype}})
        out.append({"name": "bytes", "configuration": {"endian": "little"}})
        out.append({"name": "blosc", "configuration": {
            "typesize": np.dtype(self.dtype).itemsize, "cname": self.cname, "clevel": self.clevel,
            "shuffle": _SHUFFLE_NAMES[self.shuffle], "blocksize": 0}})
        return out


STEP = ArraySpec("<i8", "lz4", 5, Blosc.SHUFFLE)
TIME = ArraySpec("<i8", "lz4", 5, Blosc.BITSHUFFLE, delta=True)
VALUE_F4 = ArraySpec("<f4", "lz4", 5, Blosc.BITSHUFFLE)
VALUE_F8 = ArraySpec("<f8", "lz4", 5, Blosc.BITSHUFFLE)
LEVEL = ArraySpec("<f8", "zstd", 3, Blosc.BITSHUFFLE)

_ZARR_DTYPE = {"<i8": "int64", "<f4": "float32", "<f8": "float64"}


def encode(spec: ArraySpec, arr: np.ndarray) -> bytes:
    """Encode one whole chunk (C order) with ``spec``'s pipeline."""
    a = np.ascontiguousarray(arr, dtype=spec.dtype)
    if spec.delta:
        a = Delta(dtype=spec.dtype).encode(a.reshape(-1))
    return bytes(spec.blosc.encode(a))


def decode_into(spec: ArraySpec, data: bytes, out: np.ndarray, undelta: bool = True) -> None:
    """Decode one chunk into ``out`` (a contiguous array of the chunk's size and dtype).

    ``undelta=False`` leaves a delta-filtered chunk as deltas (the caller fuses the sum)."""
    try:
        spec.blosc.decode(data, out=out)
    except Exception as exc:  # numcodecs raises RuntimeError on a damaged buffer
        raise CorruptStoreError(f"chunk: cannot be decoded ({exc})") from exc
    if spec.delta and undelta:
        np.cumsum(out, out=out)


def decode(spec: ArraySpec, data: bytes, n: int) -> np.ndarray:
    out = np.empty(n, spec.dtype)
    decode_into(spec, data, out)
    return out


def array_meta(spec: ArraySpec, shape: list[int], chunks: list[int], attrs: dict | None = None,
               shard: int | None = None) -> dict:
    """The ``zarr.json`` of an array whose chunks ringlog writes itself.

    ``shard``: inner chunks per shard (schema 2, see shards.py): the grid's chunks are then
    shards of ``shard * chunks[0]`` points, each holding ``chunks``-sized inner chunks."""
    fill = 0.0 if spec.dtype[1] == "f" else 0
    grid, codecs = list(chunks), spec.codecs_json()
    if shard:
        grid = [shard * chunks[0]]
        codecs = [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": list(chunks), "codecs": codecs,
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}], "index_location": "end"}}]
    return {
        "zarr_format": 3, "node_type": "array", "shape": list(shape), "data_type": _ZARR_DTYPE[spec.dtype],
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": grid}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": fill, "codecs": codecs, "attributes": attrs or {}, "storage_transformers": [],
    }


def write_array_meta(folder: Path, spec: ArraySpec, shape, chunks, attrs=None, durable=False,
                     shard: int | None = None) -> None:
    _fs.makedirs(folder)
    write_json_atomic(folder / "zarr.json", array_meta(spec, shape, chunks, attrs, shard), durable)


def chunk_path(folder: Path, *index: int) -> Path:
    return folder.joinpath("c", *(str(i) for i in index))


def write_chunk(folder: Path, data: bytes, *index: int, replace: bool = False) -> Path:
    """Write an encoded chunk at its Zarr key; ``replace`` goes through a temp file + rename."""
    p = chunk_path(folder, *index)
    try:
        _write(p, data, replace)
    except FileNotFoundError:  # first chunk of the folder
        _fs.makedirs(p.parent)
        _write(p, data, replace)
    return p


def _write(p: Path, data: bytes, replace: bool) -> None:
    if replace:
        write_atomic(p, data, durable=False)
    else:
        fd = _fs.open_write(p, os.O_TRUNC)
        try:
            _fs.write_all(fd, data, p)
        finally:
            os.close(fd)


def read_chunk(folder: Path, *index: int) -> bytes:
    with _fs.open_rb(chunk_path(folder, *index)) as f:
        return f.read()


def fsync_one(p) -> None:
    """fsync one file or folder; a missing file needs none (a float32 value array removed by a
    migration); errors raise :class:`~ringlog.store.errors.StoreWriteError`."""
    _fs.fsync_path(p)


def fsync_paths(paths, pool=None) -> None:
    """fsync each file or folder (chunks written since the last sync, and their folders).

    With a thread pool the fsyncs overlap: the filesystem journal then commits them
    together (measured: 5-7M -> 9M points/s of durable ingest with 1M-point syncs).
    """
    paths = list(paths)
    if pool is not None and len(paths) > 4:
        try:
            list(pool.map(fsync_one, paths))
            return
        except RuntimeError:  # interpreter shutting down: no new threads
            pass
    for p in paths:
        fsync_one(p)
