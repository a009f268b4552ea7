"""The numba kernels and the readable per-family Python step give the same results.

Two models with the same scenario and seed are stepped side by side, one with the
kernels and one with :meth:`sendabm.core.actors.family.Family.month` / ``outcomes`` in a Python
loop. After every month their integer columns must be identical and their float
columns equal within 1e-9.
"""

import numpy as np
import pytest

from sendabm.core.model import SendModel
from sendabm.core.population import COLUMNS

MONTHS = 24
SCALE = 0.001  # about 8,400 families


@pytest.fixture(scope="module")
def pair():
    fast = SendModel(seed=7, scale=SCALE, end="2016-08", engine="numba")
    slow = SendModel(seed=7, scale=SCALE, end="2016-08", engine="python")
    return fast, slow


SCHEDULES = ("onset_tick",)
"""Columns only the kernel path keeps: when a scheduled event will happen. The
reference step draws every month instead; if a schedule were wrong, the state it
drives (need, SEN status) would differ and fail below."""


def _compare(fast: SendModel, slow: SendModel, month: int) -> None:
    for name, dtype in COLUMNS.items():
        if name in SCHEDULES:
            continue
        a = getattr(fast.families, name)
        b = getattr(slow.families, name)
        assert a.shape == b.shape, f"{name} shape differs in month {month}"
        if np.issubdtype(dtype, np.floating):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-9,
                                       err_msg=f"column {name} differs in month {month}")
        else:
            mismatch = np.flatnonzero(a != b)
            assert mismatch.size == 0, (
                f"column {name} differs in month {month} at rows {mismatch[:5]}")


def test_kernel_matches_per_family_reference(pair):
    fast, slow = pair
    assert int(fast.families.active.sum()) >= 5_000
    for month in range(MONTHS):
        fast.step()
        slow.step()
        _compare(fast, slow, month)
    # The comparison is only meaningful if things happened: needs, requests, appeals.
    history = fast.national
    assert sum(history["assessment_requests"]) > 0
    assert sum(history["appeals_registered"]) > 0
    assert sum(history["plans_issued"]) > 0
    assert fast.national["ehc_plans"] == slow.national["ehc_plans"]
