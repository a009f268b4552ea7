"""The declaration of one model parameter (:class:`Param`), used by every actor module.

Each actor module (:mod:`sendabm.core.actors`) declares the parameters it owns as a
``PARAMS`` tuple of :class:`Param`; :mod:`sendabm.core.parameters` assembles them into
the registry, validates values and packs them for the kernels. This module sits below
the actors so that they can declare parameters without importing the registry.

Units: money in pounds (GBP) per year unless stated; rates are per month unless
the name ends in ``_per_year``; ``need`` is measured in *need units*, where one unit
is the support that costs £10,000 a year to provide (so the £6,000 notional SEN
threshold is 0.6 units). Probabilities and shares are in [0, 1].
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

NEED_UNIT_GBP = 10_000.0
"""Pounds per year of support that one need unit represents."""


@dataclass(frozen=True)
class Param:
    """One model parameter.

    Attributes:
        name: Unique key, as written in scenario files.
        default: Default value (float, int or str).
        unit: Physical unit, e.g. "GBP/year", "1/month", "share".
        low: Smallest valid value (inclusive), or None for unbounded / categorical.
        high: Largest valid value (inclusive), or None.
        source: Citation for the default, or "assumption: ..." with the reasoning.
        group: The process that owns it (needs, school, family, la, tribunal, market,
            money, outcomes, population).
        choices: Allowed values for categorical parameters.
        doc: What it does, in one sentence.
    """

    name: str
    default: Any
    unit: str
    low: float | None
    high: float | None
    source: str
    group: str
    doc: str
    choices: tuple[Any, ...] | None = None

    def check(self, value: Any) -> str | None:
        """Return an error message if ``value`` is invalid, else None."""
        if isinstance(self.default, str) and self.choices is None:
            if not (isinstance(value, str) and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value)):
                return f"parameter '{self.name}' = {value!r} must be a month as 'YYYY-MM'"
            return None
        if self.choices is not None:
            if value not in self.choices:
                return (
                    f"parameter '{self.name}' = {value!r} is not valid; "
                    f"choose one of: {', '.join(map(str, self.choices))}"
                )
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"parameter '{self.name}' must be a number ({self.unit}), got {value!r}"
        if not is_finite_number(value):
            return f"parameter '{self.name}' must be a finite number ({self.unit}), got {value!r}"
        if isinstance(self.default, int) and not is_whole(value):
            return f"parameter '{self.name}' must be a whole number ({self.unit}), got {value!r}"
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            return (
                f"parameter '{self.name}' = {value!r} is out of range; "
                f"valid range is [{self.low}, {self.high}] {self.unit}"
            )
        return None


def is_finite_number(value: Any) -> bool:
    """True for an int or a finite float, not a bool.

    TOML integers have no size limit, so an int is never converted to float here (one
    beyond the float range would raise OverflowError); range checks compare it as is.
    """
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def is_whole(value: int | float) -> bool:
    """True if the number ``value`` is a whole number (any int, or an integral float)."""
    return isinstance(value, int) or float(value).is_integer()


def declare(name: str, default: Any, unit: str, low: float | None, high: float | None,
            group: str, source: str, doc: str, choices: tuple[Any, ...] | None = None) -> Param:
    """A :class:`Param`, with its arguments in the order the actor modules write them
    (the group before the source and the doc, so each declaration reads name, value,
    unit, range, owner, then the reasoning)."""
    return Param(name, default, unit, low, high, source, group, doc, choices)


def unknown_key_message(kind: str, key: str, valid: Iterable[str]) -> str:
    """One-line message for an unknown key, listing close matches or all choices.

    Shared by every lookup by name (parameters, scenario keys, local authorities), so
    that a typo gets the same kind of hint everywhere.
    """
    valid = list(valid)
    close = difflib.get_close_matches(key, valid, n=3)
    hint = f"did you mean {', '.join(close)}?" if close else f"valid: {', '.join(sorted(valid))}"
    return f"unknown {kind} '{key}'; {hint}"
