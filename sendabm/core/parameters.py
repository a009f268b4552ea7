"""The parameter registry: every model parameter, assembled from the actor modules.

Each parameter has exactly one home, the actor module that owns it (its ``PARAMS``
tuple of :class:`~sendabm.core.param.Param`, with default, unit, valid range and
source). This module assembles them into :data:`PARAMETERS` in the fixed order of
:data:`ACTORS`, overlays the shipped calibrated defaults, validates values and packs the
numeric ones into a :data:`ParamVector` for the kernels. Scenario files may override
any parameter by name under ``[parameters]``; an unknown name or an out-of-range value
is rejected before anything runs (see :mod:`sendabm.core.scenario`).

Units: money in pounds (GBP) per year unless stated; rates are per month unless
the name ends in ``_per_year``; ``need`` is measured in *need units*, where one unit
is the support that costs £10,000 a year to provide (so the £6,000 notional SEN
threshold is 0.6 units). Probabilities and shares are in [0, 1].
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import replace
from typing import Any

from sendabm.core import calibrated
from sendabm.core.actors import (
    early_years,
    family,
    independent,
    local_authority,
    mainstream,
    redress,
    special,
    tribunal,
)
from sendabm.core.param import NEED_UNIT_GBP, Param, unknown_key_message

__all__ = ["ACTORS", "GROUPS", "NEED_UNIT_GBP", "NUMERIC", "PARAMETERS", "PRIORS", "Param",
           "ParamVector", "as_vector", "defaults", "unknown_key_message", "validate"]

ACTORS = (family, early_years, mainstream, special, independent, local_authority, tribunal,
          redress)
"""The actor modules whose ``PARAMS`` make up the registry, in this order. The order
fixes the order of :data:`PARAMETERS`, of :data:`ParamVector`'s fields and of the rows
within each group of ``docs/parameters.md``; it changes no value."""

_ALL: list[Param] = [param for actor in ACTORS for param in actor.PARAMS]

PRIORS: dict[str, Any] = {p.name: p.default for p in _ALL}
"""Each parameter's value before calibration (what its source states)."""


def _calibrate_defaults(params: list[Param]) -> list[Param]:
    """Give the parameters in the shipped calibrated set their calibrated defaults."""
    info, values = calibrated.load()
    if not values:
        return params
    how = f"calibrated ({info.get('date', 'undated')}, sendabm calibrate; see docs/calibration.md)"
    out = []
    for p in params:
        if p.name in values:
            value = values[p.name]
            value = int(round(value)) if isinstance(p.default, int) else float(value)
            p = replace(p, default=value, source=f"{how}; prior {p.default}: {p.source}")
        out.append(p)
    return out


_ALL = _calibrate_defaults(_ALL)
PARAMETERS: dict[str, Param] = {p.name: p for p in _ALL}
"""All parameters by name (defaults as calibrated)."""

GROUPS: tuple[str, ...] = tuple(dict.fromkeys(p.group for p in _ALL))


def defaults() -> dict[str, Any]:
    """Return a fresh dict of every parameter's default value."""
    return {p.name: p.default for p in _ALL}


def validate(values: dict[str, Any]) -> None:
    """Raise ValueError (one line) for the first unknown or invalid parameter."""
    for key, value in values.items():
        param = PARAMETERS.get(key)
        if param is None:
            raise ValueError(unknown_key_message("parameter", key, PARAMETERS))
        problem = param.check(value)
        if problem:
            raise ValueError(problem)


NUMERIC = [p.name for p in _ALL if p.choices is None and not isinstance(p.default, str)]
ParamVector = namedtuple("ParamVector", NUMERIC)
"""Numeric parameters as a namedtuple of floats (``p.name``), read by the actors, the
Python reference and the numba kernels (the family and case kernels take them as a
record, :func:`sendabm.core.kernels.parameter_record`)."""


def as_vector(values: dict[str, Any]) -> ParamVector:
    """Pack the numeric parameters into a :data:`ParamVector` of floats."""
    return ParamVector(*(float(values[name]) for name in NUMERIC))
