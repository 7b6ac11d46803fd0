"""Console capture: copy stdout/stderr into the task's console log (the terminal still shows all).

Two levels, chosen per stream at start:

* **File-descriptor level** (POSIX, when fd 1/2 is open): the fd is pointed at a
  pipe with ``os.dup2`` (a pseudo-terminal when it was a terminal, so ``isatty()``,
  colours and the terminal size stay as they were); a reader thread copies every byte to the original fd
  (so the terminal / file sees it unchanged) and queues a copy for the log. This
  catches ``print``, ``logging`` handlers created before ``init()``, C/C++
  extensions writing to ``stdout``/``stderr``, and child processes that inherit
  the fds (``subprocess.run``, ``os.system``, multiprocessing workers).
* **Python level** (everything else: Windows, notebooks, a test runner that
  swapped ``sys.stdout`` for an in-memory stream, a closed fd): ``sys.stdout`` /
  ``sys.stderr`` are replaced by a thin tee that calls the original ``write``
  first, then queues ``(time, text)``. Only writes through ``sys.stdout`` /
  ``sys.stderr`` are seen; output of C code or children is not.

Both levels may be active at once without duplicates: the Python tee is only
installed on a stream that does *not* already write to a captured fd.

An uncaught exception's traceback is logged too (as stderr lines) through a
``sys.excepthook`` link installed on top of the SDK's, because the SDK finishes
the run (stopping this capture) before the traceback is printed.

Not captured: output written to ``/dev/tty`` directly, output of a child that
was given its own stdout (``stdout=PIPE`` / a file), and bytes written by a
detached child after the run finished (they still reach the terminal: the
reader keeps forwarding until the last writer closes the pipe).

Cost on the user's thread: the Python tee adds one ``time.time()`` and one list append per
``write`` (``print`` calls ``write`` twice; ``benchmarks/bench_capture.py``). At fd level the
user's ``write`` goes to a pipe instead of the terminal (the same syscall). All text processing
happens on a pump thread every ``period`` seconds: lines are assembled, carriage-return progress
bars (tqdm) are folded to the state they show (the last non-empty segment after a ``\\r``; a
running bar is logged once per ``partial_period``), then handed to the sink. Block-buffered
output (stdout not a terminal) is flushed by the pump each period, so lines arrive within a period.

Bound: :class:`~.console_lines.ConsoleSink` logs at most ``cap_bytes`` (default
32 MiB) of text per run (see :mod:`.console_lines`, which holds the line folding
and the bound; :mod:`.console_fd` the fd-level redirection; this module the tee, the
excepthook link and the threads).
"""

from __future__ import annotations

import functools
import logging
import os
import selectors
import sys
import threading
import time
import traceback
import weakref
from typing import Callable, Optional

from .console_fd import FdPipe, fd_of, write_all
from .console_lines import DEFAULT_CAP, DEFAULT_TAIL, ConsoleSink, LineFolder

MAX_ERRORS = 10  # error messages kept for the report at stop (all are counted)
_log = logging.getLogger("ringlog.capture.console")


class PyTee:
    """Stands in for ``sys.stdout``/``sys.stderr``: the original ``write`` first, then a queued copy.

    Every other attribute (``fileno``, ``isatty``, ``encoding``, ``buffer``...)
    is the original's. ``detach_copy()`` makes it a pure pass-through, for when
    someone else has wrapped it and it cannot be unplugged at stop.
    """

    def __init__(self, original, queue: list) -> None:
        self._ringlog_original = original
        self._ringlog_queue = queue
        owrite = original.write
        append = queue.append
        clock = time.time
        on = self._ringlog_on = [True]  # a cell: whoever holds our bound write sees the switch

        def write(s):
            n = owrite(s)
            if on[0] and type(s) is str:
                append((clock(), s))
            return n

        self.write = write

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self):  # print(..., flush=True) calls it per line: skip the __getattr__ detour
        return self._ringlog_original.flush()

    def detach_copy(self) -> None:
        self._ringlog_on[0] = False

    def __getattr__(self, name):
        return getattr(self._ringlog_original, name)

    def __iter__(self):  # pragma: no cover - file protocol completeness
        return iter(self._ringlog_original)


