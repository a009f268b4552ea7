"""The LA record: each local authority's published SEND statistics, on the model's areas.

The record is ``sendabm/data/la_record.csv``, a tidy table (``code, name, period,
period_kind, measure, value, source``) built by :func:`build` from the published
local-authority file ``la_send_2014_2022.csv`` (DfE SEN2 and the DfE/MoJ appeal-rate
table, Open Government Licence v3.0; see ``docs/areas.md``, "The LA record"). Run::

    python -m sendabm.core.la_record --build path/to/la_send_2014_2022.csv

to regenerate it (nobody types a figure), and ``--doc`` to print the generated parts of
``docs/areas.md``.

The model's areas (:func:`sendabm.core.areas.synthetic_england`) use the 2014-March
2019 boundaries, so the published codes are mapped onto them (:data:`SAME_AREA`):
Buckinghamshire's unitary code is the old county's area, North and West
Northamptonshire are summed back into Northamptonshire. Bournemouth, Christchurch and
Poole (E06000058) and the new Dorset (E06000059) cannot be split back into Bournemouth,
Poole and the old Dorset county without invented numbers (Christchurch moved from
Dorset to BCP), so from April 2019 their figures are kept only for the three model
areas merged, under the code :data:`DORSET_GROUP`. Counts are summed; a share is
weighted by the count it is a share of (:data:`SHARE_WEIGHTS`). Cells that are
suppressed, or that the source filled with a region's figure, are left out, never zero.

Readers: :func:`record` (a code or a name, to ``measure -> period -> value``),
:func:`value` (one cell), :func:`england_total` (England's count), :func:`codes`,
:func:`measures`, :func:`find`, :func:`group_of`.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sendabm.core.areas import synthetic_england
from sendabm.core.param import unknown_key_message

RECORD_FILE = "la_record.csv"
"""The packaged record, in ``sendabm/data/``."""

COLUMNS = ("code", "name", "period", "period_kind", "measure", "value", "source")
"""Columns of :data:`RECORD_FILE`, in order."""

ENGLAND = "E92000001"
"""England's code; its rows are copied from the source as published."""

DORSET_GROUP = "E06000028+E06000029+E10000009"
"""Bournemouth, Poole and the old Dorset county merged: the only model-side unit that the
record after the April 2019 reorganisation (BCP E06000058 plus Dorset E06000059) covers."""

GROUP_NAMES = {DORSET_GROUP: "Bournemouth, Poole and Dorset (merged)"}
"""Name of each merged unit of model areas."""

SAME_AREA = {"E06000060": "E10000002", "E06000061": "E10000021", "E06000062": "E10000021"}
"""Published code -> model code where the model's area is the same land: Buckinghamshire
(unitary from April 2020, same boundary) and North and West Northamptonshire (April 2021,
the old county split in two, so their figures are summed)."""

REORGANISED = ("E06000058", "E06000059")
"""BCP and the new Dorset (April 2019): mapped to :data:`DORSET_GROUP`, except the new
Dorset code's periods before the reorganisation, which the source matched by name to the
council then called Dorset, the old county E10000009."""

REORGANISED_FROM = 2019
"""First calendar year (and the January after it) in which the record is BCP + Dorset."""

WHOLE = {
    "E10000021": (frozenset({"E10000021"}), frozenset({"E06000061", "E06000062"})),
    DORSET_GROUP: (frozenset({"E06000058", "E06000059"}),
                   frozenset({"E06000028", "E06000029", "E10000009"}),
                   frozenset({"E06000028", "E06000029", "E06000059"})),
}
"""Model area made of pieces -> the sets of published codes that together cover all of it.
A merged cell whose codes are not one of these sets (a piece suppressed) is left out; any
other area is covered by a single published code."""

SHARE_WEIGHTS = {
    "ehc_mainstream_pct": "ehc_plans",
    "ehc_special_pct": "ehc_plans",
    "plans_issued_within_20_weeks_pct": "new_plans",
}
"""Percentage measure -> the count it is a share of, its weight when areas are merged."""

