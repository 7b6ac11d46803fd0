"""The S3 server fixture and the client: a real round trip (put, get, list, delete)."""

from __future__ import annotations

import pytest

from ringlog.store.objstore.client import Client, split


def test_round_trip(s3_url):
    c = Client(s3_url)
    c.put("a/b.bin", b"x" * 1000)
    c.put("a/c.bin", b"y")
    assert c.get("a/b.bin") == b"x" * 1000
    got = sorted((e.key, e.size) for e in c.list("a/"))
    assert got == [("a/b.bin", 1000), ("a/c.bin", 1)]
    c.delete("a/c.bin")
    with pytest.raises(FileNotFoundError):
        c.get("a/c.bin")
    assert c.head("a/b.bin").size == 1000


def test_split_names_the_argument():
    assert split("s3://b/p/q/") == ("s3", "b", "p/q")
    with pytest.raises(ValueError, match="root"):
        split("http://b/p")
