"""How a W&B row reaches the intake: its fast write, then the checked rest from the key it missed.

:meth:`Rows.write` hands a row to the intake's fast path (:meth:`~ringlog._engine.intake.Intake.put_row`:
one dict lookup and two C appends per key). From the key it missed on, that key takes the checked
path (``put``: the Run's ``_put``, which validates, reports bad input and registers new keys) and
the keys after it the fast path again. A nested dict whose inner keys were written before goes in
by their cached ``"outer.inner"`` names (:meth:`~ringlog._engine.intake.Intake.put_mapped`: no
string built per call). Both fast paths read the staging's fast dict, which a full staging empties:
every key then takes the checked path, which waits for room, so the fullness gate holds here too.

:meth:`Rows.step_sync` adds the step metrics of ``define_metric(k, step_metric=...)`` to a row,
with each key's step metric cached until the next ``define_metric`` (a glob is matched once per key).
Figures (issue 18): ``benchmarks/bench_user.py``, ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Iterator, Optional

from .._engine.intake import MISSING, Intake
from .._engine.values import MAX_NESTING

#: a key not in the step-sync cache yet
_UNSEEN = object()


class Rows:
    """The row writer of one W&B ``Run``; see the module docstring."""

    __slots__ = ("_intake", "_put", "_nested", "_sync_of", "_spec")

    def __init__(self, intake: Intake, put: Callable[..., None], spec: Callable[[str], dict]) -> None:
        self._intake = intake
        self._put = put  # Run._put(key, value, step, path=(), parents=()): the checked path of one key
        self._nested: dict = {}  # outer key -> {inner key: "outer.inner"} for nested keys written before
        self._sync_of: dict = {}  # key -> its step metric to sync (None: none); reset by define_metric
        self._spec = spec  # RunState.metric_spec

    def write(self, row: Any, step: int, stop: Any = _UNSEEN) -> None:
        """Write ``row`` (a mapping) at ``step``: the fast path, then the rest from the key it missed;
        with ``stop`` (the key ``put_row`` missed, or ``MISSING``) the fast path already ran up to it."""
        intake = self._intake
        if stop is _UNSEEN:
            stop = intake.put_row(row, step)
            if stop is None:
                return
        if intake.closed:
            intake.closed_input("log")
            return
        self._drain(list(row.items()), stop, step, None, "", 0)

    def _drain(self, items: list, stop: Any, step: int, names: Optional[dict], outer: str, parent: int) -> None:
        """From key ``stop`` of ``items`` on: that key on its checked path, then the keys after it
        through the fast path again (``put_row``, or ``put_mapped`` with ``names`` for the inner keys
        of nested dict ``outer``, whose ``id`` is ``parent``): all of them at once, and after a second
        miss one key at a time, so a row of many new keys costs O(keys), not O(keys**2)."""
        i = 0
        if stop is not MISSING:
            while i < len(items) and not (items[i][0] is stop or items[i][0] == stop):
                i += 1
        if i == len(items):
            return
        intake = self._intake
        fast = intake.put_row if names is None else (lambda row, st: intake.put_mapped(row, names, st))
        self._miss(items[i], step, names, outer, parent)
        i += 1
        if i < len(items):
            nxt = fast(dict(items[i:]), step)
            if nxt is None:
                return
            while i < len(items) and not (items[i][0] is nxt or items[i][0] == nxt):
                i += 1
        for item in items[i:]:
            if fast(dict((item,)), step) is not None:
                self._miss(item, step, names, outer, parent)

    def _miss(self, item: tuple, step: int, names: Optional[dict], outer: str, parent: int) -> None:
        if names is None:
            self._one(item[0], item[1], step)
        else:
            self._inner(outer, parent, names, item[0], item[1], step)

    def _one(self, k: Any, v: Any, step: int) -> None:
        """A top-level key the fast path missed: a nested dict seen before by its cached names, else
        the checked path."""
        if type(v) is dict and type(k) is str and not isinstance(v.get("data"), list):  # {"data": [...]}: plotly
            names = self._nested.get(k)
            if names is not None:
                nxt = self._intake.put_mapped(v, names, step)
                if nxt is not None:
                    self._drain(list(v.items()), nxt, step, names, k, id(v))
                return
            self._put(k, v, step)
            if k.strip():
                self._nested[k] = {}  # its inner names are cached from the next call on
            return
        self._put(k, v, step)

    def _inner(self, outer: str, parent: int, names: dict, k2: Any, v2: Any, step: int) -> None:
        """An inner key of nested dict ``outer`` that missed: the checked path with the path and parents
        ``Run._put`` gives it (one level; a deeper dict recurses there); a number's name is cached."""
        if not isinstance(k2, str):
            self._put(k2, v2, step)  # reported as a bad key there
            return
        flat = f"{outer}.{k2}"
        self._put(flat, v2, step, (outer, k2), (parent,))
        if type(v2) is float or type(v2) is int:
            names[k2] = flat  # registered and its nesting recorded (Run._put called set_nested)

    # --- step metrics ------------------------------------------------------------------------
    def reset_sync(self) -> None:
        """A metric was (re)defined: the cached step metrics may have changed."""
        self._sync_of = {}

    def step_sync(self, row: dict, last: Callable[[str], Optional[float]]) -> None:
        """W&B's step sync (wandb/sdk/internal/handler.py, ``_history_update_leaf``): add to ``row``
        (the run's own copy) the step metric of each key that has one to sync and lacks it, from
        ``last(step_metric)`` (its last logged value). Flat rows use the per-key cache."""
        cache = self._sync_of
        add: Optional[dict] = None
        for k, v in row.items():
            if isinstance(v, Mapping):
                self._step_sync_walk(row, last)
                return
            sm = cache.get(k, _UNSEEN)
            if sm is _UNSEEN:
                sm = None
                if isinstance(k, str):
                    spec = self._spec(k)
                    if spec.get("step_metric") and spec.get("step_sync", True):
                        sm = spec["step_metric"]
                cache[k] = sm
            if sm is not None and sm not in row and (add is None or sm not in add):
                value = last(sm)
                if value is not None:
                    if add is None:
                        add = {}
                    add[sm] = value
        if add:
            row.update(add)

    def _step_sync_walk(self, row: dict, last: Callable[[str], Optional[float]]) -> None:
        """:meth:`step_sync` for a row with nested dicts: every stored key ("outer.inner") looked up."""
        keys = set(flat_keys(row))
        for k in list(keys):
            spec = self._spec(k)
            sm = spec.get("step_metric")
            if sm and spec.get("step_sync", True) and sm not in keys:
                value = last(sm)
                if value is not None:
                    row[sm] = value
                    keys.add(sm)


def flat_keys(row: Mapping, prefix: str = "", parents: tuple = ()) -> Iterator[str]:
    """The keys a row stores: nested dicts as "outer.inner" (a dict containing itself, or nested
    deeper than MAX_NESTING, stops there: ``Run._put`` reports it)."""
    if id(row) in parents or len(parents) > MAX_NESTING:
        return
    for k, v in list(row.items()):
        if isinstance(k, str):
            key = prefix + k
            if isinstance(v, Mapping) and not isinstance(v.get("data"), list):
                yield from flat_keys(v, key + ".", parents + (id(row),))
            else:
                yield key
