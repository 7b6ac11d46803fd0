"""Artifacts and models of an object-store root: written in the spool, uploaded, read from the bucket.

Keys are the local layout's (FORMAT.md, "Artifacts") under the bucket prefix: ``.artifacts/blobs/``
(content-addressed, immutable), ``.artifacts/m/<scope>/<name>/`` (manifests ``v<N>.json``,
``aliases.json``, ``used/``, ``props/``) and ``.artifacts/tasks/<task>/`` (lineage).

Writing (:class:`SpoolArtifacts`, what the SDK gets for a spool root): blobs and manifests are
written in the spool exactly as for a local root (the SDK's call returns after the local, durable
write); every metadata write marks the spool's artifacts *dirty*, and the run's uploader thread
sends what changed at its next pass (blobs first, ``aliases.json`` last, so a bucket reader never
sees a manifest whose blobs are missing) and at ``finish()``. With no run in the process, the
upload happens at once in the caller (a failure warns; ``ringlog sync`` sends it later). What was
sent is recorded in ``.spool/_artifacts.json`` (size, mtime per file): passes are incremental.
Deletions are never propagated: blobs are shared by every machine's manifests.

Multi-writer rule: version numbers are assigned by the spool that commits (flock there). Two
machines committing the *same project-scoped name* at the same time can both make ``vN``; the last
upload wins that key. Task-scoped artifacts (ClearML's) have one writer and cannot collide.

Reading (:class:`BucketArtifacts`, the viewer's and ``open_artifacts("s3://...")``): metadata under
``m/`` and ``tasks/`` is mirrored into the read cache (one LIST each, a GET per changed ETag, at most
once per ``ttl`` s); a blob is fetched when a file of a version is opened or downloaded.
"""

from __future__ import annotations

import json
import threading
import time
import warnings
from pathlib import Path
from typing import Optional
from .. import _fs
from ..artifacts import ARTIFACTS_DIR, ArtifactStore
from ..artifacts_blobs import LocalBlobs, check_digest
from ..errors import StoreValueError
from . import spool
from .client import Client, each
from .reports import url_of

PREFIX = ARTIFACTS_DIR + "/"
STATE = "_artifacts"  # .spool/_artifacts.json
BIG = 8 << 20  # files larger than this are PUT from their path (obstore streams them, multipart)
_dirty: set = set()
_live: dict = {}  # spool root -> number of uploaders of this process sending it
_mu = threading.Lock()
_state_mu = threading.RLock()  # .spool/_artifacts.json: one reader-modifier-writer at a time (uploads, pulls)


def open_artifacts(root, *, durable: bool = True) -> ArtifactStore:
    """The artifact store of ``root``: :class:`BucketArtifacts` (read) for a URL, :class:`SpoolArtifacts`
    for a spool folder, else the local one."""
    url = url_of(root)
    if url is None:
        return ArtifactStore(Path(root), durable=durable)
    if isinstance(root, str) and "://" in root:
        return BucketArtifacts(url)
    return SpoolArtifacts(Path(root), url, durable=durable)


# --- the upload side ------------------------------------------------------------------------------
def mark(root: Path) -> None:
    with _mu:
        _dirty.add(Path(root))


def take_dirty(root: Path) -> bool:
    with _mu:
        if Path(root) in _dirty:
            _dirty.discard(Path(root))
            return True
        return False


def is_dirty(root: Path) -> bool:
    with _mu:
        return Path(root) in _dirty


DOWN_FOR = 60.0  # s: after a failed request an artifact call does not ask the bucket again for this long
_down_until: dict = {}
_warned_until: dict = {}


def _down(url: str) -> bool:
    return time.monotonic() < _down_until.get(url, 0.0)


def _mark_down(url: str) -> None:
    """The bucket failed a request: artifact calls answer from the spool for DOWN_FOR s (an outage
    must not make every log_artifact/use_artifact wait for a connect timeout)."""
    _down_until[url] = time.monotonic() + DOWN_FOR


def register(root: Path, delta: int) -> None:
    """An uploader of this process starts (+1) or stops (-1) sending spool ``root``."""
    with _mu:
        _live[Path(root)] = _live.get(Path(root), 0) + delta


def tree_files(root: Path) -> dict:
    """``{path relative to .artifacts: (size, mtime_ns)}`` of what goes to the bucket (no temp
    files, locks, local copies)."""
    base = Path(root) / ARTIFACTS_DIR
    out = {}
    if not base.is_dir():
        return out
    for p in base.rglob("*"):
        rel = p.relative_to(base)
        if rel.parts[0] in ("tmp", "cache") or any(x.startswith(".") for x in rel.parts):
            continue
        try:
            st = p.stat()
        except OSError:
            continue
        if p.is_file():
            out[rel.as_posix()] = (st.st_size, st.st_mtime_ns)
    return out


def _rank(rel: str) -> tuple:
    return (0 if rel.startswith("blobs/") else 2 if rel.endswith("/aliases.json") else 1, rel)


