"""The run's environment, for the task's Info tab: ``collect(git=True) -> dict``. Never raises.

Keys: ``argv``, ``executable``, ``cwd``, ``python`` (version), ``implementation``,
``host``, ``platform``, ``os``, ``machine``, ``pid``, ``user`` (when known),
``cpu_count``, ``memory_gb``, and with an NVIDIA driver ``gpus`` (name, memory_gb) and ``gpu_driver``,
``packages`` (a requirements list ``["name==version", ...]`` sorted by name, from
``importlib.metadata``), and, when ``git`` is true and the script (else the
working directory) is inside a git repository, ``git``: ``root``, ``remote``
(credentials stripped from URLs), ``branch`` (None when detached), ``commit``,
``dirty``, ``diff`` (``git diff HEAD`` as a patch, uncommitted staged and
unstaged changes, cut at ``MAX_DIFF`` characters with ``diff_truncated``) and
``untracked`` (up to 200 untracked file names).

Each part that fails is left out and named in ``errors``. Cost: the package
list reads the header of every installed distribution's metadata (~20-60 ms); git runs a
handful of subprocesses at once, each bounded by ``timeout`` seconds. The SDK calls this
on its flusher thread, so the training loop never waits for it.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Optional

MAX_DIFF = 1 << 20
MAX_UNTRACKED = 200


def collect(git: bool = True, *, path: Any = None, timeout: float = 5.0) -> dict:
    """Environment of this process; ``path``: where to look for the git repository."""
    env: dict = {}
    errors: list = []
    _try(env, errors, "basics", lambda: env.update(_basics()))
    _try(env, errors, "hardware", lambda: env.update(hardware()))
    _try(env, errors, "packages", lambda: env.__setitem__("packages", packages()))
    if git:
        where = path if path is not None else _script_dir()

        def do_git():
            info = git_info(where, timeout=timeout)
            if info is not None:
                env["git"] = info

        _try(env, errors, "git", do_git)
    if errors:
        env["errors"] = errors
    return env


def _try(env: dict, errors: list, part: str, fn) -> None:
    try:
        fn()
    except Exception as exc:  # never raise: the environment is a nice-to-have
        errors.append(f"{part}: {exc!r}")


def _basics() -> dict:
    out = {
        "argv": list(sys.argv),
        "executable": sys.executable,
        "cwd": os.getcwd(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "host": platform.node(),
        "platform": platform.platform(),
        "os": platform.system(),
        "machine": platform.machine(),
        "pid": os.getpid(),
    }
    try:
        import getpass

        out["user"] = getpass.getuser()
    except Exception:
        pass
    return out


def hardware(nvml=None) -> dict:
    """CPU count, total memory (GiB) and, when NVML answers, each GPU's name and memory (GiB) and
    the driver version. ``nvml``: a ``pynvml``-like module (tests); default imports it lazily."""
    out: dict = {"cpu_count": os.cpu_count()}
    try:
        import psutil

        out["memory_gb"] = round(psutil.virtual_memory().total / (1 << 30), 2)
    except Exception:
        pass
    try:
        if nvml is None:
            import pynvml as nvml
        nvml.nvmlInit()
    except Exception:
        return out
    try:
        gpus = []
        for i in range(int(nvml.nvmlDeviceGetCount())):
            h = nvml.nvmlDeviceGetHandleByIndex(i)
            name = nvml.nvmlDeviceGetName(h)
            gpus.append({"name": name.decode() if isinstance(name, bytes) else str(name),
                         "memory_gb": round(nvml.nvmlDeviceGetMemoryInfo(h).total / (1 << 30), 2)})
        out["gpus"] = gpus
        driver = nvml.nvmlSystemGetDriverVersion()
        out["gpu_driver"] = driver.decode() if isinstance(driver, bytes) else str(driver)
    except Exception:
        pass
    finally:
        try:
            nvml.nvmlShutdown()
        except Exception:
            pass
    return out


def packages() -> list[str]:
    """Installed distributions as ``name==version`` lines, one per name, sorted case-insensitively."""
    from importlib import metadata

    seen: dict[str, str] = {}
    for dist in metadata.distributions():
        try:
            name, version = _name_version(dist)
        except Exception:
            continue
        if not name:
            continue
        key = re.sub(r"[-_.]+", "-", name).lower()
        seen.setdefault(key, f"{name}=={version}")
    return [seen[k] for k in sorted(seen)]


def _name_version(dist: Any) -> tuple:
    """A distribution's Name and Version from the header of its METADATA / PKG-INFO file, read as
    plain ``Key: value`` lines up to the first blank line. ``dist.metadata`` parses the whole file
    (long descriptions included) with the email parser: ~5 ms per package here, over 1 s of the
    GIL for 200 packages while the training loop runs, and ``finish()`` of a short run waited for it
    (issue 18); this reads the same two fields in ~0.1 ms. Falls back to ``dist.metadata`` when the
    header lacks either."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    name = version = None
    for line in text.partition("\n\n")[0].splitlines():
        if name is None and line.startswith("Name:"):
            name = line[5:].strip()
        elif version is None and line.startswith("Version:"):
            version = line[8:].strip()
        if name is not None and version is not None:
            return name, version
    return dist.metadata["Name"], dist.version


