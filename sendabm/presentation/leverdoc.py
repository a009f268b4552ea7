"""The lever reference, generated from :data:`sendabm.core.policies.LEVERS`.

``python -m sendabm.presentation.leverdoc > docs/policies.md`` writes every lever's
source, what its strength means, what it changes, its reasoning, every option (default,
unit, range, source, meaning), what it leaves out and its test. The declarations stay
the one home of every lever; ``tests/test_docs.py`` fails when the committed
``docs/policies.md`` differs from what this module generates now.

The lever prose is a template (see :mod:`sendabm.core.policies.lever`): ``{expr}`` is
the value of ``expr`` over the option defaults (by name), the parameter defaults
(``p.<name>``), ``unit_gbp`` (pounds per need unit) and ``exp``.
"""

from __future__ import annotations

import dataclasses
import math
import re
import sys
import textwrap
from types import SimpleNamespace

from sendabm.core.parameters import NEED_UNIT_GBP, PARAMETERS
from sendabm.core.policies import BASES, LEVERS, PAYERS, Effects, Lever, Option
from sendabm.experiments.evaluate import OPTION_SEPARATOR
from sendabm.presentation.paramdoc import format_value

COMMAND = "python -m sendabm.presentation.leverdoc > docs/policies.md"
"""The command that regenerates the reference."""

OPTION_COLUMNS = ("option", "default", "unit", "valid values", "source or assumption",
                  "what it does")

WIDTH = 88
"""Line width of the generated Markdown."""

_FIELD = re.compile(r"\{([^{}]+)\}")
_OPERATOR = re.compile(r"(?<=\S) ([=×−+/<>≈]) (?=\S)")
_SPEC = re.compile(r"[-+ #0-9,._<>=^a-zA-Z%]*")


def format_values(option: Option) -> str:
    """What an option accepts: its choices, a month, or ``[low, high]``."""
    if option.choices is not None:
        return ", ".join(format_value(c) for c in option.choices)
    if option.kind == "month":
        return "YYYY-MM"
    bounds = f"[{format_value(option.low)}, {format_value(option.high)}]"
    return f"whole number in {bounds}" if option.kind == "integer" else bounds


def fill(template: str, lever: Lever) -> str:
    """``template`` with every ``{expr}`` or ``{expr:spec}`` replaced by its value.

    Raises:
        ValueError: One line naming the lever and the expression that failed.
    """
    names = {key: option.default for key, option in lever.options.items()}
    names.update(p=SimpleNamespace(**{n: par.default for n, par in PARAMETERS.items()}),
                 unit_gbp=NEED_UNIT_GBP, exp=math.exp)

    def value(match: re.Match) -> str:
        expr, _, spec = match.group(1).rpartition(":")
        if not expr or not _SPEC.fullmatch(spec):
            expr, spec = match.group(1), ""
        try:
            result = eval(f"({expr})", {"__builtins__": {}}, names)  # noqa: S307 (our own text)
        except Exception as error:
            raise ValueError(f"lever '{lever.name}': cannot render {{{expr}}} ({error})") from None
        if spec:
            return format(result, spec)
        return f"{result:.4g}" if isinstance(result, float) else str(result)

    return _FIELD.sub(value, textwrap.dedent(template).strip())


def reflow(text: str, width: int = WIDTH) -> list[str]:
    """Markdown paragraphs and list items rewrapped to ``width`` (their indents kept)."""
    blocks: list[tuple[str, str, list[str]]] = []  # (first indent, next indent, words)
    for line in text.splitlines():
        stripped = line.lstrip()
        indent = line[:len(line) - len(stripped)]
        if not stripped:
            blocks.append(("", "", []))
        elif stripped.startswith("- ") or not blocks or not blocks[-1][2]:
            hang = indent + "  " if stripped.startswith("- ") else indent
            blocks.append((indent, hang, stripped.split()))
        else:
            blocks[-1][2].extend(stripped.split())
    out: list[str] = []
    for first, hang, words in blocks:
        # Keep "s = 1" and "(1 − s)" on one line: a line that started with "1." or "+"
        # would read as a new list.
        text = _OPERATOR.sub("\0\\1\0", " ".join(words))
        out += [line.replace("\0", " ") for line in textwrap.wrap(
            text, width, initial_indent=first, subsequent_indent=hang,
            break_long_words=False, break_on_hyphens=False)] if words else [""]
    return out


