"""The shape every artifact manifest must have before anyone acts on it (FORMAT.md, "Artifacts").

A manifest is JSON written by :class:`~ringlog.store.artifacts.ArtifactStore`; one edited by hand,
truncated by a broken disk or written by a newer version may hold anything. Readers skip (listings)
or refuse (a named version) a manifest that fails :func:`problem`; ``gc`` stops before removing a
blob, since a manifest it cannot trust may still name blobs.
"""

from __future__ import annotations

import re

_HEX = re.compile(r"^[0-9a-f]{64}$")


def problem(m, version: str) -> str | None:
    """What is wrong with manifest ``m`` expected to be ``version`` (``v<N>``), or None."""
    if not isinstance(m, dict):
        return "not a JSON object"
    if m.get("version") != version or m.get("index") != int(version[1:]):
        return f"not version {version}"
    if not isinstance(m.get("name"), str) or not isinstance(m.get("scope"), str):
        return "name or scope is not a str"
    files, refs = m.get("files"), m.get("references", [])
    if not isinstance(files, list) or not isinstance(refs, list):
        return "files or references is not a list"
    for f in files:
        if not (isinstance(f, dict) and isinstance(f.get("path"), str) and isinstance(f.get("sha256"), str)
                and _HEX.match(f["sha256"]) and isinstance(f.get("size"), int) and f["size"] >= 0):
            return f"bad file entry {f!r:.200}"
    for r in refs:
        if not (isinstance(r, dict) and isinstance(r.get("path"), str) and isinstance(r.get("uri"), str)):
            return f"bad reference entry {r!r:.200}"
    if not isinstance(m.get("metadata", {}), dict) or not isinstance(m.get("digest"), str):
        return "metadata is not an object or digest is not a str"
    return None
