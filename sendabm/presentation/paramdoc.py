"""The parameter reference, generated from :data:`sendabm.core.parameters.PARAMETERS`.

``python -m sendabm.presentation.paramdoc > docs/parameters.md`` writes a Markdown table of every
parameter, grouped by the process that owns it: name, default, unit, valid range,
source (or the assumption and its reasoning) and what it does. The actor modules'
``PARAMS`` stay the one home of every parameter; ``tests/test_docs.py`` fails when the
committed ``docs/parameters.md`` differs from what this module generates now.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from sendabm.core.parameters import NEED_UNIT_GBP, PARAMETERS, Param

COMMAND = "python -m sendabm.presentation.paramdoc > docs/parameters.md"
"""The command that regenerates the reference."""

GROUP_TITLES: dict[str, tuple[str, str]] = {
    "needs": ("Needs", "How needs emerge, drift, escalate and resolve (ODD §5, §7.2)."),
    "school": ("Mainstream schools",
               "Identification, provision within the notional SEN budget, school-initiated "
               "requests and schools' yearly adaptation (ODD §5, §7.3, §7.4, §7.12)."),
    "family": ("Families",
               "Trust, requests, special-setting preference, the choice to mediate or "
               "appeal, and the routes beyond the tribunal (ODD §7.4, §7.7, §7.13)."),
    "la": ("Local authorities",
           "Assessment and plan decisions, capacity, concessions, mediation, waiting for a "
           "state place and yearly gatekeeping (ODD §5, §7.5-§7.9, §7.13)."),
    "tribunal": ("SEND Tribunal", "Hearing capacity and the decision rule (ODD §7.8, §7.14)."),
    "redress": ("Ombudsman and courts",
                "Complaints to the ombudsman and claims for judicial review: how long they "
                "take and how they are decided (ODD §7.8a)."),
    "market": ("Market and places",
               "Independent providers and commissioning of state special places "
               "(ODD §5, §7.9, §7.14)."),
    "money": ("Money", "Unit costs, reserves and the statutory override (ODD §7.6, §7.11, §7.13)."),
    "outcomes": ("Outcomes and transitions",
                 "Progress, post-16 and post-19 transitions (ODD §7.1, §7.10)."),
    "population": ("Population", "The starting population (ODD §5)."),
}
"""Title and one-line description of each parameter group, in process order."""

COLUMNS = ("name", "default", "unit", "range", "source or assumption", "what it does")


def format_value(value: object) -> str:
    """A value as it is written in a scenario file (``true``, ``"keep"``, ``2.0`` -> ``2``,
    ``0.15``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def format_range(param: Param) -> str:
    """Valid values: ``[low, high]``, the choices, or the month format."""
    if param.choices is not None:
        return ", ".join(format_value(c) for c in param.choices)
    if isinstance(param.default, str):
        return "YYYY-MM"
    low = "-∞" if param.low is None else format_value(param.low)
    high = "∞" if param.high is None else format_value(param.high)
    return f"[{low}, {high}]"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def group_order(params: Iterable[Param]) -> list[str]:
    """Groups present in ``params``: known groups in process order, then any others."""
    present = list(dict.fromkeys(p.group for p in params))
    known = [g for g in GROUP_TITLES if g in present]
    return known + [g for g in present if g not in GROUP_TITLES]


def render(params: dict[str, Param] | None = None) -> str:
    """The full ``docs/parameters.md`` text.

    Args:
        params: Parameters by name; defaults to :data:`sendabm.core.parameters.PARAMETERS`.

    Returns:
        Markdown, ending with a newline.
    """
    params = PARAMETERS if params is None else params
    values = list(params.values())
    groups = group_order(values)
    lines = [
        "# Parameters",
        "",
        f"<!-- Generated from the actor modules' PARAMS by `{COMMAND}`. Do not edit by hand. -->",
        "",
        f"Every parameter of the model ({len(values)} in all), grouped by the process that "
        "owns it. Each has one home, the `PARAMS` of the actor module that owns it "
        "(`sendabm/core/actors/`), assembled by `sendabm/core/parameters.py`; a scenario "
        "overrides any of them by name under `[parameters]`, and an unknown name or an "
        "out-of-range value is rejected before anything runs. `docs/ODD.md` shows where "
        "each one enters the equations.",
        "",
        "Units: money in pounds (GBP) per year unless stated; rates are per month unless the "
        "name ends in `_per_year`; `need units` measure support, one unit being the support "
        f"that costs £{NEED_UNIT_GBP:,.0f} a year (so the £6,000 notional SEN threshold is "
        "0.6 units); probabilities and shares are in [0, 1]; `logit` is log-odds. A source "
        "that starts with `assumption` is a modelling choice awaiting calibration.",
        "",
        "Contents: " + ", ".join(
            f"[{_title(g)}](#{_anchor(_title(g))})" for g in groups),
        "",
    ]
    for group in groups:
        members = [p for p in values if p.group == group]
        lines += [f"## {_title(group)}", ""]
        description = GROUP_TITLES.get(group, ("", ""))[1]
        if description:
            lines += [description, ""]
        lines.append(_row(COLUMNS))
        lines.append("|" + "|".join("---" for _ in COLUMNS) + "|")
        for p in members:
            lines.append(_row((f"`{p.name}`", format_value(p.default), p.unit,
                               format_range(p), p.source, p.doc)))
        lines.append("")
    return "\n".join(lines)


def _title(group: str) -> str:
    return GROUP_TITLES.get(group, (group.replace("_", " ").capitalize(), ""))[0]


def _anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, spaces to hyphens, punctuation dropped."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def main() -> int:
    """Write the reference to standard output (UTF-8)."""
    text = render()
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