def _item(label: str, text: str) -> list[str]:
    """A Markdown list item whose body may hold paragraphs and nested lists."""
    if not text:
        return []
    if text.startswith("- "):
        body = f"- **{label}**\n" + textwrap.indent(text, "  ")
    else:
        body = f"- **{label}** " + text.replace("\n", "\n  ")
    return reflow(body)


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _row(cells: tuple[str, ...] | list[str]) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _strength(lever: Lever) -> str:
    if lever.has_strength:
        return lever.strength
    return (f"None: `strength` has no meaning for this lever, and an entry that gives one "
            f"is rejected; {lever.no_strength_fix}.")


def _options_table(lever: Lever) -> list[str]:
    rows = [_row(OPTION_COLUMNS), "|" + "|".join("---" for _ in OPTION_COLUMNS) + "|"]
    for key, option in lever.options.items():
        rows.append(_row((f"`{key}`", format_value(option.default), option.unit,
                          format_values(option), option.source, option.doc)))
    return rows


def lever_section(lever: Lever) -> list[str]:
    """The Markdown section of one lever."""
    lines = [f"## `{lever.name}`: {lever.title}", "", *reflow(fill(lever.doc, lever)), ""]
    for label, text in (("Recommendation.", lever.source), ("Source.", lever.evidence),
                        ("Strength.", _strength(lever)),
                        ("What changes, for whom.", lever.changes),
                        ("Reasoning.", lever.reasoning)):
        lines += _item(label, fill(text, lever))
    if lever.options:
        lines += ["- **Options.**", ""]
        lines += [f"  {row}" for row in _options_table(lever)]
        lines.append("")
    else:
        lines.append("- **Options.** None besides `start` and `strength`.")
    lines += _item("Cost.", _cost(lever))
    lines += _item("Not modelled.", fill(lever.not_modelled, lever))
    lines += _item("Test.", fill(lever.test, lever))
    return [*lines, ""]


def _cost(lever: Lever) -> str:
    """Who pays what for the lever, or why nobody does, and how it builds up."""
    if not lever.charges:
        text = "None: " + fill(lever.free_because, lever)
    else:
        values = {key: option.default for key, option in lever.options.items()}
        parameters = {name: par.default for name, par in PARAMETERS.items()}
        text = "\n".join(
            f"- **{_payer_name(c.payer)}** (`spend_levers_{c.payer}_gbp`): "
            f"{fill(c.doc, lever)}: £{c.rate(values, parameters):,.0f} {BASES[c.base][1]} "
            "at full strength and the defaults (2014 prices)."
            for c in lever.charges)
    if "ramp_years" in lever.options:
        years = lever.options["ramp_years"].default
        text += (f"\n\nIt builds up: the strength in force rises linearly from 0 at `start` to "
                 f"the entry's over `ramp_years` ({years} by default), effects and charges "
                 "together.")
    return text


def _payer_name(payer: str) -> str:
    """The payer's words up to its first qualification, capitalised."""
    words = PAYERS[payer].split(" (")[0].split(";")[0]
    return words[0].upper() + words[1:]


def _payers(lever: Lever) -> str:
    return ", ".join(dict.fromkeys(c.payer for c in lever.charges)) or "none"


def _summary() -> list[str]:
    head = ("lever", "recommendation", "agents affected", "strength", "who pays", "options")
    rows = [_row(head), "|" + "|".join("---" for _ in head) + "|"]
    for lever in LEVERS.values():
        options = ", ".join(f"`{key}`" for key in lever.options) or "none"
        rows.append(_row((f"[`{lever.name}`](#{_anchor(lever)})", lever.source, lever.affects,
                          "yes" if lever.has_strength else "none", _payers(lever), options)))
    return rows


