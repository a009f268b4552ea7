"""Policy levers: named, dated, composable reforms written in a scenario's [[policies]].

Each lever changes what agents may do or the rules and capacities of institutions
from its ``start`` month, with a ``strength`` in [0, 1]; none touches an outcome
directly. Every month the model asks :func:`effects` for the combined effect of the
policies in force, so a policy that has not started changes nothing and two runs that
differ only in a policy are identical until it starts (all random draws are keyed by
agent and month, never by history).

This module holds the levers the core model needs; ``docs/policies.md`` documents
each lever's behavioural reasoning and sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sendabm import calendar

TRIBUNAL_MODES = ("keep", "remove")
"""What happens to the SEND Tribunal under the 'tribunal' lever."""

INCLUSION_INCENTIVE_MAX = 0.08
"""Yearly push towards inclusion at full strength (share of the inclusiveness scale)."""
CORE_OFFER_MAX_UNITS = 0.15
"""Support without a plan at full strength of the core offer (need units, £1,500/year)."""


@dataclass(frozen=True)
class Lever:
    """A policy lever: its name, the recommendation it comes from, and its options."""

    name: str
    source: str
    doc: str
    options: dict[str, tuple[Any, ...]]


LEVERS: dict[str, Lever] = {
    lever.name: lever
    for lever in (
        Lever("inclusion_incentives", "Isos R1 (national inclusion ambition)",
              "Accountability and funding reward inclusive mainstream schools: each year "
              "schools move towards inclusion by strength x 0.08.", {}),
        Lever("core_offer", "Isos R3 (core offer of multi-disciplinary support)",
              "Schools can call on targeted support without a plan: every child with a "
              "need in mainstream receives strength x 0.15 need units more.", {}),
        Lever("tribunal", "Isos R4 (statutory framework reform)",
              "mode = 'remove': families can no longer appeal to a tribunal (mediation and "
              "complaints remain); 'keep' changes nothing.", {"mode": TRIBUNAL_MODES}),
    )
}


@dataclass
class Effects:
    """The combined effect of the policies in force in one month."""

    appeals_open: float = 1.0
    mediation_open: float = 1.0
    core_offer_units: float = 0.0
    inclusion_incentive_per_year: float = 0.0


def validate_policy(policy: dict[str, Any]) -> None:
    """Raise ValueError (one line) if a [[policies]] entry names an unknown lever or option."""
    name = policy["name"]
    lever = LEVERS.get(name)
    if lever is None:
        raise ValueError(f"unknown policy '{name}'; valid policies: {', '.join(sorted(LEVERS))}")
    for key, value in policy.items():
        if key in ("name", "start", "strength"):
            continue
        if key not in lever.options:
            valid = ", ".join(["name", "start", "strength", *lever.options]) or "none"
            raise ValueError(f"policy '{name}' has no option '{key}'; valid keys: {valid}")
        if value not in lever.options[key]:
            choices = ", ".join(map(str, lever.options[key]))
            raise ValueError(f"policy '{name}' option {key} = {value!r}; choose one of: {choices}")


def effects(policies: tuple[dict[str, Any], ...], tick: int) -> Effects:
    """Combined effects of the policies that have started by ``tick``."""
    out = Effects()
    for policy in policies:
        if tick < calendar.tick_of(policy["start"]):
            continue
        strength = float(policy.get("strength", 1.0))
        name = policy["name"]
        if name == "inclusion_incentives":
            out.inclusion_incentive_per_year += INCLUSION_INCENTIVE_MAX * strength
        elif name == "core_offer":
            out.core_offer_units += CORE_OFFER_MAX_UNITS * strength
        elif name == "tribunal" and policy.get("mode", "keep") == "remove":
            out.appeals_open = 0.0
    return out
