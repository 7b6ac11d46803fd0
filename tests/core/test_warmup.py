"""Importing ringlog.core compiles nothing; warmup() loads every kernel and says how long it took."""

from __future__ import annotations

import subprocess
import sys

import numpy as np


def test_import_does_not_import_numba():
    code = "import sys, ringlog.core, ringlog.core.ring, ringlog.core.decimate; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_warmup_returns_seconds_and_kernels_are_compiled_after():
    from ringlog.core import _kernels, _lttb, _ring_kernels, warmup

    seconds = warmup()
    assert isinstance(seconds, float) and seconds >= 0.0
    assert _ring_kernels.group_ring.signatures
    assert len(_kernels.extrema_f32.signatures) >= 1 and len(_kernels.extrema_f64.signatures) >= 1
    assert len(_lttb.lttb_kernel.signatures) >= 4
    # a second call has nothing left to compile
    assert warmup() < max(seconds, 0.05)
    assert np.isfinite(seconds)


def test_warmup_parts_and_bad_part():
    import pytest

    from ringlog.core import warmup

    assert warmup(("ring",)) >= 0.0
    with pytest.raises(ValueError, match="parts"):
        warmup(("rings",))
