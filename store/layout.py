"""Names and sizes of the on-disk layout (FORMAT.md is the prose version)."""

from __future__ import annotations

from pathlib import Path

FORMAT_VERSION = 2        # 2: raw arrays sharded (shards.py); readers still read 1
CHUNK = 1 << 16          # raw points per Zarr (inner) chunk (step, value, time)
SHARD = 16               # inner chunks per shard file of a raw array (1,048,576 points)
FAN1 = 256               # raw points per level-1 pyramid bucket
FAN = 8                  # level-(k-1) buckets per level-k bucket, k >= 2
LEVEL_CHUNK = 4096       # records per Zarr chunk of a pyramid level (a multiple of FAN)
TIME_RES = 1e-3          # seconds per unit of the stored int64 time
MAX_LEVELS = 16

TASK_META = "zarr.json"      # group attributes = the task's metadata
SERIES_INDEX = "series.json"  # series ids, dtypes, chunk and level counts, last metrics
CATALOG = "catalog.sqlite"


def level_size(k: int) -> int:
    """Raw points per bucket of level ``k`` (k >= 1)."""
    return FAN1 * FAN ** (k - 1)


def series_dir(task_path: Path, sid: int) -> Path:
    return task_path / f"s{sid}"


def value_dir(sdir: Path, dtype: str) -> Path:
    return sdir / ("value" if dtype == "f4" else "value64")


def level_dir(sdir: Path, k: int) -> Path:
    return sdir / f"L{k}"
