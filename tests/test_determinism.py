"""Runs are reproducible: same scenario and seed give identical results, different seeds
differ, and the numba thread count changes nothing (bit for bit)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import numpy as np
import pytest

from sendabm.core.model import SendModel
from sendabm.core.population import COLUMNS

SCALE = 0.001
END = "2015-09"  # 13 months: one April, one September


def _run(seed: int, end: str = END, **kwargs) -> SendModel:
    model = SendModel(seed=seed, scale=SCALE, end=end, **kwargs)
    model.run()
    return model


def _assert_same_national(a: dict, b: dict, what: str) -> None:
    assert list(a) == list(b), f"{what}: national measures differ"
    for name in a:
        np.testing.assert_array_equal(np.asarray(a[name]), np.asarray(b[name]),
                                      err_msg=f"{what}: national '{name}' differs")


def _assert_same_columns(a, b, what: str) -> None:
    for name in COLUMNS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.shape == y.shape, f"{what}: column '{name}' shape differs"
        rows = np.flatnonzero(x != y)
        assert rows.size == 0, f"{what}: column '{name}' differs at rows {rows[:5]}"


@pytest.fixture(scope="module")
def seed5():
    return _run(5)


def test_same_seed_gives_identical_results(seed5):
    again = _run(5)
    _assert_same_national(seed5.national, again.national, "same seed")
    _assert_same_columns(seed5.families, again.families, "same seed")
    for name in seed5.panel:
        np.testing.assert_array_equal(np.stack(seed5.panel[name]), np.stack(again.panel[name]),
                                      err_msg=f"same seed: panel '{name}' differs")


def test_different_seeds_differ(seed5):
    other = _run(6)
    assert seed5.national["ehc_plans"] != other.national["ehc_plans"]
    assert seed5.national["assessment_requests"] != other.national["assessment_requests"]
    rows = min(seed5.families.need.size, other.families.need.size)
    assert not np.array_equal(seed5.families.need[:rows], other.families.need[:rows])


_CHILD = textwrap.dedent("""
    import sys
    import numba
    import numpy as np
    from sendabm.core.model import SendModel

    model = SendModel(seed=4, scale=0.002, end="2015-09")
    model.run()
    arrays = {"national__" + k: np.asarray(v, dtype=np.float64) for k, v in model.national.items()}
    arrays.update({"column__" + k: v for k, v in model.families._asdict().items()})
    arrays["threads"] = np.array([numba.get_num_threads()])
    np.savez(sys.argv[1], **arrays)
""")


def _run_with_threads(threads: int, path: Path) -> dict[str, np.ndarray]:
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with np.load(path) as data:
        return dict(data)


@pytest.mark.slow
def test_thread_count_does_not_change_results(tmp_path):
    one = _run_with_threads(1, tmp_path / "one.npz")
    two = _run_with_threads(2, tmp_path / "two.npz")
    assert one.pop("threads")[0] == 1 and two.pop("threads")[0] == 2
    assert sorted(one) == sorted(two)
    assert any(k.startswith("national__") for k in one)
    for key in one:
        np.testing.assert_array_equal(one[key], two[key],
                                      err_msg=f"{key} differs between 1 and 2 numba threads")


def test_threads_argument():
    before = numba.get_num_threads()
    try:
        model = SendModel(seed=5, scale=SCALE, end="2014-11", threads=1)
        assert numba.get_num_threads() == 1
        model.run()
        assert len(model.dates) == 3
    finally:
        numba.set_num_threads(before)
    reference = _run(5, end="2014-11")
    _assert_same_national(model.national, reference.national, "threads=1 vs default")