PROMISED = {
    **{m: tuple(f"{y}-01" for y in range(2019, 2023)) for m in (
        "ehc_plans", "ehc_mainstream_pct", "ehc_special_pct", "ehc_special_independent",
        "ehc_alternative_provision")},
    **{m: tuple(str(y) for y in range(2019, 2023)) for m in (
        "requests_received", "requests_refused", "new_plans",
        "plans_issued_within_20_weeks_pct")},
    **{m: tuple(str(y) for y in range(2014, 2023)) for m in (
        "appeals_registered", "appealable_decisions")},
}
"""Measure -> periods the source README promises for every LA (before gaps)."""

REGION_FIGURE_MIN_LAS = 3
"""A count that every LA of a region (at least this many) carries with the same non-zero
value is the region's figure copied onto each LA, not theirs: it is left out."""


class LARecordError(ValueError):
    """An unknown LA, or a source file that does not fit; the message is one line."""


@dataclass(frozen=True)
class Cell:
    """One value of the record for one code, period and measure."""

    code: str
    period: str
    period_kind: str
    measure: str
    value: float
    source: str


# --------------------------------------------------------------------------- building


def model_code(code: str, period: str, model_codes: Iterable[str]) -> str:
    """The model code (or :data:`DORSET_GROUP`) that a published code's period belongs to.

    Raises:
        LARecordError: The code is not a model code and has no mapping.
    """
    if code == ENGLAND or code in model_codes:
        return code
    if code in SAME_AREA:
        return SAME_AREA[code]
    if code in REORGANISED:
        before = int(period[:4]) < REORGANISED_FROM
        return "E10000009" if code == "E06000059" and before else DORSET_GROUP
    raise LARecordError(f"published code '{code}' has no model area; add it to SAME_AREA")


def region_figures(rows: Sequence[dict[str, str]]) -> set[tuple[str, str, str]]:
    """(code, period, measure) of counts that are a region's figure repeated on its LAs."""
    by_region: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        if row["la_code"] != ENGLAND and row["measure"] not in SHARE_WEIGHTS:
            by_region[(row["region"], row["period"], row["measure"])].append(row)
    found = set()
    for group in by_region.values():
        values = {row["value"] for row in group}
        if len(group) >= REGION_FIGURE_MIN_LAS and len(values) == 1 and float(*values) > 0:
            found.update((row["la_code"], row["period"], row["measure"]) for row in group)
    return found


def merge(parts: Sequence[Cell], weights: dict[str, float]) -> float | None:
    """Value of a merged cell: counts summed, a share weighted by its count.

    Args:
        parts: The published cells of one measure and period that make up the area.
        weights: Published code -> weight count of the same period (used for shares).

    Returns:
        The merged value, or None if a share has a part without its weight.
    """
    measure = parts[0].measure
    if measure not in SHARE_WEIGHTS:
        return sum(p.value for p in parts)
    if len(parts) == 1:
        return parts[0].value
    if any(p.code not in weights for p in parts):
        return None
    total = sum(weights[p.code] for p in parts)
    return sum(p.value * weights[p.code] for p in parts) / total


def covers(target: str, published: Iterable[str]) -> bool:
    """Whether these published codes together cover all of the target area (:data:`WHOLE`)."""
    published = frozenset(published)
    return published in WHOLE[target] if target in WHOLE else len(published) == 1


