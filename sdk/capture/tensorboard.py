"""TensorBoard capture: ``SummaryWriter`` calls also land in the task (the writer still writes
its event files exactly as before).

Patched, on ``torch.utils.tensorboard.writer.SummaryWriter`` and
``tensorboardX.writer.SummaryWriter`` (now if imported, else the moment they are
imported, through :class:`~ringlog.capture.patching.PostImportHook`): ``add_scalar``,
``add_scalars``, ``add_histogram``, ``add_image``, ``add_images``,
``add_figure``, ``add_text``, ``add_hparams`` and ``add_audio``. The original method runs first;
its exceptions reach the caller untouched and then nothing is mirrored. A
mirroring failure warns once (``run.warn_once``) and the program goes on.
Calls made *inside* a patched call (``add_figure`` calls ``add_image``,
``add_hparams`` creates a writer and calls ``add_scalar``) are not mirrored twice.

Mapping (ClearML's rules): a tag ``"a/b/c"`` becomes title ``"a/b"`` and series
``"c"``; a tag without ``/`` becomes title = series = tag, or title ``"Scalars"``
after ``Logger.tensorboard_auto_group_scalars(True)``. ``add_scalars(main, {k: v})``
is title ``main``, series ``k``. A missing ``global_step`` counts 0, 1, 2, ... per
series. A second log folder writing a tag the first one already uses (train and val
writers both logging ``"loss"``) gets the series ``"<series> (<folder name>)"``, so the
two never interleave (TensorBoard shows them as two runs). Histograms go to ``kind="histogram"`` plot records (distributions over
steps), images and image batches (as an 8-wide grid, TensorBoard's layout) to PNG
samples, figures to plotly (else PNG), text to the console log (stream ``"log"``),
hparams to the run's config under ``"hparams"`` and their metrics to scalars, audio to
WAV samples. Not mirrored (the event file still has them): graphs, embeddings, PR
curves, meshes, videos, custom scalar layouts.

Cost of a captured ``add_scalar``: one cached tag split and the run's ``report_scalar``, which
is the engine's fast path (two C appends, repaired if Ctrl-C lands between them; checked on any
miss): well under 1 us on top of the writer's own ~20-40 us.
"""

from __future__ import annotations

import os
import sys
import threading
import weakref
from typing import Any, Optional

from .._engine.protocol import RunSink
from ..media import capture_media as cm
from .options import CaptureLoggerMixin
from .patching import MethodPatch, PostImportHook

TARGETS = {"torch.utils.tensorboard.writer": "SummaryWriter", "tensorboardX.writer": "SummaryWriter"}
METHODS = ("add_scalar", "add_scalars", "add_histogram", "add_image", "add_images", "add_figure", "add_text",
           "add_hparams", "add_audio")


class _Depth(threading.local):
    """Per-thread nesting depth of patched calls (class default 0: no AttributeError path)."""

    depth = 0


def _ref(writer: Any):
    try:
        return weakref.ref(writer)
    except TypeError:  # not weak-referenceable (None in tests): a strong reference does
        return lambda: writer


def _logdir(writer: Any) -> str:
    """The writer's log folder (torch: ``log_dir``, tensorboardX: ``logdir``)."""
    for attr in ("log_dir", "logdir"):
        d = getattr(writer, attr, None)
        if isinstance(d, (str, os.PathLike)):
            return os.fspath(d)
    get = getattr(writer, "get_logdir", None)
    if callable(get):
        try:
            return str(get())
        except (AttributeError, OSError, TypeError, ValueError):  # a writer without a folder yet: named by id
            return f"writer-{id(writer):x}"
    return f"writer-{id(writer):x}"


def split_tag(tag: str, group: bool = False) -> tuple[str, str]:
    """ClearML's tag -> (title, series); see the module docstring."""
    tag = str(tag)
    head, sep, last = tag.rpartition("/")
    if sep and head and last:
        return head, last
    return ("Scalars" if group else tag), tag


