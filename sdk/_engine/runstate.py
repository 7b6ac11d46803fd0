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
from typing import Any, Optional

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
        self._nested: dict[str, tuple] = {}  # "train.loss" -> ("train", "loss"): logged as a nested dict
        self._logged: dict = {}  # key -> the last str logged under it (W&B keeps it in the summary)
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

    def metric_spec(self, key: str) -> dict:
        """``key``'s ``define_metric`` spec: its exact name first, then the first glob that matches
        (W&B's handler matches a glob when the key is logged, so a glob applies to keys logged after
        it; keys starting with "_" are W&B's own and match no glob). ``{}`` when none."""
        spec = self._metrics.get(key)
        if spec is None and not key.startswith("_"):
            for pattern, s in list(self._metrics.items()):
                if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(key, pattern):
                    return s
        return spec or {}

    def summary_how(self, key: str) -> Optional[tuple]:
        """How ``key`` appears in the summary: None -> its last value as is (W&B's default "copy");
        else a tuple of (summary name, aggregate) pairs, e.g. (("max", "max"),) for ``summary="max"``,
        (("best", "min"),) for ``"best"`` without ``goal="maximize"``, () for ``"none"`` (no key)."""
        return summary_kinds(self.metric_spec(key))

    def has_step_sync(self) -> bool:
        """Some metric was defined with a ``step_metric`` to sync (the W&B row takes the checked path)."""
        return any(s.get("step_metric") and s.get("step_sync", True) for s in list(self._metrics.values()))

    def set_nested(self, key: str, path: tuple) -> None:
        """``key`` ("train.loss") came from a nested dict: the summary nests it under ``path``."""
        if self._nested.get(key) != path:
            with self._lock:
                self._nested[key] = tuple(path)
                self._dirty = True

    def set_logged(self, key: str, value: Any) -> None:
        """The last non-numeric value logged under ``key`` (a str): part of the default summary."""
        with self._lock:
            self._logged[key] = value
            self._dirty = True

    def has_shaped(self, key: str) -> bool:
        """Some summary key is built by :meth:`shape_summary` (a nested or logged-str key may be ``key``)."""
        return key in self._logged or key in self._nested or any(p[0] == key for p in list(self._nested.values()))

    def shape_summary(self, flat: dict) -> dict:
        """The summary as W&B keeps it: logged strings added, then keys that came from nested dicts
        nested again ({"train.loss": v} -> {"train": {"loss": v}}), then the values the user set (they win)."""
        with self._lock:
            out = dict(self._logged)
            out.update(flat)
            nested = dict(self._nested)
            user = dict(self._summary)
        for key, path in nested.items():
            if key in out:
                node = out
                value = out.pop(key)
                for part in path[:-1]:
                    child = node.get(part)
                    if not isinstance(child, dict):
                        child = node[part] = {}
                    node = child
                node[path[-1]] = value
        out.update(user)
        return out

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


#: ``define_metric(summary=...)`` names W&B accepts (wandb/sdk/wandb_metric.py, handler.py)
SUMMARY_NAMES = ("min", "max", "mean", "first", "last", "best", "copy", "none")


def summary_kinds(spec: dict) -> Optional[tuple]:
    """:meth:`RunState.summary_how` of one spec (its ``summary`` is a "min,max"-style string)."""
    text = spec.get("summary")
    if not text:
        return None
    names = [s.strip() for s in str(text).split(",") if s.strip()]
    if "none" in names:
        return ()
    if "copy" in names:
        return None
    goal_max = spec.get("goal") in ("maximize", "max")
    return tuple((n, ("max" if goal_max else "min") if n == "best" else n) for n in names)