def build(rows: Sequence[dict[str, str]], model_codes: Sequence[str]) -> list[Cell]:
    """Map published rows onto the model's codes (see the module docstring).

    A merged cell is kept only if its published codes cover the whole area
    (:func:`covers`); otherwise it would be a partial sum and is left out. The merged
    unit :data:`DORSET_GROUP` also gets its members' sums for the periods before 2019.

    Args:
        rows: Source rows (``la_code, region, period, period_kind, measure, value,
            source``), as read by :class:`csv.DictReader`.
        model_codes: The model's area codes.

    Returns:
        The record's cells, ordered by model area (then the merged unit, then England),
        measure and period.
    """
    model_codes = list(model_codes)
    known = set(model_codes)
    dropped = region_figures(rows)
    cells: dict[tuple[str, str, str], list[Cell]] = defaultdict(list)
    for row in rows:
        if (row["la_code"], row["period"], row["measure"]) in dropped:
            continue
        target = model_code(row["la_code"], row["period"], known)
        cell = Cell(row["la_code"], row["period"], row["period_kind"], row["measure"],
                    float(row["value"]), row["source"])
        cells[(target, row["period"], row["measure"])].append(cell)
        group = group_of(target)
        if group:  # a member's own (pre-2019) cell also counts towards the merged unit
            cells[(group, row["period"], row["measure"])].append(cell)
    counts = {(c.code, c.period, c.measure): c.value for parts in cells.values() for c in parts}
    order = {code: i for i, code in enumerate([*model_codes, *GROUP_NAMES, ENGLAND])}
    out = []
    for (target, period, measure), parts in sorted(
            cells.items(), key=lambda item: (order[item[0][0]], item[0][2], item[0][1])):
        if not covers(target, (p.code for p in parts)):
            continue
        weight = SHARE_WEIGHTS.get(measure, measure)
        weights = {p.code: counts[(p.code, period, weight)] for p in parts
                   if (p.code, period, weight) in counts}
        value = merge(parts, weights)
        if value is not None:
            out.append(Cell(target, period, parts[0].period_kind, measure, value, parts[0].source))
    return out


def format_value(value: float) -> str:
    """Text of a value: whole numbers without '.0', shares to 4 decimals."""
    if float(value).is_integer():
        return str(int(value))
    return repr(round(value, 4))


def write_csv(cells: Iterable[Cell], names: dict[str, str]) -> str:
    """The record as CSV text (UTF-8, ``\\n`` line ends), the :data:`COLUMNS` in order."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for c in cells:
        writer.writerow([c.code, names[c.code], c.period, c.period_kind, c.measure,
                         format_value(c.value), c.source])
    return buffer.getvalue()


def read_source(path: str | Path) -> list[dict[str, str]]:
    """Rows of the published ``la_send_2014_2022.csv``."""
    with Path(path).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def names_by_code() -> dict[str, str]:
    """Model code -> name, plus the merged unit and England (a fresh copy)."""
    return dict(_names_by_code())


@functools.cache
def _names_by_code() -> dict[str, str]:
    # Built once: the built-in areas are read from their CSV and made into a graph.
    areas = synthetic_england()
    return {**dict(zip(areas.codes, areas.names, strict=True)), **GROUP_NAMES,
            ENGLAND: "England"}


def build_text(source: str | Path) -> str:
    """The record CSV text built from the published file (what ``--build`` writes)."""
    return write_csv(build(read_source(source), synthetic_england().codes), names_by_code())


# --------------------------------------------------------------------------- reading


@functools.cache
def _table() -> dict[str, dict[str, dict[str, float]]]:
    """code -> measure -> period -> value, read once from the packaged record."""
    table: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    ref = resources.files("sendabm") / "data" / RECORD_FILE
    with ref.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            table[row["code"]][row["measure"]][row["period"]] = float(row["value"])
    return {code: dict(by_measure) for code, by_measure in table.items()}


def codes() -> tuple[str, ...]:
    """The model's area codes, in the order of the built-in areas."""
    return synthetic_england().codes


def measures() -> tuple[str, ...]:
    """The LA measures of the record (:data:`PROMISED`), in a fixed order."""
    return tuple(PROMISED)


def group_of(code: str) -> str | None:
    """The merged unit a model code belongs to after 2019 (:data:`DORSET_GROUP`), or None."""
    return next((g for g in GROUP_NAMES if code in g.split("+")), None)


