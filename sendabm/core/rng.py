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

The draws are plain ``@njit`` functions, not numba-inlined (``inline="always"``): LLVM
inlines them into the kernels anyway, while numba's own inlining copies and re-types
each one at every call site (about 170 inlinings in the kernels), which took about a
quarter of a first run's compiling and left the family month slower
(benchmarks/COMPILE_PROFILE.md).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, uint64

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
LA_MERIT_VIEW = 37
ADVICE = 38
ADVICE_VIEW = 39
REDRESS_CHOICE = 40
OMBUDSMAN_VIEW = 41
OMBUDSMAN_COMPLIANCE = 42
COURT_VIEW = 43
NORMAL_OFFSET = 1 << 20
"""Added to a stream to derive a second, independent stream (e.g. for set-up draws)."""


SEED_MAX = _MASK
"""Largest user seed: seeds are 64-bit (a larger one would be cut to 64 bits and so
repeat a smaller seed's draws)."""


def seed_key(seed: int) -> np.uint64:
    """Mix a user seed into the 64-bit key the kernels take.

    Args:
        seed: Whole number in ``[0, SEED_MAX]``.

    Raises:
        ValueError: ``seed`` is outside ``[0, SEED_MAX]``.
    """
    if not 0 <= int(seed) <= SEED_MAX:
        raise ValueError(f"seed = {seed} is out of range; give a seed from 0 to 2**64 - 1")
    return np.uint64(_mix_py((int(seed) * _GAMMA + 0x2545F4914F6CDD1D) & _MASK))


@njit(cache=True)
def _mix(z):
    z = (z ^ (z >> uint64(30))) * uint64(_M1)
    z = (z ^ (z >> uint64(27))) * uint64(_M2)
    return z ^ (z >> uint64(31))


@njit(cache=True)
def uniform(key, stream, uid, tick):
    """Uniform draw in [0, 1) for (key, stream, uid, tick); all integers."""
    h = _mix(key ^ (uint64(stream) * uint64(_GAMMA)))
    h = _mix(h ^ uint64(uid))
    h = _mix(h ^ (uint64(tick) * uint64(_M2)))
    return float(h >> uint64(11)) * _TWO53


@njit(cache=True)
def child_hash(key, stream, uid):
    """The part of :func:`uniform` that does not depend on the tick.

    ``uniform_at(child_hash(key, stream, uid), tick) == uniform(key, stream, uid, tick)``
    bit for bit; kernels that draw one child's stream over many months hash once.
    """
    h = _mix(key ^ (uint64(stream) * uint64(_GAMMA)))
    return _mix(h ^ uint64(uid))


@njit(cache=True)
def uniform_at(child, tick):
    """Uniform draw in [0, 1) for a :func:`child_hash` and a tick."""
    h = _mix(child ^ (uint64(tick) * uint64(_M2)))
    return float(h >> uint64(11)) * _TWO53


# Acklam's rational approximation of the inverse normal CDF (relative error < 1.2e-9):
# one uniform per normal draw, and no transcendental call in the central 95%.
_A = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00)
_B = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00)
_P_LOW = 0.02425


@njit(cache=True)
def inverse_normal(u):
    """Standard normal quantile of u in (0, 1) (Acklam's approximation)."""
    if u < _P_LOW:
        q = math.sqrt(-2.0 * math.log(u))
        return ((((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5])
                / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0))
    if u > 1.0 - _P_LOW:
        q = math.sqrt(-2.0 * math.log(1.0 - u))
        return -((((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5])
                 / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0))
    q = u - 0.5
    r = q * q
    return ((((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q
            / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0))


@njit(cache=True)
def normal(key, stream, uid, tick):
    """Standard normal draw: the inverse CDF of an open-interval uniform."""
    h = _mix(key ^ (uint64(stream) * uint64(_GAMMA)))
    h = _mix(h ^ uint64(uid))
    h = _mix(h ^ (uint64(tick) * uint64(_M2)))
    return inverse_normal((float(h >> uint64(11)) + 0.5) * _TWO53)


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
        h = _mix_py(self.key ^ ((stream * _GAMMA) & _MASK))
        h = _mix_py(h ^ (int(uid) & _MASK))
        h = _mix_py(h ^ ((int(tick) * _M2) & _MASK))
        return _inverse_normal_py((float(h >> 11) + 0.5) * _TWO53)


# The twin evaluates the same formula as plain Python (numba's py_func) on Python floats.
_inverse_normal_py = inverse_normal.py_func


# Parallel: the set-up and each September's intake draw several vectors of millions
# (each draw depends only on its uid, so the threads do not change any value).
@njit(cache=True, parallel=True)
def uniforms(key, stream, uids, tick):
    """Vector of uniforms, one per uid (for set-up code outside the kernels)."""
    out = np.empty(uids.shape[0], dtype=np.float64)
    for i in prange(uids.shape[0]):
        out[i] = uniform(key, stream, uids[i], tick)
    return out


@njit(cache=True, parallel=True)
def normals(key, stream, uids, tick):
    """Vector of standard normals, one per uid."""
    out = np.empty(uids.shape[0], dtype=np.float64)
    for i in prange(uids.shape[0]):
        out[i] = normal(key, stream, uids[i], tick)
    return out
