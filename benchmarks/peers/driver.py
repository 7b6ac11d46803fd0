"""The driver: one venv per tool, fresh processes, the side-by-side table and issue 18's ratios.

``python -m benchmarks.peers [--points N] [--repeat R] [--peers a,b] [--write-results]``; see
``benchmarks/peers/__init__.py``. Not part of CI: building the venvs needs PyPI.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import table
from .table import Row

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS = REPO / "benchmarks" / "RESULTS.md"
RINGLOG = "<this checkout's HEAD>"  # stands for a snapshot of the committed tree, see _ringlog_source


@dataclass
class Peer:
    script: str
    requirements: list[str]
    dists: list[str]  # distributions whose versions the table names (first: the tool itself)
    variants: dict[str, str]  # variant -> the call form as a user writes it
    caps: dict[str, int]  # variant -> most points per process (a very slow call form)
    bulk: tuple[str, ...] = ()
    note: str = ""
    warm: str = ""  # Python run once with the venv's python before measuring (a cache users have warm)


PEERS: dict[str, Peer] = {
    "ringlog": Peer("peer_ringlog.py", [RINGLOG], ["ringlog", "numba", "zarr", "numcodecs", "numpy"],
                    {"wandb": "log({'loss': v}, step=i)", "clearml": "report_scalar('loss', 'train', v, i)"}, {},
                    note="default settings (capture on); read with Store(dir).task(id).scalar(title, series)",
                    # numba's on-disk cache of the store's kernels, as after a user's first long run: a
                    # run shorter than the compile (~20 s) ends its compiling child before it writes
                    # the cache, so without this every measured process would compile again
                    warm="from ringlog.core import warmup; warmup(('pyramid',))"),
    "tensorboardX": Peer("peer_tensorboardx.py", ["tensorboardX", "crc32c", "tensorboard"],
                         ["tensorboardX", "crc32c", "protobuf", "tensorboard"], {"": "add_scalar('loss', v, i)"}, {},
                         note="read back with TensorBoard's EventAccumulator"),
    "wandb": Peer("peer_wandb.py", ["wandb"], ["wandb", "protobuf"],
                  {"": "wandb.log({'loss': v}, step=i)"}, {},
                  note="offline mode; no Python reader of offline runs in 0.31: the .wandb log scanned with its protobuf Record"),
    "trackio": Peer("peer_trackio.py", ["trackio"], ["trackio", "huggingface_hub"],
                    {"": "trackio.log({'loss': v}, step=i)"}, {}, note="local SQLite; read with SQLiteStorage.get_metric_values"),
    "mlflow": Peer("peer_mlflow.py", ["mlflow"], ["mlflow", "sqlalchemy"],
                   {"log_metric": "mlflow.log_metric('loss', v, step=i)",
                    "log_batch": "MlflowClient.log_batch(1,000 metrics)",
                    "sqlite": "mlflow.log_metric('loss', v, step=i), sqlite"},
                   {"log_metric": 10_000, "sqlite": 1_000}, bulk=("log_batch",),
                   note="file store (MLFLOW_ALLOW_FILE_STORE=true) unless sqlite (MLflow 3's default URI); "
                        "read with MlflowClient.get_metric_history"),
    "aim": Peer("peer_aim.py", ["aim"], ["aim", "aimrocks"], {"": "run.track(v, name='loss', step=i)"}, {},
                note="read with Run.get_metric after aim's RepoIndexManager.index (what `aim up` does)"),
    "clearml": Peer("peer_clearml.py", ["clearml"], ["clearml"], {"": "report_scalar('loss', 'train', v, i)"},
                    {"": 10_000}, note="offline mode; no offline reader: the session's metrics.jsonl parsed with json"),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__.split("\n")[0])
    p.add_argument("--points", type=int, default=100_000, help="points per process (default 100,000)")
    p.add_argument("--repeat", type=int, default=3, help="fresh processes per measure (median)")
    p.add_argument("--peers", default="", help="comma-separated subset of: " + ", ".join(PEERS))
    p.add_argument("--no-caps", action="store_true", help="every call form logs --points (hours for the slow ones)")
    p.add_argument("--cache", default=str(REPO / "bench_data" / "peers"), help="venvs and run folders")
    p.add_argument("--build-only", action="store_true")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per process")
    p.add_argument("--from-json", default="", help="render a saved run (the driver saves each under --cache)")
    p.add_argument("--write-results", action="store_true",
                   help="replace the peer table in benchmarks/RESULTS.md (between its peers markers)")
    a = p.parse_args(argv)
    names = [n for n in a.peers.split(",") if n] or list(PEERS)
    unknown = [n for n in names if n not in PEERS]
    if unknown:
        p.error(f"--peers: unknown {unknown}; expected some of {list(PEERS)}")
    cache = Path(a.cache)
    rows: list[Row] = []
    if a.from_json:
        saved = json.loads(Path(a.from_json).read_text())
        rows, a.points, a.repeat, a.peers = [Row(**r) for r in saved["rows"]], saved["points"], saved["repeat"], saved["peers"]
        names, when, load = [], saved["when"], saved["load"]
    else:
        when, load = "", 0.0
    for name in names:
        peer = PEERS[name]
        venv, versions, err = build(name, peer, cache / "venvs")
        if peer.warm and not err and not a.build_only:
            t0 = time.perf_counter()
            got = subprocess.run([str(venv / "bin" / "python"), "-c", peer.warm], capture_output=True, text=True)
            err = f"warm-up failed: {(got.stderr.strip().splitlines() or ['?'])[-1][:200]}" if got.returncode else ""
            print(f"[{name}] warm-up {time.perf_counter() - t0:.1f} s", flush=True)
        for variant, label in peer.variants.items():
            n = a.points if a.no_caps else min(a.points, peer.caps.get(variant, a.points))
            row = Row(name, label, versions, points=n, bulk=variant in peer.bulk, error=err, note=peer.note)
            rows.append(row)
            if a.build_only or err:
                continue
            measure(row, venv, peer.script, variant, n, a.repeat, cache / "runs", a.timeout)
    if a.build_only:
        print("\n".join(f"{r.tool}: {r.error or r.versions}" for r in rows))
        return 0
    if not a.from_json:
        when, load = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg()[0]
        saved_at = cache / f"run-{a.points}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}.json"
        saved_at.write_text(json.dumps({"points": a.points, "repeat": a.repeat, "peers": a.peers, "when": when, "load": load,
                                        "rows": [dataclasses.asdict(r) for r in rows]}))
        print(f"raw outputs: {saved_at} (--from-json renders them again)")
    text = render(rows, a, when, load)
    print("\n" + text)
    if a.write_results:
        RESULTS.write_text(table.replace_section(RESULTS.read_text(), text))
        print(f"\nwritten into {RESULTS}")
    return 0


def _ringlog_source(tmp: Path) -> tuple[Path, str]:
    """A snapshot of the committed tree (``git archive HEAD``): other work in the checkout's files
    stays out of the measured ringlog."""
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=True).stdout.strip()
    tar = tmp / "src.tar"
    subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(tar), "HEAD"], check=True)
    with tarfile.open(tar) as t:
        t.extractall(tmp / "src", filter="data")
    return tmp / "src", commit


def build(name: str, peer: Peer, root: Path) -> tuple[Path, str, str]:
    """The tool's venv, built once and kept (rebuilt when its requirement list changes; ringlog's
    package reinstalled when HEAD moved). Returns (venv, versions, error)."""
    venv = root / name
    py = venv / "bin" / "python"
    stamp = venv / ".peer-stamp.json"
    with tempfile.TemporaryDirectory(prefix="ringlog-peers-") as tmp:
        reqs, commit = list(peer.requirements), ""
        if RINGLOG in reqs:
            src, commit = _ringlog_source(Path(tmp))
            reqs[reqs.index(RINGLOG)] = str(src)
        want = {"requirements": peer.requirements, "commit": commit}
        have = json.loads(stamp.read_text()) if stamp.exists() else {}
        if have.get("want") != want:
            t0 = time.perf_counter()
            print(f"[{name}] building {venv} ...", flush=True)
            try:
                if not py.exists():
                    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, text=True)
                extra = ["--no-deps", "--force-reinstall"] if commit and have.get("want", {}).get("commit") else []
                subprocess.run([str(py), "-m", "pip", "install", "-q", *extra, *reqs], check=True,
                               capture_output=True, text=True, timeout=1800)
            except subprocess.CalledProcessError as exc:
                last = (exc.stderr or exc.stdout or "").strip().splitlines()[-1:] or ["?"]
                return venv, "", f"install failed: {last[0][:200]}"
            except subprocess.TimeoutExpired:
                return venv, "", "install failed: pip ran over 30 minutes"
            print(f"[{name}] built in {time.perf_counter() - t0:.0f} s", flush=True)
    code = ("import importlib.metadata as m, json, sys\nout = []\nfor d in sys.argv[1:]:\n"
            "    try: out.append(f'{d} {m.version(d)}')\n    except m.PackageNotFoundError: pass\nprint(', '.join(out))")
    got = subprocess.run([str(py), "-c", code, *peer.dists], capture_output=True, text=True)
    versions = got.stdout.strip() + (f" (ringlog at {commit})" if commit else "")
    stamp.write_text(json.dumps({"want": want, "versions": versions}))
    return venv, versions, ""


def _child(py: Path, script: str, form: str, variant: str, n: int, root: Path, timeout: float) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    root.mkdir(parents=True, exist_ok=True)
    try:
        out = subprocess.run([str(py), str(HERE / script), form, variant or "-", str(n), str(root)], cwd=str(root),
                             env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{form}: ran over {timeout:.0f} s") from None
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{") and '"form"' in ln]
    if out.returncode != 0 or not lines:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or [f"exit {out.returncode}"]
        raise RuntimeError(f"{form}: {tail[0][:200]}")
    return json.loads(lines[-1])


def measure(row: Row, venv: Path, script: str, variant: str, n: int, repeat: int, runs: Path,
            timeout: float) -> None:
    """A warm-up process (bytecode, numba cache, disk cache: what a user's second run meets), then
    ``repeat`` x (log ``one`` + read it back in a fresh process) and ``repeat`` x ``keys10``."""
    py = venv / "bin" / "python"
    tag = f"{row.tool}-{variant or 'x'}"
    print(f"[{tag}] {n:,} points x {repeat} ...", flush=True)
    try:
        _child(py, script, "one", variant, min(n, 200), runs / f"{tag}-warm", timeout)
        shutil.rmtree(runs / f"{tag}-warm", ignore_errors=True)
        for r in range(repeat):
            d = runs / f"{tag}-{r}"
            shutil.rmtree(d, ignore_errors=True)
            one = _child(py, script, "one", variant, n, d, timeout)
            row.one.append(one)
            got = _child(py, script, "read", variant, n, d, timeout)
            if got["points"] != one["points"]:
                raise RuntimeError(f"read back {got['points']:,} of {one['points']:,} points")
            row.read.append(got)
            shutil.rmtree(d, ignore_errors=True)
        for r in range(repeat):
            d = runs / f"{tag}-k{r}"
            shutil.rmtree(d, ignore_errors=True)
            row.keys10.append(_child(py, script, "keys10", variant, n, d, timeout))
            shutil.rmtree(d, ignore_errors=True)
    except (RuntimeError, OSError, ValueError) as exc:
        row.error = f"run failed: {exc}"
        print(f"[{tag}] {row.error}", flush=True)
    else:
        print(f"[{tag}] {row.rate('one'):,.0f} points/s incl. finish", flush=True)


def render(rows: list[Row], a: argparse.Namespace, when: str, load: float) -> str:
    lines = [f"Measured {when} with `python -m benchmarks.peers --points {a.points} --repeat {a.repeat}"
             + (f" --peers {a.peers}" if a.peers else "") + "`"
             f" (Python {platform.python_version()}, {os.cpu_count()} CPUs, load average at the end "
             f"{load:.1f}); each figure the median of {a.repeat} fresh processes, each tool in its own venv.",
             "", table.markdown(rows), "", "Ratios (issue 18, item 6), in this run:", ""]
    lines += [r.line() for r in table.ratios(rows, a.points)] or ["- (no ringlog row and peer row to compare)"]
    lines += ["", "Versions and notes:", ""]
    seen = set()
    for r in rows:
        if r.tool not in seen:
            seen.add(r.tool)
            lines.append(f"- {r.tool}: {r.versions or r.error}" + (f"; {r.note}" if r.note else ""))
    capped = sorted({f"{r.tool} `{r.label}` ({r.points:,})" for r in rows if r.points < a.points})
    if capped:
        lines.append(f"- points per process capped for the slowest call forms: {', '.join(capped)}")
    return "\n".join(lines)
