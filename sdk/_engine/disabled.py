"""``mode="disabled"``: a run whose every method works and which writes nothing.

:func:`disable` turns a fresh :class:`~.runcore.RunCore` into a disabled one before it starts:
its intake drops every point (``put``/``put_row`` return at once, so ``ringlog.log`` costs one
no-op call), its side outputs drop console records and media (a media writer whose every method
returns None), and :meth:`RunCore.start` then starts no thread, opens no store and imports neither
``ringlog.store`` nor numba. Config, tags, the user-set summary and metric definitions live in the
run's in-memory :class:`~.runstate.RunState` as usual, so reading them back works (W&B's disabled
run keeps them too). Nothing reads the store root: no folder is created, not even ``./ringlog_data``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Optional

from .intake import Intake
from .outputs import SideOutputs

if TYPE_CHECKING:  # pragma: no cover
    from .runcore import RunCore

#: the values ``init(mode=...)`` / ``$RINGLOG_MODE`` / ``$WANDB_MODE`` accept, and what each means here
MODES = {"online": "online", "offline": "offline", "disabled": "disabled", "run": "online", "dryrun": "offline",
         "shared": "shared"}  # shared: several processes write one task (ringlog._engine.shared)


class NullIntake(Intake):
    """An intake that takes every point and keeps none (no staging growth, no warning)."""

    def put(self, title: Any, series: Any, value: Any, iteration: Any) -> None:
        return None

    def put_row(self, row: Any, step: int) -> Any:
        return None

    def checked(self, title: Any, series: Any, value: Any, step: Any, **kw: Any) -> bool:
        return False

    def report_array(self, title: Any, series: Any, values: Any, iterations: Any, times: Any = None) -> None:
        return None

    def summaries(self, how: Callable[[str], Optional[tuple]], staged: bool = True) -> dict:
        return {}

    def summary(self, key: str, how: Optional[tuple], staged: bool = True) -> Any:
        return None


class NullMedia:
    """Stands in for the task's MediaWriter: every method accepts anything and returns None."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith("__"):
            raise AttributeError(name)
        return _nothing


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


class NullOutputs(SideOutputs):
    """Side outputs that keep nothing: console records, media and uploads are dropped."""

    def console_write(self, stream: str, text: str, level: str = "info", time: Optional[float] = None) -> None:
        return None

    def media_writer(self) -> Any:
        return NullMedia()

    def upload(self, nbytes: int, what: str, job: Callable[[], Any]) -> None:
        return None

    def drain_uploads(self, timeout: float, strict: bool) -> bool:
        return True

    def close_uploads(self, timeout: float) -> None:
        return None

    def write_records(self, final: bool = False) -> None:
        return None


def disable(core: "RunCore") -> "RunCore":
    """Make ``core`` (not started yet) a disabled run; see the module docstring."""
    old = core.intake
    core.intake = NullIntake(run_id=core.id, settings=core.settings, staging=old.staging, flusher=core.flusher)
    core.report_scalar = core.intake.put
    core.outputs = NullOutputs(run_id=core.id, settings=core.settings, flusher=core.flusher, warner=core.intake)
    core.disabled = True
    return core


def resolve_mode(mode: Any, env: dict) -> str:
    """``mode`` (argument), else ``$RINGLOG_MODE``, else ``$WANDB_MODE``, else "online"; returns one of
    "online", "offline", "disabled". A bad value raises ValueError naming where it came from."""
    from ..errors import value_error

    for name, raw in (("mode", mode), ("RINGLOG_MODE", env.get("RINGLOG_MODE")), ("WANDB_MODE", env.get("WANDB_MODE"))):
        if raw is None or (name != "mode" and not str(raw).strip()):
            continue
        key = raw.strip().lower() if isinstance(raw, str) else raw
        if not isinstance(key, str) or key not in MODES:
            arg = "mode" if name == "mode" else f"${name}"
            raise value_error(arg, f"must be one of {sorted(MODES)}", raw)
        return MODES[key]
    return "online"
