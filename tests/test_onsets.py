"""Onsets scheduled for many children at once fall in the same months as the
child-by-child walk through the monthly draws (``next_onset``)."""

import numpy as np
from numba import njit

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.kernels.family_month import next_onset
from sendabm.core.kernels.onsets import schedule_onsets
from sendabm.core.parameters import as_vector, defaults
from sendabm.core.population import allocate


@njit
def _split_draws(key, uids, tick):
    out = np.empty(uids.shape[0])
    for k in range(uids.shape[0]):
        out[k] = rng.uniform_at(rng.child_hash(key, rng.ONSET, uids[k]), tick)
    return out


def test_split_hash_gives_the_same_draws():
    key = rng.seed_key(3)
    uids = np.arange(0, 3_000_000, 101, dtype=np.int32)
    for tick in (0, 17, 300):
        assert np.array_equal(_split_draws(key, uids, tick),
                              rng.uniforms(key, rng.ONSET, uids, tick))


def test_schedule_matches_next_onset():
    p = as_vector({**defaults(), "need_onset_per_year": 0.08})
    key = rng.seed_key(9)
    multipliers = np.array([1.03 ** (t / 12.0) for t in range(260)])
    n = 20_000
    draw = np.random.default_rng(0)
    fam = allocate(n)
    fam.uid[:] = draw.permutation(10 * n)[:n]
    fam.active[:] = 1
    fam.need[:] = np.where(draw.random(n) < 0.1, 1.0, 0.0)
    for now in (0, 12, 37, 250):
        fam.year[:] = draw.integers(S.FIRST_YEAR, 16, n)  # early years to post-19
        rows = np.arange(n, dtype=np.int64)
        schedule_onsets(fam, rows, now, key, multipliers, p)
        expected = [-1000 if fam.need[i] > 0 else next_onset(
            key, fam.uid[i], now, fam.year[i], now, multipliers, p) for i in range(n)]
        assert fam.onset_tick.tolist() == expected
        assert 0.05 < np.mean(fam.onset_tick > 0) < 0.95 or now == 250
