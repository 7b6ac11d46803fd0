"""Console capture: line folding, the byte cap, the Python tee, and the fd level in a real subprocess."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

import pytest

from ringlog.capture.console import ConsoleCapture, PyTee
from ringlog.capture.console_lines import ConsoleSink, LineFolder, fold_cr


def test_fold_cr_keeps_the_last_state():
    assert fold_cr("plain") == "plain"
    assert fold_cr("\r 10%|#    |\r 50%|###  |\r100%|#####|") == "100%|#####|"
    assert fold_cr("done\r") == "done"  # a trailing CR does not erase the line
    assert fold_cr("\r\r") == ""


def test_line_folder_across_chunks():
    f = LineFolder()
    assert f.feed("hel", 1.0) == []
    assert f.feed("lo\nwor", 2.0) == [(2.0, "hello")]
    assert f.feed("ld\n\n", 3.0) == [(3.0, "world"), (3.0, "")]
    for i in range(5):
        assert f.feed(f"\r{i * 25}%|bar|", 4.0 + i) == []
    assert f.feed("\n", 10.0) == [(10.0, "100%|bar|")]
    assert f.flush() is None
    f.feed("tail without newline", 11.0)
    assert f.flush() == "tail without newline"


def test_running_bar_logged_once_per_period():
    f = LineFolder()
    f.feed("\r 5%|", 100.0)
    assert f.partial(101.0, 10.0) is None
    assert f.partial(111.0, 10.0) == " 5%|"
    f.feed("\r 9%|", 112.0)
    assert f.partial(115.0, 10.0) is None  # logged 4 s ago
    assert f.partial(121.5, 10.0) == " 9%|"
    g = LineFolder()
    g.feed("prompt> ", 100.0)
    assert g.partial(200.0, 10.0) is None  # a plain partial line waits for its newline


def test_sink_caps_and_keeps_the_tail():
    out = []
    sink = ConsoleSink(lambda s, t, tm: out.append((s, t)), cap_bytes=1000, tail_bytes=200)
    lines = [f"line {i:04d} " + "x" * 39 for i in range(200)]  # 50 bytes each with the newline, 10 kB in all
    for i, line in enumerate(lines):
        sink.emit("stdout", line, float(i))
    sink.close()
    texts = [t for _, t in out]
    head = 800 // 50
    assert texts[:head] == lines[:head]
    note = [t for s, t in out if s == "log"]
    assert len(note) == 1 and "dropped" in note[0]
    assert texts[-4:] == lines[-4:]  # the tail is kept
    assert sum(len(t) + 1 for s, t in out if s != "log") <= 1000
    assert sink.dropped_lines == 200 - head - 4


def test_sink_rejects_bad_bounds():
    with pytest.raises(ValueError, match="tail_bytes"):
        ConsoleSink(lambda *a: None, cap_bytes=10, tail_bytes=10)


def test_pytee_copies_and_restores(monkeypatch):
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buf)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    got = []
    cap = ConsoleCapture(lambda s, t, tm: got.append((s, t)), period=30, fd_level=False).start()
    assert isinstance(sys.stdout, PyTee) and cap.levels == {"stdout": "python", "stderr": "python"}
    print("hello", 42)
    sys.stdout.writelines(["a\n", "b"])
    print("oops", file=sys.stderr)
    assert sys.stdout.getvalue() == "hello 42\na\nb"  # the original still gets everything (delegation)
    cap.stop()
    assert sys.stdout is buf  # exactly the object it replaced
    assert got == [("stdout", "hello 42"), ("stdout", "a"), ("stderr", "oops"), ("stdout", "b")] or \
        sorted(got) == sorted([("stdout", "hello 42"), ("stdout", "a"), ("stderr", "oops"), ("stdout", "b")])
    print("after")
    assert buf.getvalue().endswith("after\n") and ("stdout", "after") not in got


def test_pytee_wrapped_by_someone_else_becomes_pass_through(monkeypatch):
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buf)
    got = []
    cap = ConsoleCapture(lambda s, t, tm: got.append(t), period=30, fd_level=False).start()
    ours = sys.stdout
    outer = PyTee(ours, [])  # another tool wraps our tee
    monkeypatch.setattr(sys, "stdout", outer)
    cap.stop()
    assert sys.stdout is outer  # their wrapper is left alone
    print("later")
    cap.drain(final=True)
    assert "later" not in got and buf.getvalue() == "later\n"


SCRIPT = textwrap.dedent(r'''
    import json, os, subprocess, sys, time
    from ringlog.capture.console import ConsoleCapture
    got = []
    cap = ConsoleCapture(lambda s, t, tm: got.append([s, t]), period=0.05).start()
    levels = cap.levels
    print("python print")
    print("python stderr", file=sys.stderr)
    os.write(1, b"fd level write\n")
    subprocess.run([sys.executable, "-c", "print('child process line')"], check=True)
    from tqdm import tqdm
    for _ in tqdm(range(50), file=sys.stderr, mininterval=0, ascii=True, ncols=60):
        pass
    print("caf\u00e9 \u2713")
    sys.stdout.write("no newline at the end")
    late = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.5); print('late child')"])
    cap.stop()  # the child still holds the pipe: the reader keeps forwarding to the terminal
    active_after = ConsoleCapture.active()
    print("after stop")
    late.wait()
    with open(sys.argv[1], "w") as f:
        json.dump({"got": got, "levels": levels, "errors": cap.errors, "active_after": active_after}, f)
''')


def test_fd_level_subprocess_tqdm_and_terminal_copy(tmp_path):
    out = tmp_path / "got.json"
    p = subprocess.run([sys.executable, "-c", SCRIPT, str(out)], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    res = json.loads(out.read_text())
    assert res["levels"] == {"stdout": "fd", "stderr": "fd"} and res["errors"] == []
    got = [tuple(x) for x in res["got"]]
    for line in (("stdout", "python print"), ("stderr", "python stderr"), ("stdout", "fd level write"),
                 ("stdout", "child process line"), ("stdout", "caf\u00e9 \u2713"),
                 ("stdout", "no newline at the end")):
        assert line in got, (line, got)
    bars = [t for s, t in got if s == "stderr" and "|" in t]
    assert len(bars) == 1 and "100%" in bars[0] and "50/50" in bars[0]  # folded to the final state
    assert ("stdout", "after stop") not in got and ("stdout", "late child") not in got
    assert res["active_after"] is False  # a next run may capture again
    # the terminal (here: the pipe the parent reads) still saw everything, in full
    stdout = p.stdout.decode()
    assert "python print" in stdout and "child process line" in stdout and "after stop\n" in stdout
    assert stdout.endswith("late child\n")  # a detached child's output after stop still reaches the terminal
    assert p.stderr.decode().count("\r") >= 10  # every bar refresh reached the terminal


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_forked_child_stops_queueing(monkeypatch):
    import os

    monkeypatch.setattr(sys, "stdout", io.StringIO())
    cap = ConsoleCapture(lambda s, t, tm: None, period=30, fd_level=False).start()
    try:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # child: the tee must be a pass-through now
            on = sys.stdout._ringlog_on[0]
            os.write(w, b"1" if on else b"0")
            os._exit(0)
        os.close(w)
        child_on = os.read(r, 1)
        os.close(r)
        os.waitpid(pid, 0)
        assert child_on == b"0" and sys.stdout._ringlog_on[0] is True
    finally:
        cap.stop()


def test_failed_start_undoes_everything(monkeypatch):
    import os

    def st(fd):
        s = os.fstat(fd)
        return s.st_dev, s.st_ino

    before = (sys.stdout, sys.stderr, sys.excepthook, st(1), st(2))
    nfds = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None

    def boom(self):
        raise RuntimeError("no threads left")

    monkeypatch.setattr(ConsoleCapture, "_install_excepthook", boom)
    cap = ConsoleCapture(lambda *a: None)
    with pytest.raises(RuntimeError, match="no threads left"):
        cap.start()
    assert (sys.stdout, sys.stderr, sys.excepthook, st(1), st(2)) == before
    assert not ConsoleCapture.active()
    if nfds is not None:
        assert len(os.listdir("/proc/self/fd")) == nfds  # no pipe or saved fd leaked


TTY_SCRIPT = textwrap.dedent(r'''
    import json, os, shutil, sys
    from ringlog.capture.console import ConsoleCapture
    got = []
    cap = ConsoleCapture(lambda s, t, tm: got.append([s, t]), period=0.05).start()
    facts = {"isatty": sys.stdout.isatty(), "cols": os.get_terminal_size(1).columns,
             "kinds": [p.kind for p in cap.pipes]}
    print("\x1b[32mgreen\x1b[0m line")
    cap.stop()
    with open(sys.argv[1], "w") as f:
        json.dump({"got": got, "facts": facts}, f)
''')


@pytest.mark.skipif(not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal")
def test_terminal_stays_a_terminal(tmp_path):
    import fcntl
    import os
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 123, 0, 0))
    out = tmp_path / "got.json"
    try:
        p = subprocess.Popen([sys.executable, "-c", TTY_SCRIPT, str(out)], stdout=slave, stderr=slave)
        os.close(slave)
        seen = b""
        while True:  # drain the terminal until the child is gone
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        assert p.wait(60) == 0, seen.decode(errors="replace")
    finally:
        os.close(master)
    res = json.loads(out.read_text())
    assert res["facts"] == {"isatty": True, "cols": 123, "kinds": ["pty", "pty"]}
    assert ["stdout", "\x1b[32mgreen\x1b[0m line"] in res["got"]
    assert b"\x1b[32mgreen\x1b[0m line\r\n" in seen  # exactly one CR added, by the real terminal


FLOOD = textwrap.dedent(r'''
    import json, sys
    from ringlog.capture.console import ConsoleCapture
    got = []
    cap = ConsoleCapture(lambda s, t, tm: got.append([s, t]), period=0.05, cap_bytes=100_000,
                         tail_bytes=20_000).start()
    for i in range(20_000):
        print(f"line {i:06d} " + "x" * 37)  # 50 bytes with the newline: 1 MB in all
    cap.stop()
    with open(sys.argv[1], "w") as f:
        json.dump(got, f)
''')


def test_flood_is_capped_with_the_tail_kept(tmp_path):
    out = tmp_path / "got.json"
    p = subprocess.run([sys.executable, "-c", FLOOD, str(out)], capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout.count(b"\n") == 20_000  # the terminal still got every line
    got = json.loads(out.read_text())
    texts = [t for s, t in got if s == "stdout"]
    notes = [t for s, t in got if s == "log"]
    assert texts[:3] == [f"line {i:06d} " + "x" * 37 for i in range(3)]
    assert texts[-1] == "line 019999 " + "x" * 37 and len(notes) == 1 and "dropped" in notes[0]
    assert sum(len(t) + 1 for t in texts) <= 100_000
    kept = [int(t.split()[1]) for t in texts]
    assert kept == sorted(kept) and kept[-400:] == list(range(19_600, 20_000))  # the last 20 kB, in order


def test_a_pump_error_is_reported_once_at_stop(monkeypatch):
    """An error on the pump thread is never printed there (stderr may be our own pipe): it is
    counted and reported once through ``warn`` when the capture stops."""
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    got, warned, calls = [], [], []

    def write(stream, text, t):
        calls.append(text)
        if len(calls) == 1:
            raise OSError("disk full")
        got.append(text)

    cap = ConsoleCapture(write, period=0.02, fd_level=False, warn=lambda kind, msg: warned.append((kind, msg)))
    cap.start()
    try:
        print("first")
        for _ in range(200):  # bounded wait for the pump to meet the error
            if calls:
                break
            cap._stop.wait(0.02)
        print("second")
    finally:
        cap.stop()
    assert calls and calls[0] == "first" and "second" in got
    assert len(warned) == 1 and warned[0][0] == "console-capture"
    assert "1 error" in warned[0][1] and "disk full" in warned[0][1]