def pending(root: Path) -> list[str]:
    done = spool.load_state(root, STATE)["files"]
    return sorted(r for r, sig in tree_files(root).items() if done.get(r) != list(sig))


def upload_tree(client, root: Path) -> dict:
    """PUT the spool's artifact files not yet sent as they are (see the module docstring)."""
    with _state_mu:
        return _upload_tree(client, Path(root))


def _upload_tree(client, root: Path) -> dict:
    state = spool.load_state(root, STATE)
    done = state["files"]
    tags = state.setdefault("etags", {})
    stats = {"objects": 0, "bytes": 0}
    base = root / ARTIFACTS_DIR
    try:
        for rel, sig in sorted(tree_files(root).items(), key=lambda kv: _rank(kv[0])):
            if done.get(rel) == list(sig):
                continue
            p = base / rel
            if sig[0] > BIG:
                tag = client.put(PREFIX + rel, p)
            else:
                try:
                    tag = client.put(PREFIX + rel, p.read_bytes())
                except FileNotFoundError:
                    continue
            done[rel] = list(sig)
            tags[rel] = tag
            stats["objects"] += 1
            stats["bytes"] += sig[0]
    finally:
        spool.save_state(root, STATE, state)
    return stats


class SpoolArtifacts(ArtifactStore):
    """The artifact store of a spool folder: local writes, uploaded as the module says. Reads first
    bring the names they read up to date from the bucket (what other machines committed): files
    changed only in the bucket are fetched into the spool and recorded as sent (never sent back); a
    file changed here and not yet uploaded is kept. A blob is fetched when a file is opened. With
    the bucket unreachable, the spool's copy answers."""

    def __init__(self, root: Path, url: str, durable: bool = True):
        super().__init__(root, durable=durable, blobs=SpoolBlobs(Path(root).expanduser() / ARTIFACTS_DIR, self, durable))
        self.url = url
        self._client = None

    def client(self):
        if self._client is None:
            self._client = Client(self.url)
        return self._client

    def fetch(self, rel: str, listed_etag: Optional[str] = None) -> bool:
        """GET ``.artifacts/<rel>`` into the spool, recorded as sent; False when the bucket lacks it
        (or failed: then it is not asked again for DOWN_FOR s)."""
        if _down(self.url):
            return False
        try:
            data = self.client().get(PREFIX + rel)
        except FileNotFoundError:
            return False
        except Exception:  # noqa: BLE001 - an outage: the caller reads what the spool has
            _mark_down(self.url)
            return False
        p = self.base / rel
        with _state_mu:
            _fs.makedirs(p.parent)
            _fs.write_atomic(p, data, durable=False)
            st = p.stat()
            state = spool.load_state(self.root, STATE)
            state["files"][rel] = [st.st_size, st.st_mtime_ns]
            state.setdefault("etags", {})[rel] = listed_etag or ""
            spool.save_state(self.root, STATE, state)
        return True

    def pull(self, rel_prefix: str) -> int:
        """Bring ``.artifacts/<rel_prefix>`` up to date from the bucket; returns the files fetched."""
        if _down(self.url):
            return 0
        try:
            listed = [(e.key[len(PREFIX):], e.etag) for e in self.client().list(PREFIX + rel_prefix)]
        except Exception:  # noqa: BLE001 - offline, no credentials: the spool's copy answers
            _mark_down(self.url)
            return 0
        state = spool.load_state(self.root, STATE)
        done, tags = state["files"], state.get("etags", {})
        n = 0
        for rel, etag in listed:
            p = self.base / rel
            try:
                st = p.stat()
                sig = [st.st_size, st.st_mtime_ns]
            except FileNotFoundError:
                sig = None
            if sig is not None and (done.get(rel) != sig or tags.get(rel) in (etag, None)):
                continue  # changed here and not yet sent, or as the bucket has it (or sent by this spool)
            n += self.fetch(rel, etag)
        return n

    def _rel(self, scope: str, name: str) -> str:
        return self._dir(scope, name).relative_to(self.base).as_posix() + "/"

    def commit(self, scope: str, name: str, **kw) -> dict:
        self.pull(self._rel(scope, name))  # the versions other machines made: numbered after them
        return super().commit(scope, name, **kw)

    def get(self, scope: str, name: str, ref: str = "latest") -> dict:
        self.pull(self._rel(scope, name))
        return super().get(scope, name, ref)

    def versions(self, scope: str, name: str) -> list:
        self.pull(self._rel(scope, name))
        return super().versions(scope, name)

    def latest(self, scope: str) -> list:
        if isinstance(scope, str) and "/" not in scope and not scope.startswith("."):
            self.pull(f"m/{scope}/")
        return super().latest(scope)

    def _write_json(self, path: Path, obj) -> None:
        super()._write_json(path, obj)
        mark(self.root)
        with _mu:
            live = _live.get(Path(self.root), 0) > 0
        if live:
            return
        why = "the bucket failed a request less than a minute ago"
        if not _down(self.url):  # no run's uploader here: send it now (small, a few objects)
            try:
                upload_tree(self.client(), self.root)
                take_dirty(self.root)
                return
            except Exception as exc:  # noqa: BLE001 - the files are safe in the spool
                _mark_down(self.url)
                why = f"{type(exc).__name__}: {str(exc)[:200]}"
        if _warned_until.get(self.url, 0.0) <= time.monotonic():  # once per outage window
            _warned_until[self.url] = _down_until.get(self.url, 0.0)
            warnings.warn(f"ringlog: artifact files could not be uploaded to {self.url} ({why}); they are in the "
                          f"spool {self.root}: `ringlog sync {self.root} {self.url}` (or the next run on this "
                          f"machine) sends them", RuntimeWarning, stacklevel=3)


