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

Cost on the user's thread: the Python tee adds one ``time.time()`` and one list
append per ``write`` (``print`` calls ``write`` twice); see
``benchmarks/bench_capture.py``. At fd level the user's ``write`` goes to a pipe
instead of the terminal (the same syscall). All text processing happens on a
pump thread every ``period`` seconds: lines are assembled, carriage-return
progress bars (tqdm) are folded to the state they show (the last non-empty
segment after a ``\\r``; a bar still running is logged once per
``partial_period`` so long jobs show progress), then handed to :class:`ConsoleSink`.
Block-buffered Python output (stdout not a terminal) is flushed by the pump each
period so lines arrive in the log within about one period.

Bound: :class:`ConsoleSink` logs at most ``cap_bytes`` (default 32 MiB) of text
per run: the first ``cap - tail`` bytes as they come, then only the last
``tail_bytes`` (default 4 MiB) are kept in memory and written at stop behind a
line saying how much was dropped. A ``kill -9`` loses that tail.
"""

from __future__ import annotations

import codecs
import functools
import io
import logging
import os
import selectors
import sys
import threading
import time
import traceback
import weakref
from collections import deque
from typing import Callable, Optional

DEFAULT_CAP = 32 << 20
DEFAULT_TAIL = 4 << 20
MAX_LINE = 64 << 10  # a partial line longer than this is logged without waiting for its newline
MAX_ERRORS = 10  # error messages kept for the report at stop (all are counted)
_log = logging.getLogger("ringlog.capture.console")


def fold_cr(text: str) -> str:
    """What a terminal shows for one line containing carriage returns: the last
    non-empty ``\\r`` segment (progress bars rewrite the whole line, so this is
    the bar's final state)."""
    if "\r" not in text:
        return text
    for seg in reversed(text.split("\r")):
        if seg:
            return seg
    return ""


class LineFolder:
    """Assembles one stream's chunks into complete lines, folding ``\\r`` rewrites.

    ``feed(text, t)`` returns ``[(t, line), ...]`` for every line the chunk
    completed (without the newline); the time is that of the completing chunk.
    """

    __slots__ = ("buf", "since", "last_partial")

    def __init__(self) -> None:
        self.buf = ""
        self.since = 0.0  # time the pending partial line started
        self.last_partial = 0.0  # last time a running bar was logged

    def feed(self, text: str, t: float) -> list:
        if not self.buf:
            self.since = t
        data = self.buf + text if self.buf else text
        if "\n" not in data:
            if len(data) > MAX_LINE:
                self.buf = ""
                return [(t, fold_cr(data))]
            self.buf = data
            return []
        parts = data.split("\n")
        rest = parts.pop()
        self.buf = rest
        if rest:
            self.since = t
        self.last_partial = 0.0
        return [(t, fold_cr(p) if "\r" in p else p) for p in parts]

    def partial(self, now: float, period: float) -> Optional[str]:
        """The running progress bar's current state, at most once per ``period``."""
        if "\r" not in self.buf:
            return None
        if now - max(self.since, self.last_partial) < period:
            return None
        self.last_partial = now
        return fold_cr(self.buf)

    def flush(self) -> Optional[str]:
        """The pending partial line (at stop), folded; None if there is none."""
        if not self.buf:
            return None
        out = fold_cr(self.buf)
        self.buf = ""
        return out


class ConsoleSink:
    """Bounded writer in front of ``write(stream, text, t)``: head as it comes, then a kept tail.

    Memory: at most ``tail_bytes`` of text (plus per-line overhead) while over the cap.
    """

    def __init__(self, write: Callable[[str, str, float], None], cap_bytes: int = DEFAULT_CAP,
                 tail_bytes: int = DEFAULT_TAIL) -> None:
        if cap_bytes <= 0 or tail_bytes < 0 or tail_bytes >= cap_bytes:
            raise ValueError(f"cap_bytes/tail_bytes: need 0 <= tail_bytes < cap_bytes (given {cap_bytes}, "
                             f"{tail_bytes})")
        self._write = write
        self.head_limit = cap_bytes - tail_bytes
        self.cap_bytes = cap_bytes
        self.tail_bytes = tail_bytes
        self.written = 0
        self._tail: deque = deque()
        self._tail_size = 0
        self.dropped_lines = 0
        self.dropped_bytes = 0
        self.lines = 0

    def emit(self, stream: str, text: str, t: float) -> None:
        n = len(text) + 1
        self.lines += 1
        if self.written + n <= self.head_limit and not self._tail:
            self.written += n
            self._write(stream, text, t)
            return
        self._tail.append((stream, text, t, n))
        self._tail_size += n
        while self._tail_size > self.tail_bytes and self._tail:
            _, _, _, m = self._tail.popleft()
            self._tail_size -= m
            self.dropped_lines += 1
            self.dropped_bytes += m

    def close(self) -> None:
        """Write the kept tail (after a note of what was dropped)."""
        if not self._tail and not self.dropped_lines:
            return
        if self.dropped_lines:
            t = self._tail[0][2] if self._tail else time.time()
            self._write("log", f"[ringlog] {self.dropped_lines:,} console lines ({self.dropped_bytes:,} bytes) "
                               f"were dropped to keep this log under {_size(self.cap_bytes)}; "
                               f"the last {len(self._tail):,} lines follow", t)
        while self._tail:
            stream, text, t, n = self._tail.popleft()
            self.written += n
            self._write(stream, text, t)
        self._tail_size = 0


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


def _fd_of(stream) -> Optional[int]:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


class _FdPipe:
    """One redirected fd: the saved original, the read end of a pipe (or of a pseudo-terminal when
    the fd is a terminal), a decoder.

    Why a pseudo-terminal: with a plain pipe ``isatty()`` turns false during the run and
    libraries (rich, click, colorama, tqdm's dynamic width) change their output; a pty keeps it
    a terminal with the real one's size (taken at start: a later resize of the real terminal is
    not passed on). Output post-processing is switched off on it (no ``\n`` -> ``\r\n``): the
    bytes reach the real terminal exactly as written.
    """

    def __init__(self, fd: int, name: str) -> None:
        self.fd = fd
        self.name = name
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.queue: list = []
        self.restored = False
        self.saved = os.dup(fd)
        try:
            r, w, self.kind = _channel(fd)
        except BaseException:
            os.close(self.saved)
            raise
        self.read_end = r
        try:
            os.dup2(w, fd)
        except BaseException:
            os.close(r)
            os.close(self.saved)
            raise
        finally:
            os.close(w)

    def restore(self) -> None:
        if not self.restored:
            self.restored = True
            os.dup2(self.saved, self.fd)  # closes our write end; the reader sees EOF once children close theirs


def _channel(fd: int) -> tuple[int, int, str]:
    """(read end, write end, "pty"|"pipe") for the fd's new destination."""
    if hasattr(os, "openpty") and os.isatty(fd):
        try:  # deferred: POSIX only (ImportError on Windows, which then uses a pipe)
            import fcntl
            import termios
        except ImportError:  # no pseudo-terminal here: a plain pipe below
            pass
        else:
            master, slave = os.openpty()
            try:
                attrs = termios.tcgetattr(slave)
                attrs[1] &= ~termios.OPOST
                termios.tcsetattr(slave, termios.TCSANOW, attrs)
                try:
                    fcntl.ioctl(slave, termios.TIOCSWINSZ, fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
                except OSError:
                    pass  # size unknown: the pty keeps its default
                return master, slave, "pty"
            except (OSError, termios.error):
                os.close(master)
                os.close(slave)
    r, w = os.pipe()
    return r, w, "pipe"


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
        self.pipes: list[_FdPipe] = []
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
            if not any(p.name == name for p in self.pipes) or _fd_of(stream) != fd:
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
        if stream is not None and _fd_of(stream) == fd:
            try:
                stream.flush()  # what was printed before start goes where it was going
            except (OSError, ValueError) as exc:  # a broken or closed stream: its own writes say so
                self._error(f"flush {name} before start: {exc!r}")
        try:
            p = _FdPipe(fd, name)
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
                p: _FdPipe = key.data
                try:
                    data = os.read(p.read_end, 65536)
                except OSError:  # EIO: a pty whose last writer closed (Linux's way of saying EOF)
                    data = b""
                if not data:
                    sel.unregister(p.read_end)
                    os.close(p.read_end)
                    open_pipes -= 1
                    continue
                _write_all(p.saved, data)
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
            if stream is not None and _fd_of(stream) == p.fd:
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


def _size(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n:,} bytes"


def _first(rec):
    return rec[0]


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:
            continue
        except OSError:
            return  # the original destination is gone (closed terminal): keep logging anyway
        view = view[n:]