def _script_dir() -> str:
    main = sys.argv[0] if sys.argv else ""
    if main and os.path.isfile(main):
        return os.path.dirname(os.path.abspath(main))
    return os.getcwd()


def _git(args: list, cwd: str, timeout: float) -> Optional[str]:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_OPTIONAL_LOCKS="0")
    try:
        p = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=timeout, env=env,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    if p.returncode != 0:
        return None
    return p.stdout.decode("utf-8", errors="replace")


def _git_all(commands: dict, cwd: str, timeout: float) -> dict:
    """:func:`_git` of each ``{name: args}``, the processes running at once; None where one failed."""
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_OPTIONAL_LOCKS="0")
    procs: dict = {}
    for name, args in commands.items():
        try:
            procs[name] = subprocess.Popen(["git", *args], cwd=cwd, stdout=subprocess.PIPE,
                                           stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env)
        except OSError:
            procs[name] = None
    out: dict = {}
    for name, p in procs.items():
        out[name] = None
        if p is None:
            continue
        try:
            data, _ = p.communicate(timeout=timeout)
        except subprocess.SubprocessError:
            p.kill()
            p.communicate()
            continue
        if p.returncode == 0:
            out[name] = data.decode("utf-8", errors="replace")
    return out


def strip_credentials(url: str) -> str:
    """``https://user:token@host/x`` -> ``https://host/x`` (a token must not land in the store)."""
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@", r"\1", url.strip())


def git_info(path: Any, timeout: float = 5.0) -> Optional[dict]:
    """Git facts for the repository holding ``path``; None outside a repository or without git."""
    cwd = str(path)
    if not os.path.isdir(cwd):
        cwd = str(Path(cwd).parent)
    root = _git(["rev-parse", "--show-toplevel"], cwd, timeout)
    if root is None:
        return None
    root = root.strip()
    info: dict = {"root": root}
    # the rest run at once (each is a process start; one after the other they took ~0.2-1 s, which
    # finish() of a short run waited for)
    out = _git_all({"commit": ["rev-parse", "HEAD"], "branch": ["symbolic-ref", "--short", "-q", "HEAD"],
                    "remote": ["config", "--get", "remote.origin.url"], "names": ["remote"],
                    "diff": ["diff", "HEAD", "--no-color", "--no-ext-diff"],
                    "untracked": ["ls-files", "--others", "--exclude-standard"]}, root, timeout)
    commit = out["commit"]
    info["commit"] = commit.strip() if commit else None
    branch = out["branch"]
    info["branch"] = branch.strip() if branch else None
    remote = out["remote"]
    if not remote:
        names = (out["names"] or "").split()
        if names:
            remote = _git(["config", "--get", f"remote.{names[0]}.url"], root, timeout)
    info["remote"] = strip_credentials(remote) if remote else None
    if info["commit"]:
        diff = out["diff"]
    else:  # no commit yet: everything staged is the change
        diff = _git(["diff", "--cached", "--no-color", "--no-ext-diff"], root, timeout)
    diff = diff or ""
    if len(diff) > MAX_DIFF:
        info["diff_truncated"] = len(diff)
        diff = diff[:MAX_DIFF]
    info["diff"] = diff
    untracked = (out["untracked"] or "").splitlines()
    info["untracked"] = untracked[:MAX_UNTRACKED]
    info["dirty"] = bool(diff) or bool(untracked)
    return info
