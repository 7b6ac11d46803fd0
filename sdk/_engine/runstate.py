"""RunState: what a run records besides its points - config, tags, the summary values the user set,
metric definitions and extra metadata - behind one lock of its own.

Every change goes through a method that takes the lock and marks the state dirty; the flusher
writes a :meth:`RunState.snapshot` on its next cycle. Single-key reads (``config_get``) take no
lock: one dict read is atomic under the GIL and writers never mutate a value in place. The W&B
``config``/``summary`` views and ClearML's ``connect``/``add_tags``/``set_parameter`` are thin
over these methods; nothing outside the engine sees the lock or the dicts.
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from .values import jsonable


class RunState:
    """Config, tags, user summary, metric definitions and extra metadata of one run."""

    def __init__(self, *, kind: str, tags: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._kind = kind  # "wandb" or "clearml", recorded in the metadata as "flavour"
        self._config: dict = {}
        self._tags: list[str] = list(tags)
        self._summary: dict = {}
        self._metrics: dict[str, dict] = {}
        self._extra: dict = {}
        self._dirty = False

    @property
    def dirty(self) -> bool:
        """Something changed since the last :meth:`snapshot`."""
        return self._dirty

    # --- config ----------------------------------------------------------------------------
    def config_get(self, key: str) -> Any:
        """``config[key]`` (KeyError if absent)."""
        return self._config[key]

    def has_config(self, key: object) -> bool:
        return key in self._config

    def config_copy(self) -> dict:
        with self._lock:
            return dict(self._config)

    def set_config(self, key: str, value: Any) -> None:
        with self._lock:
            self._config[key] = value
            self._dirty = True

    def update_config(self, items: Mapping, only_new: bool = False) -> None:
        """Merge ``items`` (``only_new``: keep keys already set, W&B's ``setdefaults``)."""
        with self._lock:
            for k, v in items.items():
                if not only_new or k not in self._config:
                    self._config[k] = v
            self._dirty = True

    def del_config(self, key: str) -> None:
        with self._lock:
            del self._config[key]
            self._dirty = True

    def set_section(self, section: str, values: Mapping) -> None:
        """Replace config section ``section`` with a copy of ``values`` (ClearML's ``connect``)."""
        with self._lock:
            self._config[section] = dict(values)
            self._dirty = True

    def merge_section(self, section: str, values: Mapping) -> None:
        """Merge ``values`` into config section ``section`` (made if absent; ``set_parameter``,
        TensorBoard's ``add_hparams``)."""
        with self._lock:
            current = self._config.get(section)
            merged = dict(current) if isinstance(current, Mapping) else {}
            merged.update(values)
            self._config[section] = merged
            self._dirty = True

    # --- tags ------------------------------------------------------------------------------
    def tags(self) -> list[str]:
        with self._lock:
            return list(self._tags)

    def set_tags(self, tags: Iterable[str]) -> None:
        with self._lock:
            self._tags[:] = [str(t) for t in tags]
            self._dirty = True

    def add_tags(self, tags: Iterable[str]) -> None:
        """Append the tags not already there, in order."""
        with self._lock:
            for t in tags:
                if t not in self._tags:
                    self._tags.append(t)
            self._dirty = True

    # --- summary values the user set, and metric definitions --------------------------------------
    def user_summary(self) -> dict:
        with self._lock:
            return dict(self._summary)

    def set_summary(self, key: str, value: Any) -> None:
        with self._lock:
            self._summary[key] = value
            self._dirty = True

    def del_summary(self, key: str) -> None:
        with self._lock:
            self._summary.pop(key, None)
            self._dirty = True

    def has_summary(self, key: str) -> bool:
        return key in self._summary

    def summary_get(self, key: str) -> Any:
        """The value the user set for ``key`` (KeyError if none)."""
        return self._summary[key]

    def define_metric(self, name: str, spec: dict) -> None:
        """Record how metric ``name`` (a glob allowed) is summarised and plotted."""
        with self._lock:
            self._metrics[name] = dict(spec)
            self._dirty = True

    def summary_how(self, key: str) -> str:
        """``key``'s aggregate from ``define_metric`` (exact name first, then globs), else "last"."""
        spec = self._metrics.get(key)
        if spec is None:
            for pattern, s in list(self._metrics.items()):
                if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(key, pattern):
                    spec = s
                    break
        return (spec or {}).get("summary") or "last"

    # --- extra metadata and the flusher's view ------------------------------------------------
    def set_meta(self, **fields: Any) -> None:
        """Record metadata fields (``env=...``, ``init_args=...``; anything JSON-able)."""
        with self._lock:
            self._extra.update(fields)
            self._dirty = True

    def touch(self) -> None:
        """Have the flusher write the metadata again (e.g. the summary changed)."""
        self._dirty = True

    def snapshot(self) -> dict:
        """A JSON-safe copy of everything (clears ``dirty``); the flusher's view."""
        with self._lock:
            self._dirty = False
            out = dict(self._extra)
            out["config"] = jsonable(self._config)
            out["tags"] = list(self._tags)
            out["metrics"] = jsonable(self._metrics)
            out["flavour"] = self._kind
        return out
