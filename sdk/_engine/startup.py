"""What ``init()`` / ``Task.init()`` does on the caller's thread before any background thread starts.

1. :func:`preload` imports every module the run's threads will need: the store, the core's kernel
   modules (defining a numba function compiles nothing), numba's compiler registries (the ~70
   modules numba imports on its first compile), the media writer, what the environment
   collector uses (``importlib.metadata`` parses with ``email.parser``) and what the codecs create
   lazily (Blosc's ``multiprocessing`` lock). Measured cost ~1 s on a warm machine, once per process. Why on the caller's
   thread: an import on a background thread while the user's thread imports torch or pandas can
   end in ``_DeadlockError`` or a half-initialised module on either side (seen: whole runs lost,
   ``llvmlite.binding.analysis`` not found). After :func:`preload` the clock, the flusher and the
   warm-up thread import nothing (``tests/durability/test_startup_race.py`` checks it with an audit
   hook), so the scheme is immune whatever the user imports meanwhile.
2. :func:`open_task` creates the task folder and its metadata (status ``running``) at once, so a
   reader and the viewer see the run when ``init()`` returns and a script that ends right away still
   leaves its task. A failure (disk full, a read-only folder) is not raised: the flusher retries with
   backoff while the points stay staged.
3. :func:`start_warmup` loads the store's kernels from numba's cache on a helper thread, after the
   imports; on a cold cache a child process compiles them first, so no compile holds this
   process's GIL for seconds; nothing waits for it.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from ringlog.store import TaskWriter

#: modules every run needs on its background threads (imported once per process, on the caller's thread)
_NEEDED = ("concurrent.futures.thread", "getpass", "importlib.metadata", "email.parser", "email.feedparser",
           "multiprocessing.synchronize", "ringlog.store", "ringlog.store.media",
           "ringlog.core", "ringlog.core.stats", "ringlog.core.pyramid", "ringlog.core._warm", "numpy.ma", "numba.core.boxing", "numba.core.runtime.context")
#: optional: imported when installed (the environment collector's hardware figures)
_OPTIONAL = ("psutil", "pynvml")

_done = threading.Event()
_lock = threading.Lock()


def preload() -> None:
    """Import what the run's threads need, here, once per process (see the module docstring)."""
    if _done.is_set():
        return
    with _lock:
        if _done.is_set():
            return
        for name in _NEEDED:
            importlib.import_module(name)
        for name in _OPTIONAL:
            try:
                importlib.import_module(name)
            except Exception:  # absent or broken (pynvml without a driver): the collector copes
                pass
        # numba imports its typing and lowering registries on the first compile (or cache load):
        # do it now, so a compile on the warm-up thread imports nothing
        from numba.core.registry import cpu_target  # deferred: numba, imported by the store above

        cpu_target.typing_context.refresh()
        cpu_target.target_context.refresh()
        _done.set()


def open_task(core: Any) -> "TaskWriter":
    """Create ``core``'s task now (status running, with the metadata known so far); raises what the
    store raises (the caller keeps the error and the flusher retries with backoff)."""
    from ringlog.store import Store  # deferred: imported by preload() already; keeps the engine light

    resumed = core.resumed.pop("writer", None) if core.resumed else None  # opened by resume.continue_task
    writer = resumed or Store(core.settings.root).create_task(project=core.project, name=core.name,
                                                              tags=tuple(core.tags), task_id=core.id)
    try:
        writer.set_meta(status="running", **core.meta_snapshot())
    except Exception:  # the task exists: the flusher writes the metadata at its next cycle
        core.state.touch()
    return writer


#: compiles the store's kernels into numba's on-disk cache, in a child process; it exits with its parent
_CHILD = """
import os, sys, threading, time
parent = int(sys.argv[1])
def orphaned():
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)
threading.Thread(target=orphaned, daemon=True).start()
from ringlog.core import warmup
warmup(("pyramid",))
"""


def cached(module: Any) -> bool:
    """Whether numba's on-disk cache holds a compiled version of every kernel of ``module`` (then
    loading them takes milliseconds; otherwise compiling takes seconds). Reads numba's cache index
    (``numba.core.caching``); anything unexpected answers False. Helpers compiled into their
    callers (``inline="always"``, such as ``pyramid._no_finite``) have no cache entry of their own
    and are left out: counting them made every run, warm cache or not, start a compile process."""
    try:
        kernels = [v for v in vars(module).values() if hasattr(v, "signatures") and hasattr(v, "_cache")
                   and getattr(v, "targetoptions", {}).get("inline") != "always"]
        return bool(kernels) and all(k._cache._cache_file._load_index() for k in kernels)
    except Exception:
        return False


def start_warmup(run_id: str, warn: Callable[[str, str], None]) -> threading.Thread:
    """Make the kernels the store runs at each flush (pyramid roll-ups) ready, on a helper thread;
    nothing waits for it and the store uses NumPy versions until then. With a warm numba cache
    they load in milliseconds. With a cold one (the first run after install, a container without a
    persistent cache) a compile holds the GIL for seconds and would slow the flusher and the
    training loop; so a child process compiles them into the cache (another core, no GIL shared)
    and the thread then loads them. If the child cannot run or the cache cannot be written, they
    compile here. A failure is one warning (the kernels then compile on first use)."""

    def job() -> None:
        try:
            from ringlog.core import pyramid, warmup  # deferred: imported by preload() already

            if not cached(pyramid):
                try:
                    subprocess.run([sys.executable, "-c", _CHILD, str(os.getpid())], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600, check=False)
                except Exception:  # no interpreter to run (embedded Python): compile here
                    pass
            warmup(("pyramid",))  # decimation is the readers' (the viewer warms its own)
        except Exception as exc:
            warn("warmup", f"ringlog could not precompile its kernels: {exc!r}")

    t = threading.Thread(target=job, name=f"ringlog-warmup-{run_id[:8]}", daemon=True)
    t.start()
    return t
