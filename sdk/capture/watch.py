"""``ringlog.watch(model)``: histograms of a PyTorch model's gradients and/or parameters over steps.

``watch(models, criterion=None, log="gradients", log_freq=100, idx=None, log_graph=False)``
follows ``wandb.watch``: ``log`` is ``"gradients"``, ``"parameters"``, ``"all"`` or
``None``; every ``log_freq``-th backward pass (gradients) or forward pass
(parameters) the histogram of each parameter's gradient / value is logged as a
distribution record (title ``"gradients"`` or ``"parameters"``, series = the
parameter's name, e.g. ``"0.weight"``; with several models the series is
prefixed ``"<i>."``; ``idx`` overrides ``i``). The step is the count of backward
(or forward) passes seen, so the viewer shows the distributions over steps.
``criterion`` and ``log_graph`` are accepted for W&B compatibility and ignored.

Mechanics: gradients use ``Tensor.register_hook`` on every parameter that
requires grad (the hook only reads the gradient, it never changes it);
parameters use a forward hook on the module. Histograms are computed with
``torch.histc`` over the finite values, on the tensor's device (64 bins), so a
GPU tensor is not copied whole to the host. torch is imported only here, when
``watch`` is called. ``unwatch(model)`` (or ``unwatch()`` for every model the
current run watches) removes the hooks; a finished run's hooks do nothing.
Each run keeps its registry (model -> hooks) on its capture handle (``core.capture.watched``,
set up by :func:`ringlog.capture.manager.attach` for every run, capture on or off). A histogram
that fails is counted (``WatchHandle.failed``) and reported once by the run's ``warn_once``;
the training step goes on.
Cost: one histogram per parameter every ``log_freq`` steps; nothing otherwise
but a counter increment per parameter per backward.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from .._engine import context
from ..media import writer

if TYPE_CHECKING:  # pragma: no cover
    import weakref

    from .._engine.protocol import RunSink
    from .._engine.runcore import RunCore

BINS = 64
LOG_CHOICES = ("gradients", "parameters", "all", None)


class WatchHandle:
    """The hooks ``watch`` put on one model; ``remove()`` takes them off."""

    def __init__(self, core: "RunSink", model: Any, prefix: str, log: Optional[str], log_freq: int) -> None:
        self.core, self.model, self.prefix, self.log, self.log_freq = core, model, prefix, log, log_freq
        self.hooks: list = []
        self.backward_calls: dict[str, int] = {}
        self.forward_calls = 0
        self.logged = 0
        self.failed = 0  # histograms that could not be logged (the first is reported)

    def install(self) -> "WatchHandle":
        if self.log in ("gradients", "all"):
            for name, p in self.model.named_parameters():
                if p.requires_grad:
                    self.hooks.append(p.register_hook(self._grad_hook(self.prefix + name)))
        if self.log in ("parameters", "all"):
            self.hooks.append(self.model.register_forward_hook(self._forward_hook))
        return self

    def remove(self) -> None:
        for h in self.hooks:
            h.remove()
        self.hooks = []

    def _grad_hook(self, name: str):
        def hook(grad):
            n = self.backward_calls.get(name, 0)
            self.backward_calls[name] = n + 1
            if n % self.log_freq == 0 and not self.core.finished:
                self._log("gradients", name, grad, n)
            return None

        return hook

    def _forward_hook(self, module, inputs, output):
        n = self.forward_calls
        self.forward_calls = n + 1
        if n % self.log_freq == 0 and not self.core.finished:
            for name, p in module.named_parameters():
                self._log("parameters", self.prefix + name, p, n)

    def _log(self, title: str, series: str, tensor: Any, step: int) -> None:
        try:
            counts, edges, nonfinite = tensor_histogram(tensor)
            writer.write_histogram(self.core, title, series, step, counts, edges, nonfinite)
            self.logged += 1
        except Exception as exc:  # a training step never fails because of logging: counted, reported once
            self.failed += 1
            self.core.warn_once("watch", f"ringlog.watch: could not log {title}/{series} ({exc!r}); "
                                         f"later failures are counted in WatchHandle.failed")


def tensor_histogram(t: Any, bins: int = BINS):
    """(counts int64, edges float64, non-finite count) of the finite values of a torch tensor."""
    import torch  # deferred: optional and heavy; the caller's tensors mean it is loaded already

    with torch.no_grad():
        x = t.detach().flatten()
        if not x.is_floating_point():
            x = x.float()
        elif x.dtype in (torch.float16, torch.bfloat16):
            x = x.float()
        total = x.numel()
        x = x[torch.isfinite(x)]
        nonfinite = total - x.numel()
        if x.numel() == 0:
            return np.zeros(1, dtype=np.int64), np.array([0.0, 1.0]), nonfinite
        lo, hi = float(x.min()), float(x.max())
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        counts = torch.histc(x, bins=bins, min=lo, max=hi)
    return counts.cpu().numpy().astype(np.int64), np.linspace(lo, hi, bins + 1), nonfinite


def watch(models: Any, criterion: Any = None, log: Optional[str] = "gradients", log_freq: int = 100,
          idx: Optional[int] = None, log_graph: bool = False) -> list:
    """Hook ``models`` (a ``torch.nn.Module`` or a list of them); see the module docstring.

    Returns the list of :class:`WatchHandle` (one per model).
    """
    core = context.current_core()
    if core is None:
        raise RuntimeError("ringlog.watch: no run is active; call ringlog.init() or Task.init() first")
    if log not in LOG_CHOICES:
        raise ValueError(f"log: must be one of 'gradients', 'parameters', 'all' or None (given: {log!r})")
    if isinstance(log_freq, bool) or not isinstance(log_freq, int) or log_freq < 1:
        raise ValueError(f"log_freq: must be a positive int (given: {log_freq!r})")
    many = isinstance(models, (list, tuple))
    seq = list(models) if many else [models]
    for i, m in enumerate(seq):
        if not (hasattr(m, "named_parameters") and hasattr(m, "register_forward_hook")):
            raise TypeError(f"models: must be a torch.nn.Module or a list of them (given: {type(m).__name__} "
                            f"at position {i})")
    registry = _registry(core)
    handles = []
    for i, m in enumerate(seq):
        old = registry.get(m)
        if old is not None:  # watching again replaces the previous hooks (idempotent)
            old.remove()
        prefix = f"{idx if idx is not None else i}." if (many or idx is not None) else ""
        h = WatchHandle(core, m, prefix, log, log_freq).install()
        registry[m] = h
        handles.append(h)
    return handles


def _registry(core: "RunCore") -> "weakref.WeakKeyDictionary":
    """model -> WatchHandle for one run: its capture handle's ``watched`` (weak: a dropped model is
    forgotten; nothing is stored on the model itself, so ``torch.save(model)`` and pickling are
    unaffected). Every run started by ``init`` / ``Task.init`` has a handle (``manager.attach``)."""
    return core.capture.watched


def unwatch(models: Any = None) -> None:
    """Remove ``watch`` hooks from ``models`` (a module or list), or from every model the current run watches."""
    core = context.current_core()
    if core is None:
        return
    registry = _registry(core)
    if models is None:
        targets = list(registry.keys())
    else:
        targets = list(models) if isinstance(models, (list, tuple)) else [models]
    for m in targets:
        h = registry.pop(m, None)
        if h is not None:
            h.remove()
