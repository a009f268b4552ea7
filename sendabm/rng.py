"""Counter-based random numbers keyed by (seed, stream, family, tick).

Every random draw in the model is a pure function of the run's seed, a named stream
(one per kind of decision), the identity of the agent drawing (a family's ``uid`` or
an institution's index) and the tick. Nothing carries random state from one draw to
the next, so:

* results do not depend on the order in which rows are visited, hence on the number of
  numba threads or processes;
* two scenarios that differ only in a policy share every draw the policy does not
  touch (common random numbers), and are identical before the policy starts.

The generator is the SplitMix64 finaliser applied to a combination of the key words;
it passes BigCrush as a hash of a counter (Steele et al., 2014). Numba kernels use the
``@njit`` functions; :class:`PyRandom` reimplements them in plain Python integers
as the independent oracle for the per-family reference step.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, uint64

_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_TWO53 = 1.0 / 9007199254740992.0

# Streams: one per kind of decision. Never renumber: that would change every result.
ONSET = 1
SEVERITY = 2
NEED_TYPE = 3
DRIFT = 4
RESOLVE = 5
IDENTIFY = 6
REQUEST = 7
SCHOOL_REQUEST = 8
SPECIAL_PREFERENCE = 9
MEDIATION_CHOICE = 10
APPEAL_CHOICE = 11
LA_ASSESS_VIEW = 12
LA_PLAN_VIEW = 13
ASSESSMENT_QUEUE = 14
MEDIATION_OUTCOME = 15
CONCEDE = 16
HEARING_QUEUE = 17
TRIBUNAL_VIEW = 18
POST16 = 19
POST19_CEASE = 20
INIT_NEED = 21
INIT_SEVERITY = 22
INIT_STATUS = 23
INIT_RESOURCES = 24
SCHOOL_CHOICE = 25
LA_CHOICE = 26
INIT_SETTING = 27
INIT_YEAR = 28
SCHOOL_INIT = 29
PROVIDER_INIT = 30
POST16_FE = 31
DESTINATION = 32
INIT_NEED_TYPE = 33
INIT_IDENTIFY = 34
COMPLIANCE = 35
ORDER_SETTING = 36
NORMAL_OFFSET = 1 << 20
"""Added to a stream to get the second uniform of a Box-Muller normal."""


def seed_key(seed: int) -> np.uint64:
    """Mix a user seed into the 64-bit key the kernels take."""
    return np.uint64(_mix_py((int(seed) * _GAMMA + 0x2545F4914F6CDD1D) & _MASK))


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> uint64(30))) * uint64(_M1)
    z = (z ^ (z >> uint64(27))) * uint64(_M2)
    return z ^ (z >> uint64(31))


@njit(cache=True, inline="always")
def uniform(key, stream, uid, tick):
    """Uniform draw in [0, 1) for (key, stream, uid, tick); all integers."""
    h = _mix(key ^ (uint64(stream) * uint64(_GAMMA)))
    h = _mix(h ^ uint64(uid))
    h = _mix(h ^ (uint64(tick) * uint64(_M2)))
    return float(h >> uint64(11)) * _TWO53


@njit(cache=True, inline="always")
def normal(key, stream, uid, tick):
    """Standard normal draw (Box-Muller over two independent uniforms)."""
    u1 = 1.0 - uniform(key, stream, uid, tick)
    u2 = uniform(key, stream + NORMAL_OFFSET, uid, tick)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def _mix_py(z: int) -> int:
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


class PyRandom:
    """Pure-Python twin of :func:`uniform` and :func:`normal` for the reference step.

    Args:
        key: The run's key from :func:`seed_key`.
    """

    def __init__(self, key: np.uint64):
        self.key = int(key)

    def uniform(self, stream: int, uid: int, tick: int) -> float:
        """Uniform draw in [0, 1), bit-identical to the numba version."""
        h = _mix_py(self.key ^ ((stream * _GAMMA) & _MASK))
        h = _mix_py(h ^ (int(uid) & _MASK))
        h = _mix_py(h ^ ((int(tick) * _M2) & _MASK))
        return float(h >> 11) * _TWO53

    def normal(self, stream: int, uid: int, tick: int) -> float:
        """Standard normal draw, identical to the numba version."""
        u1 = 1.0 - self.uniform(stream, uid, tick)
        u2 = self.uniform(stream + NORMAL_OFFSET, uid, tick)
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True, parallel=False)
def uniforms(key, stream, uids, tick):
    """Vector of uniforms, one per uid (for set-up code outside the kernels)."""
    out = np.empty(uids.shape[0], dtype=np.float64)
    for i in range(uids.shape[0]):
        out[i] = uniform(key, stream, uids[i], tick)
    return out


@njit(cache=True, parallel=False)
def normals(key, stream, uids, tick):
    """Vector of standard normals, one per uid."""
    out = np.empty(uids.shape[0], dtype=np.float64)
    for i in range(uids.shape[0]):
        out[i] = normal(key, stream, uids[i], tick)
    return out
