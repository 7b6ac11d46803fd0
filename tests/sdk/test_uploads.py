"""The uploads queue of a real run: a remote that hangs never hangs the training loop."""

from __future__ import annotations

import threading
import time
import warnings

import ringlog
from ringlog._engine.uploads import MAX_QUEUED_BYTES
from ringlog.errors import LoggingWarning


def test_a_hanging_remote_drops_the_sample_after_the_upload_timeout(store_root, fast):
    run = ringlog.init(project="u", dir=store_root, settings=fast.updated(upload_timeout=0.2))
    core = run._core
    release = threading.Event()
    stored = []
    core.upload(MAX_QUEUED_BYTES, "image", lambda: (release.wait(30), stored.append("first")))  # the remote hangs
    caught = []

    def training_loop():
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            for i in range(3):
                core.upload(1024, "image", lambda i=i: stored.append(i))  # queue full: waits, then drops
        caught.extend(rec)

    t0 = time.monotonic()
    loop = threading.Thread(target=training_loop)
    loop.start()
    loop.join(10)
    hung = loop.is_alive()
    release.set()
    loop.join(30)
    assert not hung, "the logging call waited for the hanging remote"
    assert time.monotonic() - t0 < 5
    assert run.stats()["upload_dropped"] == 3
    ours = [w for w in caught if issubclass(w.category, LoggingWarning)]
    assert len(ours) == 1 and "upload_timeout" in str(ours[0].message)
    run.finish()
    assert stored == ["first"]


def test_upload_timeout_is_validated():
    import pytest

    with pytest.raises(ValueError, match="upload_timeout"):
        ringlog.Settings(upload_timeout=0)
