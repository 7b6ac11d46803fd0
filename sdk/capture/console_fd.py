"""The fd level of the console capture: fd 1/2 pointed at a pipe, or at a pseudo-terminal when
they were a terminal (see :class:`FdPipe`), the original kept to copy every byte back to.

POSIX only (``os.dup2``, ``os.openpty``); :mod:`.console` falls back to its Python-level tee
elsewhere.
"""

from __future__ import annotations

import codecs
import io
import os
from typing import Optional


def fd_of(stream) -> Optional[int]:
    try:
        return stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None


class FdPipe:
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


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except InterruptedError:
            continue
        except OSError:
            return  # the original destination is gone (closed terminal): keep logging anyway
        view = view[n:]