class ConsoleCapture:
    """Start/stop of the console tee for one run; see the module docstring.

    ``write(stream, text, t)`` receives every folded line (``stream`` is
    ``"stdout"``/``"stderr"``, or ``"log"`` for ringlog's own notes).
    ``fd_level``: try the fd level (default True on POSIX). ``warn(kind, message)`` (the run's
    ``warn_once``) hears, once at ``stop()`` when the streams are back, how many errors the
    capture met (a failed redirect, a pump error...): never printed while they happen, because
    stderr may be our own pipe. Without ``warn`` they go to this module's logger.
    """

    # fds 1/2 are process-wide, so which of them a capture holds is process-wide too (the one
    # piece of class state here): a second run must not redirect them again
    _holding: set = set()

    @classmethod
    def active(cls) -> bool:
        """Whether some capture holds stdout/stderr now (fd or Python level)."""
        return bool(cls._holding) or isinstance(sys.stdout, PyTee) or isinstance(sys.stderr, PyTee)

    def __init__(self, write: Callable[[str, str, float], None], *, period: float = 0.5,
                 partial_period: float = 10.0, cap_bytes: int = DEFAULT_CAP, tail_bytes: int = DEFAULT_TAIL,
                 fd_level: bool = True, warn: Optional[Callable[[str, str], None]] = None) -> None:
        self.sink = ConsoleSink(write, cap_bytes, tail_bytes)
        self.period = period
        self.partial_period = partial_period
        self.fd_level = fd_level and os.name == "posix"
        self.pipes: list[FdPipe] = []
        self.tees: dict[str, PyTee] = {}
        self.originals: dict[str, object] = {}
        self.queues: list[tuple[str, list, LineFolder]] = []  # (stream, chunks, its own line folder)
        self._hook = None
        self._prev_hook = None
        self.errors: list = []  # the first MAX_ERRORS messages; error_count counts them all
        self.error_count = 0
        self._warn = warn
        self._stop = threading.Event()
        self._reader: Optional[threading.Thread] = None
        self._pump: Optional[threading.Thread] = None
        self._sel: Optional[selectors.BaseSelector] = None
        self._logging = True
        self._lock = threading.Lock()  # one drain at a time (pump vs stop)
        self.started = False

    @property
    def levels(self) -> dict:
        """How each stream is captured: {"stdout": "fd"|"python"|None, ...}."""
        out = {"stdout": None, "stderr": None}
        for p in self.pipes:
            out[p.name] = "fd"
        for name in self.tees:
            out[name] = out[name] or "python"
        return out

    def echo(self, data: str) -> bool:
        """Write ``data`` to the terminal behind the capture (not into the console log); False if
        this capture holds no stdout (the caller then writes to ``sys.stdout`` itself)."""
        if not self.started:
            return False
        for p in self.pipes:
            if p.name == "stdout" and not p.restored:
                os.write(p.saved, data.encode("utf-8", "replace"))
                return True
        tee = self.tees.get("stdout")
        if tee is not None and sys.stdout is tee:
            tee._ringlog_original.write(data)
            return True
        return False

    # --- start -------------------------------------------------------------------
    def start(self) -> "ConsoleCapture":
        """Redirect/tee both streams and start the threads; on any failure undo what was done and raise."""
        if self.started:
            return self
        self.started = True
        ConsoleCapture._holding.add(id(self))
        try:
            self._start()
        except BaseException:
            self.stop(timeout=0.5)
            raise
        return self

    def _start(self) -> None:
        for name, fd in (("stdout", 1), ("stderr", 2)):
            stream = getattr(sys, name)
            if isinstance(stream, PyTee):
                continue  # another run already tees this stream (idempotent)
            if self.fd_level:
                self._try_fd(name, fd, stream)
            if not any(p.name == name for p in self.pipes) or fd_of(stream) != fd:
                if stream is not None:
                    q: list = []
                    tee = PyTee(stream, q)
                    self.originals[name] = stream
                    self.tees[name] = tee
                    self.queues.append((name, q, LineFolder()))
                    setattr(sys, name, tee)
        self._install_excepthook()
        if self.tees and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=functools.partial(_off_in_child, weakref.ref(self)))
        if self.pipes:
            self._sel = selectors.DefaultSelector()
            for p in self.pipes:
                self._sel.register(p.read_end, selectors.EVENT_READ, p)
            self._reader = threading.Thread(target=self._read_loop, name="ringlog-console-reader", daemon=True)
            self._reader.start()
        self._pump = threading.Thread(target=self._pump_loop, name="ringlog-console", daemon=True)
        self._pump.start()

    def _try_fd(self, name: str, fd: int, stream) -> None:
        try:
            os.fstat(fd)
        except OSError:
            return
        if stream is not None and fd_of(stream) == fd:
            try:
                stream.flush()  # what was printed before start goes where it was going
            except (OSError, ValueError) as exc:  # a broken or closed stream: its own writes say so
                self._error(f"flush {name} before start: {exc!r}")
        try:
            p = FdPipe(fd, name)
        except OSError as exc:  # no redirect: this stream falls back to the Python level
            self._error(f"fd {fd}: {exc!r}")
            return
        self.pipes.append(p)
        self.queues.append((name, p.queue, LineFolder()))

    def _install_excepthook(self) -> None:
        """Queue an uncaught exception's traceback into the log as stderr lines.

        Why: the SDK's own ``sys.excepthook`` finishes the runs (which stops this
        capture) before the default hook prints the traceback, so the traceback
        would never pass through the tee. Ours sits on top, queues the text
        (without printing it: the chain below still prints it once) and calls
        the previous hook.
        """
        q: list = []
        self.queues.append(("stderr", q, LineFolder()))
        prev = sys.excepthook
        cap = self

        def excepthook(etype, value, tb):
            if cap.started:
                try:
                    q.append((time.time(), "".join(traceback.format_exception(etype, value, tb))))
                except Exception as exc:  # the chain below must still print the traceback
                    cap._error(f"format the uncaught exception: {exc!r}")
            return prev(etype, value, tb)

        self._prev_hook, self._hook = prev, excepthook
        sys.excepthook = excepthook

    # --- threads -----------------------------------------------------------------
    def _read_loop(self) -> None:
        """Copy pipe bytes to the original fds and queue decoded text. Never writes to fd 1/2."""
        sel = self._sel
        open_pipes = len(self.pipes)
        while open_pipes:
            for key, _ in sel.select(timeout=1.0):
                p: FdPipe = key.data
                try:
                    data = os.read(p.read_end, 65536)
                except OSError:  # EIO: a pty whose last writer closed (Linux's way of saying EOF)
                    data = b""
                if not data:
                    sel.unregister(p.read_end)
                    os.close(p.read_end)
                    open_pipes -= 1
                    continue
                write_all(p.saved, data)
                if self._logging:
                    text = p.decoder.decode(data)
                    if text:
                        p.queue.append((time.time(), text))
        sel.close()
        for p in self.pipes:
            try:
                os.close(p.saved)
            except OSError:
                pass

    def _pump_loop(self) -> None:
        while not self._stop.wait(self.period):
            self._flush_python()
            try:
                self.drain()
            except Exception as exc:  # never print from here (stderr may be our own pipe): reported at stop
                self._error(f"pump: {exc!r}")

    def _flush_python(self) -> None:
        for p in self.pipes:
            stream = self.originals.get(p.name) or getattr(sys, p.name, None)
            if stream is not None and fd_of(stream) == p.fd:
                try:
                    stream.flush()
                except Exception as exc:  # any stream's flush may fail; the pump must go on
                    self._error(f"flush {p.name}: {exc!r}")

    def drain(self, final: bool = False) -> None:
        """Move queued chunks through the line folders into the sink (time order across streams)."""
        with self._lock:
            out = []
            for name, q, folder in self.queues:
                n = len(q)
                if not n:
                    continue
                chunk = q[:n]
                del q[:n]
                for t, text in chunk:
                    for t2, line in folder.feed(text, t):
                        out.append((t2, name, line))
            now = time.time()
            for name, _, folder in self.queues:
                line = folder.flush() if final else folder.partial(now, self.partial_period)
                if line is not None:
                    out.append((now, name, line))
            if len(out) > 1:
                out.sort(key=_first)
            emit = self.sink.emit
            for t, name, line in out:
                emit(name, line, t)
            if final:
                self.sink.close()

    # --- stop --------------------------------------------------------------------
    def stop(self, timeout: float = 2.0) -> None:
        """Restore every stream and fd, log what is still queued, end the threads (bounded)."""
        if not self.started:
            return
        self.started = False  # also turns our excepthook into a pass-through if someone wrapped it
        if self._hook is not None and sys.excepthook is self._hook:
            sys.excepthook = self._prev_hook
        for name, tee in self.tees.items():
            if getattr(sys, name) is tee:
                setattr(sys, name, self.originals[name])
            else:  # someone wrapped us since: become a pass-through rather than break their chain
                tee.detach_copy()
        self._flush_python()
        for p in self.pipes:
            try:
                p.restore()
            except OSError as exc:
                self._error(f"restore fd {p.fd}: {exc!r}")
        if self._reader is not None and self._reader.is_alive():
            self._reader.join(min(timeout, 1.0))  # EOF unless a child still holds the pipe
        elif self._reader is None:  # start failed before the reader ran: close what it would have
            for p in self.pipes:
                for fd in (p.read_end, p.saved):
                    try:
                        os.close(fd)
                    except OSError:
                        pass
        self._logging = False  # a child still writing keeps reaching the terminal, not the log
        self._stop.set()
        if self._pump is not None and self._pump.is_alive():
            self._pump.join(timeout)
        for p in self.pipes:
            text = p.decoder.decode(b"", final=True)
            if text:
                p.queue.append((time.time(), text))
        try:
            self.drain(final=True)
        finally:
            ConsoleCapture._holding.discard(id(self))
            self._report_errors()

    def _error(self, message: str) -> None:
        """Count an error (any thread); reported once by :meth:`_report_errors` at stop."""
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    def _report_errors(self) -> None:
        if not self.error_count:
            return
        n = self.error_count
        text = (f"ringlog console capture met {n} error{'s' if n != 1 else ''} (first: {self.errors[0]}); "
                f"the console log may miss lines, the program's output was not affected")
        if self._warn is not None:
            self._warn("console-capture", text)
        else:
            _log.warning("%s", text)


def _off_in_child(ref) -> None:
    """A forked child has no pump thread: its copy of the Python tee must stop queueing (its
    output still reaches the parent's log through the inherited fds when those are captured)."""
    cap = ref()
    if cap is not None:
        for tee in cap.tees.values():
            tee.detach_copy()


def _first(rec):
    return rec[0]