class TBCapture:
    """Patches the writers for ``run``; ``stop()`` restores them."""

    def __init__(self, run: RunSink) -> None:
        self.run = run
        self.active = False
        self.patches: list[MethodPatch] = []
        self.hook: Optional[PostImportHook] = None
        self._local = _Depth()
        self._writers: dict = {}  # id(writer) -> (weak reference, {group: {tag: (title, series)}})
        self._last: list = [None, None]  # [writer, its caches], held until stop
        self._owners: dict = {}  # (title, series) -> log folder of the first writer that used it
        self._auto: dict = {}
        self.patched_modules: list[str] = []

    # --- install / remove --------------------------------------------------------
    def start(self) -> "TBCapture":
        if self.active:
            return self
        self.active = True
        missing = []
        for mod in TARGETS:
            if mod in sys.modules:
                self._patch_module(sys.modules[mod])
            else:
                missing.append(mod)
        if missing:
            self.hook = PostImportHook(missing, self._patch_module).install()
        return self

    def _patch_module(self, module: Any) -> None:
        try:
            cls = getattr(module, TARGETS[module.__name__])
            if any(p.cls is cls for p in self.patches):
                return
            if getattr(cls.__dict__.get("add_scalar"), "__ringlog_original__", None) is not None:
                return  # another run's capture holds this class (idempotent: one mirror per call)
            for name in METHODS:
                if name in dir(cls):
                    self.patches.append(MethodPatch(cls, name, self._wrap(name, getattr(cls, name))))
            self.patched_modules.append(module.__name__)
        except Exception as exc:
            self._failed("patch", exc)

    def stop(self) -> None:
        if self.hook is not None:
            self.hook.remove()
            self.hook = None
        for p in self.patches:
            p.undo()  # if someone wrapped us since, our wrapper stays but passes through (active=False)
        self.patches = []
        self.active = False
        self._last[0] = self._last[1] = None

    # --- the wrapper -------------------------------------------------------------
    def _wrap(self, name: str, orig: Any):
        cap = self
        local = self._local
        mirror = getattr(self, "_on_" + name)
        pre = getattr(self, "_pre_" + name, None)

        if name == "add_scalar":
            return self._wrap_add_scalar(orig)
        if pre is None:
            def wrapper(writer, *args, **kwargs):
                if local.depth or not cap.active:
                    return orig(writer, *args, **kwargs)
                local.depth = 1
                try:
                    result = orig(writer, *args, **kwargs)
                finally:
                    local.depth = 0
                try:
                    mirror(writer, *args, **kwargs)
                except Exception as exc:
                    cap._failed(name, exc)
                return result
        else:
            def wrapper(writer, *args, **kwargs):
                if local.depth or not cap.active:
                    return orig(writer, *args, **kwargs)
                prepared = None
                try:
                    prepared = pre(*args, **kwargs)  # before the original (add_figure closes the figure)
                except Exception as exc:
                    cap._failed(name, exc)
                local.depth = 1
                try:
                    result = orig(writer, *args, **kwargs)
                finally:
                    local.depth = 0
                if prepared is not None:
                    try:
                        mirror(writer, prepared, *args, **kwargs)
                    except Exception as exc:
                        cap._failed(name, exc)
                return result

        wrapper.__name__ = getattr(orig, "__name__", name)
        wrapper.__qualname__ = getattr(orig, "__qualname__", name)
        wrapper.__doc__ = getattr(orig, "__doc__", None)
        wrapper.__wrapped__ = orig
        return wrapper

    def _wrap_add_scalar(self, orig: Any):
        """The hot one, with the cached tag lookup inlined (one Python call less per point)."""
        cap = self
        local = self._local
        report = self.run.report_scalar
        writers = self._writers
        last = self._last  # the writer used last and its tag cache: one identity test per call
        mixin = CaptureLoggerMixin

        def add_scalar(writer, tag, scalar_value, global_step=None, walltime=None, *args, **kwargs):
            # add_scalar calls no other patched method, so it needs no depth mark of its own; it only
            # reads the mark (add_hparams' inner writer calls it)
            if args or kwargs:
                result = orig(writer, tag, scalar_value, global_step, walltime, *args, **kwargs)
            else:
                result = orig(writer, tag, scalar_value, global_step, walltime)
            if local.depth or not cap.active:
                return result
            try:
                if last[0] is writer:
                    caches = last[1]
                else:
                    entry = writers.get(id(writer))
                    caches = entry[1] if entry is not None and entry[0]() is writer else None
                    if caches is not None:
                        last[0], last[1] = writer, caches
                if caches is not None and walltime is None and type(global_step) is int:
                    ts = caches[mixin._tensorboard_auto_group].get(tag)
                    if ts is not None:
                        report(ts[0], ts[1], scalar_value, global_step)
                        return result
                cap._on_add_scalar(writer, tag, scalar_value, global_step, walltime)
            except Exception as exc:
                cap._failed("add_scalar", exc)
            return result

        add_scalar.__name__ = getattr(orig, "__name__", "add_scalar")
        add_scalar.__qualname__ = getattr(orig, "__qualname__", "add_scalar")
        add_scalar.__doc__ = getattr(orig, "__doc__", None)
        add_scalar.__wrapped__ = orig
        return add_scalar

    def _failed(self, what: str, exc: BaseException) -> None:
        self.run.warn_once("tb:" + what, f"ringlog TensorBoard capture: {what} could not be mirrored into the "
                                          f"task ({exc!r}); the event file is unaffected")

    # --- helpers -----------------------------------------------------------------
    def _split(self, tag: Any, writer: Any = None) -> tuple[str, str]:
        """(title, series) of ``tag`` as written by ``writer``, cached per writer."""
        group = CaptureLoggerMixin._tensorboard_auto_group
        entry = self._writers.get(id(writer))
        if entry is None or entry[0]() is not writer:
            entry = self._writers[id(writer)] = (_ref(writer), {False: {}, True: {}})
        cache = entry[1][group]
        ts = cache.get(tag)
        if ts is None:
            title, series = split_tag(tag, group)
            ts = cache[tag] = self._owned(title, series, writer)
        return ts

    def _owned(self, title: str, series: str, writer: Any) -> tuple[str, str]:
        """The first writer (log folder) to use a (title, series) keeps it; another folder writing
        the same tag (the usual train/val writers) gets ``"<series> (<folder name>)"`` so the two
        never interleave in one series."""
        logdir = _logdir(writer)
        owner = self._owners.setdefault((title, series), logdir)
        if owner == logdir:
            return title, series
        return title, f"{series} ({os.path.basename(logdir.rstrip('/')) or logdir})"

    def _step(self, title: str, series: str, step: Any) -> int:
        """``global_step`` as an int; None counts 0, 1, 2, ... per series."""
        if step is None:
            n = self._auto.get((title, series), -1) + 1
            self._auto[title, series] = n
            return n
        if type(step) is int:
            return step
        return int(step.item()) if hasattr(step, "item") else int(step)

    # --- mirrors (signatures follow SummaryWriter's; extra arguments are ignored) -
    def _on_add_scalar(self, writer, tag, scalar_value, global_step=None, walltime=None, *_, **__):
        title, series = self._split(tag, writer)
        step = global_step if type(global_step) is int else self._step(title, series, global_step)
        if walltime is not None:
            self.run.report_array(title, series, [cm.to_numpy(scalar_value).item()], [step], [float(walltime)])
            return
        self.run.report_scalar(title, series, scalar_value, step)

    def _on_add_scalars(self, writer, main_tag, tag_scalar_dict, global_step=None, walltime=None, *_, **__):
        for k, v in tag_scalar_dict.items():
            title, series = self._owned(str(main_tag), str(k), writer)
            self.run.report_scalar(title, series, v, self._step(title, series, global_step))

    def _on_add_histogram(self, writer, tag, values, global_step=None, bins="tensorflow", walltime=None, *_, **__):
        title, series = self._split(tag, writer)
        cm.report_histogram(self.run, title, series, self._step(title, series, global_step), values, bins=bins)

    def _on_add_image(self, writer, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW", *_, **__):
        title, series = self._split(tag, writer)
        arr = cm.image_to_uint8(img_tensor, dataformats)
        cm.report_image(self.run, title, series, self._step(title, series, global_step), arr)

    def _on_add_images(self, writer, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW", *_, **__):
        title, series = self._split(tag, writer)
        arr = cm.images_grid(img_tensor, dataformats)
        cm.report_image(self.run, title, series, self._step(title, series, global_step), arr)

    def _pre_add_figure(self, tag, figure, *_, **__):
        figs = figure if isinstance(figure, (list, tuple)) else [figure]
        return [cm.figure_payload(f) for f in figs]  # before the writer closes the figure

    def _on_add_figure(self, writer, payloads, tag, figure, global_step=None, *_, **__):
        title, series = self._split(tag, writer)
        step = self._step(title, series, global_step)
        for i, payload in enumerate(payloads):
            cm.report_payload(self.run, title, series if len(payloads) == 1 else f"{series}/{i}", step, payload)

    def _on_add_text(self, writer, tag, text_string, global_step=None, *_, **__):
        title, series = self._split(tag, writer)
        step = self._step(title, series, global_step)
        self.run.console_write("log", f"[{tag} @ {step}] {text_string}")

    def _on_add_audio(self, writer, tag, snd_tensor, global_step=None, sample_rate=44100, walltime=None, *_, **__):
        title, series = self._split(tag, writer)
        cm.report_audio(self.run, title, series, self._step(title, series, global_step), snd_tensor, sample_rate)

    def _on_add_hparams(self, writer, hparam_dict, metric_dict, *rest, **kwargs):
        run = self.run
        hp = {str(k): (v if isinstance(v, (int, float, str, bool)) or v is None else str(v))
              for k, v in dict(hparam_dict).items()}
        run.merge_config("hparams", hp)
        step = kwargs.get("global_step")
        for k, v in dict(metric_dict).items():
            title, series = self._split(k, writer)
            run.report_scalar(title, series, v, 0 if step is None else int(step))
