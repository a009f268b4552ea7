"""Paired statistics of a comparison: one table row per policy x outcome.

For each policy and outcome: the base and policy means over the replications, the
mean paired difference (policy - base) with its 95% interval (Student t, N - 1
degrees of freedom), the difference relative to the base mean, and the share of
replications in which the policy does better. "Better" is the outcome's direction
(:mod:`sendabm.experiments.outcomes`): lower or higher, nearer zero for the q5 - q1
gaps (more equal); for neutral outcomes ``share_better`` is the share of
replications in which the policy is higher, and for contested outcomes (whose better
direction is itself in dispute) it is NaN: they are not scored.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sendabm.experiments.outcomes import CONTESTED, HIGHER, LOWER, NEARER_ZERO, Outcome

TABLE_COLUMNS = ("policy", "outcome", "group", "direction", "base_mean", "policy_mean",
                 "diff_mean", "diff_low95", "diff_high95", "diff_pct", "share_better", "n")
"""Columns of ``comparison.csv`` and keys of each row of a comparison's table."""

_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
"""Two-sided 95% Student t quantiles for 1..30 degrees of freedom (fallback table)."""


def t_quantile(df: int) -> float:
    """The 97.5th percentile of Student's t with ``df`` degrees of freedom (NaN if df < 1)."""
    if df < 1:
        return math.nan
    try:
        from scipy.stats import t as student_t
    except ImportError:  # pragma: no cover - scipy comes with mesa
        if df <= len(_T975):
            return _T975[df - 1]
        return 1.959964 + 2.4 / df  # close to the exact value beyond 30 df
    return float(student_t.ppf(0.975, df))


def mean_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t interval of the mean of ``values`` (NaNs dropped)."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if values.size < 2:
        return mean, math.nan, math.nan
    half = t_quantile(values.size - 1) * float(values.std(ddof=1)) / math.sqrt(values.size)
    return mean, mean - half, mean + half


def paired_row(policy: str, outcome: Outcome, base: np.ndarray,
               treated: np.ndarray) -> dict[str, Any]:
    """The table row of one policy x outcome from paired per-replication values."""
    base = np.asarray(base, dtype=np.float64)
    treated = np.asarray(treated, dtype=np.float64)
    ok = np.isfinite(base) & np.isfinite(treated)
    n = int(ok.sum())
    b, p = base[ok], treated[ok]
    diff = p - b
    diff_mean, low, high = mean_interval(diff)
    base_mean = float(b.mean()) if n else math.nan
    policy_mean = float(p.mean()) if n else math.nan
    pct = 100.0 * diff_mean / abs(base_mean) if n and base_mean != 0 else math.nan
    if n == 0 or outcome.direction == CONTESTED:
        better = math.nan
    elif outcome.direction == LOWER:
        better = float(np.mean(diff < 0))
    elif outcome.direction == HIGHER:
        better = float(np.mean(diff > 0))
    elif outcome.direction == NEARER_ZERO:
        better = float(np.mean(np.abs(p) < np.abs(b)))
    else:
        better = float(np.mean(diff > 0))
    return {"policy": policy, "outcome": outcome.name, "group": outcome.group,
            "direction": outcome.direction, "base_mean": base_mean, "policy_mean": policy_mean,
            "diff_mean": diff_mean, "diff_low95": low, "diff_high95": high, "diff_pct": pct,
            "share_better": better, "n": n}