class _FetchedOnUse(LocalBlobs):
    """Blobs whose file is fetched from the bucket when first opened: every read goes through the
    subclass's ``_ensure(digest) -> Path``."""

    def open(self, digest: str):
        return open(self._ensure(digest), "rb")

    def local_path(self, digest: str) -> Path:
        return self._ensure(digest)

    def size(self, digest: str) -> int:
        return self._ensure(digest).stat().st_size


class SpoolBlobs(_FetchedOnUse):
    """The spool's blobs; a blob another machine uploaded is fetched when a file is opened."""

    def __init__(self, base: Path, owner: "SpoolArtifacts", durable: bool = True):
        super().__init__(base, durable=durable)
        self.owner = owner

    def _ensure(self, digest: str) -> Path:
        p = self.path(check_digest(digest))
        if not p.is_file():
            self.owner.fetch(f"blobs/{digest[:2]}/{digest}")
        return p


# --- the read side --------------------------------------------------------------------------------
class BucketBlobs(_FetchedOnUse):
    """Blobs of the read cache, each fetched from the bucket on first use."""

    def __init__(self, base: Path, client):
        super().__init__(base, durable=False)
        self.client = client

    def _ensure(self, digest: str) -> Path:
        p = self.path(check_digest(digest))
        if not p.is_file():
            try:
                data = bytes(self.client.store.get(self.client._k(f"{PREFIX}blobs/{digest[:2]}/{digest}")).bytes())
            except FileNotFoundError:
                return p
            _fs.makedirs(p.parent)
            _fs.write_atomic(p, data, durable=False)
        return p

    def has(self, digest: str) -> bool:
        return self._ensure(digest).is_file()

    def _refuse(self, *a, **k):
        raise StoreValueError("root: the artifacts of an object-store root are written by runs (their spool), "
                              "not through a reader")

    put_file = put_bytes = delete = _refuse


class BucketArtifacts(ArtifactStore):
    """Read-only artifacts of bucket ``url`` through the read cache (see the module docstring)."""

    def __init__(self, url: str, *, local=None, ttl: float = 1.0, client=None):
        self.url = url.rstrip("/")
        self.client = client or Client(self.url)
        root = Path(local) if local is not None else spool.cache_for(self.url)
        super().__init__(root, durable=False, blobs=BucketBlobs(root / ARTIFACTS_DIR, self.client))
        self.ttl = float(ttl)
        self._at = -1e9
        self._etags: dict = {}
        self._mu = threading.Lock()
        try:
            self._etags = json.loads((self.base / ".etags.json").read_text())
        except (OSError, ValueError):
            pass

    def pull(self, force: bool = False) -> int:
        """Mirror the metadata (``m/``, ``tasks/``); returns how many objects were fetched."""
        now = time.monotonic()
        if not force and now - self._at < self.ttl:
            return 0
        with self._mu:
            self._at = now
            listed = {e.key: e.etag for sub in ("m/", "tasks/") for e in self.client.list(PREFIX + sub)}
            todo = [k for k, t in listed.items() if self._etags.get(k) != t or not (self.root / k).exists()]

            def one(key):
                try:
                    data = self.client.get(key)
                except FileNotFoundError:
                    return
                p = self.root / key
                _fs.makedirs(p.parent)
                _fs.write_atomic(p, data, durable=False)
                self._etags[key] = listed[key]

            each(one, todo)
            if todo:
                _fs.makedirs(self.base)
                _fs.write_json_atomic(self.base / ".etags.json", self._etags, durable=False)
            return len(todo)

    def _refuse(self, *a, **k):
        raise StoreValueError("root: the artifacts of an object-store root are written by runs (their spool), "
                              "not through a reader")

    commit = set_aliases = use = set_props = gc = _refuse


def _pulling(name):
    def method(self, *a, **k):
        self.pull()
        return getattr(ArtifactStore, name)(self, *a, **k)
    method.__name__ = name
    method.__doc__ = f"{name} of :class:`ArtifactStore`, after mirroring the bucket's metadata."
    return method


for _n in ("get", "versions", "consumers", "latest", "scopes", "task_lineage", "props"):
    setattr(BucketArtifacts, _n, _pulling(_n))