def find(name_or_code: str) -> str:
    """The code of an LA given by code or name (names ignore case).

    Also accepts :data:`DORSET_GROUP` and England (``E92000001`` or "England").

    Raises:
        LARecordError: Not an LA; the message names the close matches.
    """
    names = names_by_code()
    if name_or_code in names:
        return name_or_code
    by_name = {name.casefold(): code for code, name in names.items()}
    if name_or_code.casefold() in by_name:
        return by_name[name_or_code.casefold()]
    raise LARecordError(unknown_key_message("LA", name_or_code, [*names.values(), *names]))


def record(name_or_code: str) -> dict[str, dict[str, float]]:
    """The LA's record: measure -> period (``2019-01`` January, ``2019`` year) -> value.

    Counts are whole numbers; ``*_pct`` are percentages (0-100). A period that is
    suppressed, or not comparable on the model's boundaries, is absent (for Bournemouth,
    Poole and Dorset after March 2019 see :func:`group_of`).

    Raises:
        LARecordError: Not an LA (see :func:`find`).
    """
    code = find(name_or_code)
    return {m: dict(periods) for m, periods in _table().get(code, {}).items()}


def value(code: str, measure: str, period: str) -> float | None:
    """One cell of the record by model code (or :data:`DORSET_GROUP`), or None where the
    code, the measure or the period is absent (no lookup by name, no copy)."""
    return _table().get(code, {}).get(measure, {}).get(period)


def england_total(measure: str, period: str) -> float | None:
    """England's count of a measure in a period: the England row where the source
    publishes one, else the sum over the record's units of that period (the model's
    areas, with :data:`DORSET_GROUP` for its three areas from 2019); None if any unit
    lacks it (a partial sum is never returned). Not for ``*_pct`` shares."""
    published = value(ENGLAND, measure, period)
    if published is not None:
        return published
    units = list(codes())
    if int(period[:4]) >= REORGANISED_FROM:
        members = set(DORSET_GROUP.split("+"))
        units = [c for c in units if c not in members] + [DORSET_GROUP]
    counts = [value(code, measure, period) for code in units]
    return None if any(c is None for c in counts) else float(sum(counts))


def gaps(code: str) -> dict[str, tuple[str, ...]]:
    """Measure -> the promised periods (:data:`PROMISED`) the record lacks for a code."""
    have = _table().get(code, {})
    found = {m: tuple(p for p in periods if p not in have.get(m, {}))
             for m, periods in PROMISED.items()}
    return {m: periods for m, periods in found.items() if periods}


# --------------------------------------------------------------------------- documentation


def gaps_markdown() -> str:
    """The table of ``docs/areas.md`` listing every model area's missing record cells."""
    names = names_by_code()
    lines = ["| code | name | measure | periods missing |", "|---|---|---|---|"]
    for code in [*codes(), *GROUP_NAMES]:
        for measure, periods in gaps(code).items():
            lines.append(f"| {code} | {names[code]} | `{measure}` | {', '.join(periods)} |")
    return "\n".join(lines) + "\n"


def areas_markdown() -> str:
    """The table of ``docs/areas.md`` listing the 152 model areas: code, name, region."""
    areas = synthetic_england()
    lines = ["| code | name | region |", "|---|---|---|"]
    for code, name, region in zip(areas.codes, areas.names, areas.regions, strict=True):
        lines.append(f"| {code} | {name} | {areas.region_names[region]} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``--build SOURCE`` writes the packaged record; ``--doc`` prints the doc tables."""
    parser = argparse.ArgumentParser(prog="python -m sendabm.core.la_record")
    parser.add_argument("--build", metavar="SOURCE", help="la_send_2014_2022.csv to map")
    parser.add_argument("--doc", action="store_true", help="print the tables of docs/areas.md")
    args = parser.parse_args(argv)
    if args.build:
        out = Path(__file__).resolve().parents[1] / "data" / RECORD_FILE
        out.write_text(build_text(args.build), encoding="utf-8")
        _table.cache_clear()
        print(f"wrote {out}")
    if args.doc:
        sys.stdout.write(areas_markdown() + "\n" + gaps_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
