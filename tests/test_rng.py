"""Counter-based random numbers: distribution, independence of keys, Python twin."""

import numpy as np
from scipy import stats

from sendabm.core import rng


def test_uniforms_are_uniform_and_keyed():
    key = rng.seed_key(1)
    uids = np.arange(200_000, dtype=np.int32)
    u = rng.uniforms(key, rng.ONSET, uids, 3)
    assert stats.kstest(u, "uniform").pvalue > 0.001
    # A different stream, tick or seed gives unrelated draws.
    for other in (rng.uniforms(key, rng.SEVERITY, uids, 3), rng.uniforms(key, rng.ONSET, uids, 4),
                  rng.uniforms(rng.seed_key(2), rng.ONSET, uids, 3)):
        assert abs(np.corrcoef(u, other)[0, 1]) < 0.01


def test_normals_are_standard_normal():
    z = rng.normals(rng.seed_key(5), rng.DRIFT, np.arange(200_000, dtype=np.int32), 7)
    assert stats.kstest(z, "norm").pvalue > 0.001
    assert abs(np.mean(z > 1.96) - 0.025) < 0.003


def test_python_twin_is_bit_identical():
    key = rng.seed_key(11)
    twin = rng.PyRandom(key)
    uids = np.arange(0, 5_000_000, 997, dtype=np.int32)
    assert list(rng.uniforms(key, rng.REQUEST, uids, 30)) == [
        twin.uniform(rng.REQUEST, int(u), 30) for u in uids]
    assert list(rng.normals(key, rng.DRIFT, uids, 30)) == [
        twin.normal(rng.DRIFT, int(u), 30) for u in uids]
