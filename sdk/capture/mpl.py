"""matplotlib capture: figures shown with ``plt.show()`` / ``Figure.show()`` or saved with
``savefig`` are reported as plots, where ClearML puts them (clearml/binding/matplotlib_bind.py).

``matplotlib.pyplot.show``, ``pyplot.imshow``, ``matplotlib.figure.Figure.show`` and
``Figure.savefig`` are wrapped (now if pyplot is imported, else the moment it is). Before the
original runs (an interactive ``show`` may block and close the figures), every open figure
(``plt.show``) or the figure itself (``Figure.show``) is reported, whatever the backend (Agg too,
where ``show`` then shows nothing, as before):

* converted to plotly JSON when ``ringlog.media.figures`` converts it faithfully: a plot record,
  series ``"plot"``;
* else, or always after ``Logger.matplotlib_force_report_non_interactive(True)``, a static picture
  of it (a PNG inside a plotly layout), still in Plots, series ``"plot image"`` (ClearML's
  ``_report_image_plot_and_upload``);
* a figure drawn with ``plt.imshow`` since it was last reported, shown by ``plt.show()``: a PNG
  debug sample, series ``"plot image"`` (ClearML's ``_trains_is_imshow`` mark makes it
  ``report_as_debug_sample``; ClearML writes a JPEG there, ringlog keeps the PNG).

A figure not changed since it was last reported (matplotlib's ``stale`` flag is clear) is not
reported again.

Names: title = the figure's label, else its suptitle, else its first axes
title, else ``"Figure <num>"``; iteration counts the
reports of that title (0, 1, 2, ... so a figure re-shown in a loop gets a
slider). ``from matplotlib.pyplot import show`` done *before* the run started
binds the unpatched function and is not seen.

Cost: one render of each reported figure (tens of ms), on the caller's thread.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any, Iterator, Optional

from ..media import capture_media as cm
from ..media.figures import image_plot
from .options import CaptureLoggerMixin
from .patching import MethodPatch, PostImportHook

if TYPE_CHECKING:  # pragma: no cover
    from .._engine.protocol import RunSink


class _ModulePatch:
    """Swap a module attribute, restoring it only if ours is still there."""

    def __init__(self, module: Any, name: str, wrapper: Any) -> None:
        self.module, self.name, self.wrapper = module, name, wrapper
        self.original = getattr(module, name)
        wrapper.__ringlog_original__ = self.original
        setattr(module, name, wrapper)

    def undo(self) -> bool:
        if getattr(self.module, self.name, None) is not self.wrapper:
            return False
        setattr(self.module, self.name, self.original)
        return True


def figure_title(fig: Any, num: Optional[int] = None) -> str:
    label = fig.get_label() if hasattr(fig, "get_label") else ""
    if label:
        return str(label)
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return sup.get_text()
    for ax in fig.get_axes():
        t = ax.get_title()
        if t:
            return t
    if num is None:
        num = getattr(fig, "number", None)
    return f"Figure {num}" if num is not None else "Figure"


class MplCapture:
    """The matplotlib patches for one run (see the module docstring). ``failed`` counts figures that
    could not be reported; the first is reported by the run's ``warn_once``, the user's call
    (``show``/``savefig``) is never affected."""

    def __init__(self, run: "RunSink") -> None:
        self.run = run
        self.active = False
        self.patches: list = []
        self.hook: Optional[PostImportHook] = None
        self._counts: dict = {}
        self._seen: "weakref.WeakSet" = weakref.WeakSet()
        self._local = threading.local()
        self.reported = 0
        self.failed = 0

    def start(self) -> "MplCapture":
        if self.active:
            return self
        self.active = True
        if "matplotlib.pyplot" in sys.modules:
            self._patch(sys.modules["matplotlib.pyplot"])
        else:
            self.hook = PostImportHook(["matplotlib.pyplot"], self._patch).install()
        return self

    def stop(self) -> None:
        if self.hook is not None:
            self.hook.remove()
            self.hook = None
        for p in self.patches:
            p.undo()
        self.patches = []
        self.active = False

    def _patch(self, pyplot: Any) -> None:
        try:
            if hasattr(pyplot.show, "__ringlog_original__"):
                return  # another run's capture is installed
            from matplotlib.figure import Figure  # deferred: matplotlib is optional and heavy (loaded by now)

            self.patches.append(_ModulePatch(pyplot, "show", self._wrap_pyplot_show(pyplot.show)))
            self.patches.append(_ModulePatch(pyplot, "imshow", self._wrap_pyplot_imshow(pyplot.imshow, pyplot)))
            self.patches.append(MethodPatch(Figure, "show", self._wrap_figure_show(Figure.show)))
            self.patches.append(MethodPatch(Figure, "savefig", self._wrap_savefig(Figure.savefig)))
        except Exception as exc:
            self._failed(exc)

    def _wrap_pyplot_show(self, orig):
        cap = self

        def show(*args, **kwargs):
            if cap.active and not getattr(cap._local, "busy", False):
                cap._report_open()
            return orig(*args, **kwargs)

        show.__doc__ = orig.__doc__
        show.__wrapped__ = orig
        return show

    def _wrap_pyplot_imshow(self, orig, pyplot):
        """``plt.imshow`` marks the current figure: its next ``plt.show()`` report is a debug sample."""
        cap = self

        def imshow(*args, **kwargs):
            result = orig(*args, **kwargs)
            if cap.active:
                try:
                    pyplot.gcf()._ringlog_imshow = True
                except Exception as exc:
                    cap._failed(exc)
            return result

        imshow.__doc__ = orig.__doc__
        imshow.__wrapped__ = orig
        return imshow

    def _wrap_figure_show(self, orig):
        cap = self

        def show(fig, *args, **kwargs):
            if cap.active and not getattr(cap._local, "busy", False):
                cap._report_many([(fig, getattr(fig, "number", None))])
            return orig(fig, *args, **kwargs)

        show.__doc__ = orig.__doc__
        show.__wrapped__ = orig
        return show

    def _wrap_savefig(self, orig):
        """``Figure.savefig`` (``plt.savefig`` calls it): the usual way under Agg. Reported after the
        save succeeded, if the figure changed since it was last reported (checked before the save
        clears matplotlib's stale flag); a figure without a title is named after the file."""
        cap = self

        def savefig(fig, fname, *args, **kwargs):
            if not cap.active or getattr(cap._local, "busy", False) or cm.converting():
                return orig(fig, fname, *args, **kwargs)
            changed = fig not in cap._seen or getattr(fig, "stale", True)
            result = orig(fig, fname, *args, **kwargs)
            if changed:
                name = None
                if isinstance(fname, (str, os.PathLike)):
                    name = os.path.splitext(os.path.basename(os.fspath(fname)))[0] or None
                cap._report_many([(fig, getattr(fig, "number", None))], name=name, force=True)
            return result

        savefig.__doc__ = orig.__doc__
        savefig.__wrapped__ = orig
        return savefig

    def _report_open(self) -> None:
        try:
            from matplotlib._pylab_helpers import Gcf  # deferred: matplotlib is optional (loaded by now)

            figs = [(m.canvas.figure, m.num) for m in Gcf.get_all_fig_managers()]
        except Exception as exc:
            self._failed(exc)
            return
        self._report_many(figs, from_show=True)

    def _report_many(self, figs: list, name: Optional[str] = None, force: bool = False,
                     from_show: bool = False) -> None:
        self._local.busy = True  # the converter renders (savefig): never recurse
        try:
            for fig, num in figs:
                try:
                    # ClearML reads the imshow mark only when plt.show reports the open figures
                    imshow = from_show and getattr(fig, "_ringlog_imshow", False)
                    self.report_figure(fig, num, name=name, force=force or imshow, sample=imshow)
                except Exception as exc:
                    self._failed(exc)
        finally:
            self._local.busy = False

    def report_figure(self, fig: Any, num: Optional[int] = None, name: Optional[str] = None,
                      force: bool = False, sample: bool = False) -> bool:
        """Report ``fig`` unless it was reported and has not changed since (``force``: the caller
        checked); ``name``: the title when the figure has none of its own; ``sample``: as a PNG
        debug sample (a ``plt.imshow`` figure). True if reported."""
        if not force and fig in self._seen and not getattr(fig, "stale", True):
            return False
        busy = getattr(self._local, "busy", False)
        self._local.busy = True  # our own savefig below is not a user's
        try:
            return self._report(fig, num, name, sample)
        finally:
            self._local.busy = busy

    @contextlib.contextmanager
    def explicit(self, fig: Any) -> Iterator[None]:
        """Around an explicit report of ``fig`` (ClearML's ``report_matplotlib_figure``): its render is
        not a user's ``savefig``, and afterwards the figure counts as reported, so neither the render
        nor a later ``show()`` adds an auto-captured "Figure N" copy (until the figure changes)."""
        busy = getattr(self._local, "busy", False)
        self._local.busy = True
        try:
            yield
        finally:
            self._local.busy = busy
        fig.stale = False
        self._seen.add(fig)

    def _report(self, fig: Any, num: Optional[int], name: Optional[str], sample: bool = False) -> bool:
        fig._ringlog_imshow = False  # the mark is used up by this report (ClearML decrements its count)
        payload = cm.figure_payload(fig, interactive=not (sample or CaptureLoggerMixin._matplotlib_force_image))
        title = figure_title(fig, num)
        if name and title.startswith("Figure"):
            title = name
        it = self._counts.get(title, -1) + 1
        self._counts[title] = it
        if payload[0] == "plotly":
            cm.report_payload(self.run, title, "plot", it, payload)
        elif sample:
            cm.report_payload(self.run, title, "plot image", it, payload)  # a PNG debug sample
        else:
            cm.report_payload(self.run, title, "plot image", it, ("plotly", image_plot(payload[1], title)))
        fig.stale = False
        self._seen.add(fig)
        self.reported += 1
        return True

    def _failed(self, exc: BaseException) -> None:
        self.failed += 1
        self.run.warn_once("mpl", f"ringlog matplotlib capture: a figure could not be reported ({exc!r}); "
                                  f"plt.show() is unaffected")


def explicit_report(cap: Optional[MplCapture], fig: Any) -> "contextlib.AbstractContextManager":
    """:meth:`MplCapture.explicit` of the run's capture, or nothing when the run captures no figures."""
    return cap.explicit(fig) if cap is not None else contextlib.nullcontext()
