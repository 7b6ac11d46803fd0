"""Console text, pure and thread-free: carriage-return folding, line assembly, and the bounded sink.

:class:`LineFolder` turns one stream's chunks into complete lines; progress bars that rewrite
their line with ``\\r`` (tqdm) are folded to the state they show (:func:`fold_cr`), a bar still
running can be logged once per period. :class:`ConsoleSink` bounds what one run logs: at most
``cap_bytes`` (default 32 MiB) per run, the first ``cap - tail`` bytes as they come, then only
the last ``tail_bytes`` (default 4 MiB) are kept in memory and written at stop behind a line
saying how much was dropped (a ``kill -9`` loses that tail). :mod:`.console` drives both from
its pump thread.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Callable, Optional

DEFAULT_CAP = 32 << 20
DEFAULT_TAIL = 4 << 20
MAX_LINE = 64 << 10  # a partial line longer than this is logged without waiting for its newline


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


def _size(n: int) -> str:
    return f"{n / (1 << 20):g} MiB" if n >= 1 << 20 else f"{n:,} bytes"
