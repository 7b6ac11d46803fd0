"""The run ``ringlog.init(mode="disabled")`` returns (also ``$RINGLOG_MODE`` / ``$WANDB_MODE`` =
``disabled``): a :class:`~ringlog.wandb.run.Run` over a disabled engine
(:mod:`ringlog._engine.disabled`). Every method of ``Run`` works and writes nothing: ``log`` only
advances the step, ``config`` / ``summary`` / ``define_metric`` keep their values in memory (read
back as usual), artifact and model calls return None (W&B's disabled run does the same), ``save``
returns ``[]``. Test suites and debug runs rely on this leaving no file behind.
"""

from __future__ import annotations

import tempfile
from typing import Any, Optional

from .._engine.values import STEP_END
from .run import Run


class DisabledRun(Run):
    """A W&B-style run that records nothing on disk; see the module docstring."""

    disabled = True

    def log(self, data: Any = None, step: Any = None, commit: Optional[bool] = None, sync: Any = None,
            complete: Optional[bool] = None) -> None:
        """Advance the step as ``Run.log`` would (an explicit ``step`` moves it there); keep nothing."""
        self.history.row = {}
        if isinstance(step, int) and not isinstance(step, bool) and 0 <= step < STEP_END:
            self._step = max(self._step, step)
            if commit is True:
                self._step += 1
        elif commit is not False and complete is not False:
            self._step = min(self._step + 1, STEP_END)

    @property
    def dir(self) -> str:
        """A temporary folder, as W&B's disabled run gives (nothing is written there by ringlog)."""
        return tempfile.gettempdir()

    def save(self, glob_str: Any = None, base_path: Any = None, policy: str = "live") -> list:
        return []

    def log_artifact(self, artifact_or_path: Any, name: Optional[str] = None, type: Optional[str] = None,
                     aliases: Optional[list] = None, tags: Optional[list] = None) -> Any:
        return None

    def use_artifact(self, artifact_or_name: Any, type: Optional[str] = None, aliases: Optional[list] = None,
                     use_as: Optional[str] = None) -> Any:
        return None

    def log_model(self, path: Any, name: Optional[str] = None, aliases: Optional[list] = None) -> Any:
        return None

    def use_model(self, name: str) -> Any:
        return None

    def alert(self, title: str = "", text: str = "", level: Any = None, wait_duration: Any = None) -> None:
        """W&B's ``run.alert``: nothing to notify in a disabled run."""
        return None

    def __repr__(self) -> str:
        return f"<ringlog.Run {self.id} (disabled) step={self._step}>"
