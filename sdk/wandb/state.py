"""``run.config``, ``run.summary`` and the legacy ``run.history`` of a W&B-style run.

``Config`` and ``Summary`` are views over the run's
:class:`~ringlog._engine.runstate.RunState` (every change goes through its methods, under its
lock; the flusher writes the metadata on its next cycle). ``Summary`` computes its defaults
from the running per-series figures, so reading it costs O(number of keys).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

from ..errors import type_error
from .._engine.runcore import RunCore

if TYPE_CHECKING:  # pragma: no cover
    from .run import Run


class _View:
    """The read side both views share: iteration, length, keys/items/values over the subclass's
    ``as_dict()`` (a fresh copy, so iterating never races with the run's writes)."""

    as_dict: Callable[[], dict]

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())

    def keys(self):
        return self.as_dict().keys()

    def items(self):
        return self.as_dict().items()

    def values(self):
        return self.as_dict().values()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.as_dict()!r})"


class Config(_View):
    """``run.config``: dict-like with attribute access; every change is stored with the task."""

    def __init__(self, core: RunCore) -> None:
        object.__setattr__(self, "_core", core)
        object.__setattr__(self, "_state", core.state)

    def update(self, d: Any = None, allow_val_change: Any = None, **kw: Any) -> None:
        """Merge a dict, argparse Namespace, absl FLAGS or any object with ``__dict__``."""
        items = dict(as_mapping(d, self._core)) if d is not None else {}
        items.update(kw)
        self._state.update_config(items)

    def setdefaults(self, d: Any) -> None:
        self._state.update_config(as_mapping(d, self._core), only_new=True)

    def as_dict(self) -> dict:
        return self._state.config_copy()

    def __getattr__(self, name: str) -> Any:
        try:
            return self._state.config_get(name)
        except KeyError:
            raise AttributeError(f"config has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._state.set_config(name, value)

    def __getitem__(self, key: str) -> Any:
        return self._state.config_get(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self._state.set_config(key, value)

    def __delitem__(self, key: str) -> None:
        self._state.del_config(key)

    def __contains__(self, key: object) -> bool:
        return self._state.has_config(key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self._state.config_get(key)
        except KeyError:
            return default


class Summary(_View):
    """``run.summary``: each key defaults to its last logged value (or its define_metric
    aggregate); values the user sets stick and win over logged ones."""

    def __init__(self, core: RunCore) -> None:
        object.__setattr__(self, "_core", core)

    def as_dict(self) -> dict:
        return self._core.summary_values()

    def __getitem__(self, key: str) -> Any:
        return self._core.summary_value(key)

    def __setitem__(self, key: str, value: Any) -> None:
        core = self._core
        if not isinstance(key, str) or not key:
            core.bad_input("key", str(type_error("key", "must be a non-empty str", key)), kind="type")
            return
        core.state.set_summary(key, value)

    def __delitem__(self, key: str) -> None:
        self._core.state.del_summary(key)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._core.summary_value(name)
        except KeyError:
            raise AttributeError(f"summary has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def update(self, d: Any = None, **kw: Any) -> None:
        for k, v in {**dict(d or {}), **kw}.items():
            self[k] = v

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self._core.summary_value(key)
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        try:
            self._core.summary_value(key)  # type: ignore[arg-type]
        except (KeyError, TypeError):
            return False
        return True



class History:
    """Legacy ``run.history``: ``row`` (a dict), ``add()``, ``with step(cond):``, ``compute``."""

    def __init__(self, run: "Run") -> None:
        self._run = run
        self.row: dict = {}
        self.compute = True

    def add(self, row: Optional[Mapping] = None) -> None:
        """Write ``self.row`` (merged with ``row``) as one step and start a new row."""
        data = dict(self.row)
        if row:
            data.update(row)
        self.row = {}
        self._run.log(data, commit=True)

    @contextlib.contextmanager
    def step(self, compute: bool = True):
        """Build a row in the block; it is added on exit. ``compute`` tells the block whether
        expensive metrics are wanted this step (read back as ``history.compute``)."""
        prev = self.compute
        self.compute = bool(compute)
        try:
            yield self
        finally:
            self.compute = prev
        self.add()


def as_mapping(d: Any, core: RunCore) -> Mapping:
    """Config sources W&B accepts: dict, argparse.Namespace, absl FLAGS, objects."""
    if isinstance(d, Mapping):
        return d
    fv = getattr(d, "flag_values_dict", None)
    if callable(fv):
        return fv()
    if hasattr(d, "__dict__"):
        return {k: v for k, v in vars(d).items() if not k.startswith("_")}
    core.bad_input("config", str(type_error("config", "must be a dict, argparse.Namespace or object", d)),
                   kind="type")
    return {}
