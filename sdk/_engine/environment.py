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
list reads every installed distribution's metadata (~50-300 ms); git runs a
handful of subprocesses, each bounded by ``timeout`` seconds. The SDK calls this
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
            name = dist.metadata["Name"]
            version = dist.version
        except Exception:
            continue
        if not name:
            continue
        key = re.sub(r"[-_.]+", "-", name).lower()
        seen.setdefault(key, f"{name}=={version}")
    return [seen[k] for k in sorted(seen)]


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
    commit = _git(["rev-parse", "HEAD"], root, timeout)
    info["commit"] = commit.strip() if commit else None
    branch = _git(["symbolic-ref", "--short", "-q", "HEAD"], root, timeout)
    info["branch"] = branch.strip() if branch else None
    remote = _git(["config", "--get", "remote.origin.url"], root, timeout)
    if not remote:
        names = (_git(["remote"], root, timeout) or "").split()
        if names:
            remote = _git(["config", "--get", f"remote.{names[0]}.url"], root, timeout)
    info["remote"] = strip_credentials(remote) if remote else None
    if info["commit"]:
        diff = _git(["diff", "HEAD", "--no-color", "--no-ext-diff"], root, timeout)
    else:  # no commit yet: everything staged is the change
        diff = _git(["diff", "--cached", "--no-color", "--no-ext-diff"], root, timeout)
    diff = diff or ""
    if len(diff) > MAX_DIFF:
        info["diff_truncated"] = len(diff)
        diff = diff[:MAX_DIFF]
    info["diff"] = diff
    untracked = (_git(["ls-files", "--others", "--exclude-standard"], root, timeout) or "").splitlines()
    info["untracked"] = untracked[:MAX_UNTRACKED]
    info["dirty"] = bool(diff) or bool(untracked)
    return info