def _anchor(lever: Lever) -> str:
    """GitHub's heading anchor: lower case, spaces to hyphens, punctuation dropped."""
    title = f"{lever.name}: {lever.title}"
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _switches() -> str:
    names = [f.name for f in dataclasses.fields(Effects) if f.name != "parameters"]
    return ", ".join(f"`{name}`" for name in names)


INTRO = """\
A policy lever is a named, dated reform that a scenario switches on. There are {n}
levers, declared in `sendabm/core/policies/` (one `Lever` each, with every constant it
uses as an option). They cover the eight recommendations (R1–R8) of the Isos Partnership
report for the LGA and County Councils Network, *Towards an effective and financially
sustainable approach to SEND in England* (July 2024), and the alternatives that the
report's readers proposed. The model's equations are in
[ODD.md §7.15](ODD.md).

## How levers work

**Levers change rules, capacities and dispositions, never outcomes.** A lever changes
one of three things:

- the parameters by which agents decide (for example how noisily an LA reads a need, or
  how strongly families want a special setting);
- the rules of an institution (whether families can appeal, and whether a decision
  binds the LA);
- a capacity (hearings per month, EP growth, commissioned places).

The numbers of plans, appeals, placements, the spend and the outcomes then follow from
how the agents respond. The one partial exception is `destinations_service`, which
shifts the equation that turns a leaver's progress into a NEET destination (see that
section).

**Start month.** Each entry has a `start` month (`YYYY-MM`, required, inside the
model's calendar: from 2014-09 to 2040-08). Every month the model calls
`policies.effects(policies, tick, parameters)`. It applies every entry whose `start`
has been reached, in the fixed order of this document (not the file's), and returns an
`Effects`:

- `parameters`: the scenario's parameter values with the levers' changes applied.
  Every agent uses these values that month.
- switches and rates that are not parameters: {switches}.

A lever that has not started changes nothing. Random draws are keyed by agent, stream
and month, so two runs that differ only in a policy are identical until it starts.
After that they share every draw that the policy does not touch, which makes
comparisons between them paired (`tests/test_policy_timing.py`).

Some levers act on monthly decisions and take effect in the start month. Others act
through a yearly adaptation (schools and providers in August, LA thresholds and EP
establishment in March, allocations in April). These show their first effect at the
next such month after `start`.

**Strength.** A lever either gives `strength` a meaning or has none. Where it has one,
`strength` is a number from 0 to 1 (default 1), and each lever's section says what 0
and 1 mean. Levers without a strength (`tribunal`, `statutory_override`) say what they
do through their options, and an entry that passes `strength` to them is an error.

**Options.** Every constant a lever uses is one of its options, with a unit, valid
values, a default and a source (a citation, or `assumption:` and the reasoning). An
entry sets any of them by name; a value of the wrong kind (a whole number for months
and years, `true`/`false` for switches) or out of range is rejected with a one-line
message before anything runs.

**Costs.** Every lever that needs money to deliver charges it to a payer each month,
as declared in its section's *Cost* (its rates are options, with sources): the LA's
high-needs block (`spend_levers_high_needs_gbp`, part of `high_needs_spend_gbp`, so it
counts in the LA's accounts and deficit and feeds back on its gatekeeping), the LA's
general fund, schools' own budgets, the DfE or health services (counted in
`send_spend_gbp`, every payer, without feedback). A lever with no charge says why (a
change in the law, an accounting rule, a cost paid in kind); `tests/test_levers.py`
lists them. Every new state special place, with or without a lever, is charged its
capital (`special_place_capital_gbp`) to the DfE when commissioned. The parameter
`lever_cost_factor` scales every charge (0 makes the levers free, to measure what their
costs change).

**Lags.** A lever that needs staff or systems built up has a `ramp_years` option: the
strength in force rises linearly from 0 at `start` to the entry's strength
`ramp_years` later, effects and charges together. Rule changes act at once.

**One entry per lever.** A scenario has at most one `[[policies]]` entry for each
lever: a second one is an error, so levers never stack past strength 1. A scenario that
inherits gets its parent's entries first; its own entry for a lever the parent already
sets is an error unless it says `override = true`, and then it replaces the parent's
whole entry (keys it does not write take the lever's defaults, not the parent's
values).

**Composition.** Different levers compose. How their effects combine depends on the
kind of change:

- **Multiplicative parameter changes compound.** For example, `national_framework` and
  `early_identification` both scale `ordinarily_available_units`.
- **Additive changes add:** `core_offer_units` (core offer and outreach).
- **Two settings take the maximum:** `threshold_pull` and `commissioning_lag_cut`.
- **Values that are set take the later lever's value** in the order of this document:
  `threshold_target` (`right_first_time` after `national_framework`).

**Writing levers in a scenario file.** A scenario inherits the baseline and adds
`[[policies]]` entries:

```toml
[scenario]
name = "framework_and_core_offer"
description = "Baseline to 2030, with a framework and a half-strength core offer from 2026-09."
inherits = "baseline.toml"

[run]
end = "2030-08"

[[policies]]
name = "national_framework"   # a lever listed below
start = "2026-09"             # first month in force
threshold = 0.6               # an option of this lever (need units)

[[policies]]
name = "core_offer"
start = "2026-09"
strength = 0.5                # 0..1, default 1
units = 0.2                   # an option: extra support, need units
```

The experiment scenarios in `experiments/scenarios/` are all written this way:

- `tribunal_remove`, `tribunal_replace`, `right_first_time`;
- `inclusion_low`, `inclusion_mid`, `inclusion_high`;
- `isos_package`, `profit_prohibition`, `notional_threshold_10k`.

**Sweeping levers.** In `sendabm.evaluate(...)` and in sweep specifications
(`[[levers]]`), a lever's name is its strength (0, the default, leaves it off; for a
lever without a strength, a switch 0 or 1) and `<lever>{sep}<option>` is an option,
for example `core_offer{sep}units`. A lever whose own input is not given is switched on,
at strength 1, when any of its options is.

Units: one need unit is support that costs £{unit_gbp:,.0f} a year (2014 prices). `s`
below is the entry's `strength`. Parameter values quoted below are the defaults of
`sendabm/core/parameters.py` ([parameters.md](parameters.md)); numbers in the text are
rendered from the declarations, at the options' defaults.

**Tests.** Every lever has a test in `tests/test_levers.py`. The test switches the
lever on in March 2015 in a small model (scale 0.002, seed 5, run to August 2017), and
compares it with the same seed without the lever. It checks the mechanism the lever
works through, not a target outcome. `test_every_lever_is_tested` fails if a lever has
no test.
"""


def _intro() -> list[str]:
    """The general part, reflowed outside its code block."""
    text = INTRO.format(n=len(LEVERS), switches=_switches(), sep=OPTION_SEPARATOR,
                        unit_gbp=NEED_UNIT_GBP)
    lines: list[str] = []
    prose: list[str] = []
    code = False
    for line in text.strip().splitlines():
        if line.startswith("```"):
            if not code:
                lines += [*reflow("\n".join(prose)), ""]
                prose = []
            lines.append(line)
            code = not code
        elif code:
            lines.append(line)
        else:
            prose.append(line)
    return lines + reflow("\n".join(prose))


def render() -> str:
    """The full ``docs/policies.md`` text, ending with a newline."""
    lines = ["# Policy levers", "",
             f"<!-- Generated from sendabm/core/policies/ by `{COMMAND}`. "
             "Do not edit by hand. -->", "",
             *_intro(), "", "---", ""]
    for lever in LEVERS.values():
        lines += lever_section(lever)
    lines += ["---", "", "## Summary", "", *_summary(), ""]
    return "\n".join(lines)


def main() -> int:
    """Write the reference to standard output (UTF-8)."""
    sys.stdout.buffer.write(render().encode("utf-8"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
