"""The LA record (sendabm/data/la_record.csv), its reader and ``read_run(dir).la(...)``."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from sendabm.core import la_record
from sendabm.core.la_record import DORSET_GROUP, ENGLAND, PROMISED, SHARE_WEIGHTS, Cell, merge
from sendabm.core.scenario import baseline_path, load_scenario
from sendabm.experiments.results import read_run
from sendabm.experiments.run import run_scenario

SOURCE = Path(os.environ.get(
    "SENDABM_LA_SOURCE",
    Path(__file__).resolve().parents[2] / "shared" / "data" / "la" / "la_send_2014_2022.csv"))
"""The published file the record is built from: the project's shared data folder beside
the repository (``../shared/data/la/``), or SENDABM_LA_SOURCE if it is elsewhere."""
needs_source = pytest.mark.skipif(not SOURCE.is_file(), reason="published LA file not here")
REPO = Path(__file__).resolve().parents[1]
RECORD = REPO / "sendabm" / "data" / la_record.RECORD_FILE

DORSET_PARTS = tuple(DORSET_GROUP.split("+"))
REORGANISED_PERIODS = {m: tuple(p for p in periods if int(p[:4]) >= 2019 and p != "2019-01")
                       for m, periods in PROMISED.items()}
"""What Bournemouth, Poole and Dorset lack: everything from April 2019 (in the merged unit)."""

DOCUMENTED_GAPS = {
    # new_plans 2022: the source gives every Yorkshire and the Humber LA the region's 6,078.
    **{code: {"new_plans": ("2022",)} for code in (
        "E06000010", "E06000011", "E06000012", "E06000013", "E06000014", "E10000023",
        "E08000016", "E08000017", "E08000018", "E08000019", "E08000032", "E08000033",
        "E08000034", "E08000035", "E08000036")},
    # Suppressed in the source (no row).
    **{code: {"plans_issued_within_20_weeks_pct": ("2022",)} for code in (
        "E10000020", "E09000016", "E09000030", "E06000037")},
    "E06000053": {"new_plans": ("2019",), "plans_issued_within_20_weeks_pct": ("2019", "2022")},
    **{code: REORGANISED_PERIODS for code in DORSET_PARTS},
}
"""Every model area's missing record cells, each with its reason (also in docs/areas.md)."""


def test_every_area_has_the_promised_measures_or_a_documented_gap():
    for code in la_record.codes():
        assert la_record.gaps(code) == DOCUMENTED_GAPS.get(code, {}), code
    assert la_record.gaps(DORSET_GROUP) == {}
    assert len(la_record.codes()) == 152


def _by_code(path: Path = RECORD) -> dict[tuple[str, str], dict[str, float]]:
    """(measure, period) -> code -> value, from the record CSV."""
    import csv

    table: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            table[(row["measure"], row["period"])][row["code"]] = float(row["value"])
    return table


def _model_cells(values: dict[str, float]) -> dict[str, float]:
    """One value per piece of England: model areas, with the Dorset three merged when the
    merged unit has the cell (it then stands in for them, pre- or post-2019)."""
    cells = {c: v for c, v in values.items() if c in set(la_record.codes())}
    if DORSET_GROUP in values:
        cells = {c: v for c, v in cells.items() if c not in DORSET_PARTS}
        cells[DORSET_GROUP] = values[DORSET_GROUP]
    return cells


def test_counts_sum_to_the_england_totals_exactly():
    """Where England has a total, the LAs sum to it exactly (the source's counts are whole
    numbers, and once the region figure copied onto Yorkshire's LAs for new_plans 2022 is
    left out, the only differences are the cells the record leaves out)."""
    checked = 0
    for (measure, period), values in _by_code().items():
        if measure in SHARE_WEIGHTS or ENGLAND not in values or measure.startswith("new_plans_age"):
            continue
        total = sum(_model_cells(values).values())
        if (measure, period) == ("new_plans", "2022"):
            # Yorkshire and the Humber's 15 LAs are out; the gap is that region's figure.
            assert values[ENGLAND] - total == 6078
        else:
            assert total == values[ENGLAND], (measure, period)
        checked += 1
    assert checked == 3 * 4 + 3 * 4  # three January stocks and three yearly flows


SHARE_TOLERANCE = 0.05
"""Percentage points between England's published share and the LAs' shares weighted by
their counts. England's share is itself rounded to 0.1 point (so up to 0.05 off the exact
figure), and each LA's rounding to 0.1 point mostly cancels in the weighted mean.
Measured: at most 0.049 (mainstream share, January 2022) over the 11 measure-periods
checked; 2022's 20-week share is not checked, because the 4 suppressed LAs and the 15
Yorkshire LAs without new_plans leave it 0.59 points off."""


def test_weighted_shares_match_the_england_shares_within_rounding():
    table = _by_code()
    checked = 0
    for (measure, period), values in table.items():
        if measure not in SHARE_WEIGHTS or ENGLAND not in values:
            continue
        weights = _model_cells(table[(SHARE_WEIGHTS[measure], period)])
        shares = _model_cells(values)
        if set(shares) != set(weights) or len(shares) < 149:
            continue
        mean = sum(shares[c] * weights[c] for c in shares) / sum(weights.values())
        assert abs(mean - values[ENGLAND]) <= SHARE_TOLERANCE, (measure, period, mean)
        checked += 1
    assert checked == 2 * 4 + 3


def test_a_share_is_weighted_by_the_count_it_is_a_share_of():
    parts = [Cell("A", "2021", "calendar_year", "plans_issued_within_20_weeks_pct", 50.0, "s"),
             Cell("B", "2021", "calendar_year", "plans_issued_within_20_weeks_pct", 20.0, "s")]
    assert merge(parts, {"A": 100.0, "B": 300.0}) == pytest.approx(27.5)
    assert merge(parts, {"A": 100.0}) is None  # a weight missing: left out, not guessed
    counts = [Cell("A", "2021", "calendar_year", "new_plans", 100.0, "s"),
              Cell("B", "2021", "calendar_year", "new_plans", 300.0, "s")]
    assert merge(counts, {}) == 400.0


def test_a_tiny_source_maps_onto_the_model_codes():
    def row(code, period, measure, value, region="R"):
        kind = "january" if "-" in period else "calendar_year"
        return {"la_code": code, "region": region, "period": period, "period_kind": kind,
                "measure": measure, "value": str(value), "source": "s"}
    rows = [row("E06000061", "2022", "new_plans", 100), row("E06000062", "2022", "new_plans", 300),
            row("E06000061", "2022", "plans_issued_within_20_weeks_pct", 50),
            row("E06000062", "2022", "plans_issued_within_20_weeks_pct", 20),
            row("E06000061", "2021", "new_plans", 10),  # West suppressed: no partial sum
            row("E06000060", "2021", "requests_received", 7),
            row("E06000058", "2020", "appeals_registered", 5),
            row("E06000059", "2020", "appeals_registered", 6),
            row("E06000059", "2018", "appeals_registered", 4),
            row("E06000028", "2018", "appeals_registered", 1),
            row("E06000029", "2018", "appeals_registered", 2)]
    models = ["E10000021", "E10000002", *DORSET_PARTS]
    got = {(c.code, c.period, c.measure): c.value for c in la_record.build(rows, models)}
    assert got == {
        ("E10000021", "2022", "new_plans"): 400,
        ("E10000021", "2022", "plans_issued_within_20_weeks_pct"): 27.5,
        ("E10000002", "2021", "requests_received"): 7,
        (DORSET_GROUP, "2020", "appeals_registered"): 11,
        ("E10000009", "2018", "appeals_registered"): 4,
        ("E06000028", "2018", "appeals_registered"): 1,
        ("E06000029", "2018", "appeals_registered"): 2,
        (DORSET_GROUP, "2018", "appeals_registered"): 7,
    }
    with pytest.raises(la_record.LARecordError, match="E0699"):
        la_record.build([row("E06999999", "2020", "new_plans", 1)], models)


def test_a_region_figure_copied_onto_its_las_is_left_out():
    rows = [{"la_code": c, "region": "Y", "period": "2022", "period_kind": "calendar_year",
             "measure": "new_plans", "value": "600", "source": "s"} for c in ("A", "B", "C")]
    assert la_record.build(rows, ["A", "B", "C"]) == []
    rows[0]["value"] = "100"
    assert len(la_record.build(rows, ["A", "B", "C"])) == 3


@needs_source
def test_the_build_reproduces_the_committed_record_byte_for_byte():
    assert la_record.build_text(SOURCE) == RECORD.read_text(encoding="utf-8")


def test_the_reader():
    kent = la_record.record("kent")
    assert la_record.find("Kent") == la_record.find("E10000016") == "E10000016"
    assert set(kent) == set(la_record.measures())
    assert kent["ehc_plans"]["2019-01"] > 0
    assert la_record.group_of("E06000028") == DORSET_GROUP
    assert la_record.group_of("E10000016") is None
    with pytest.raises(ValueError, match=r"^unknown LA 'Kentt'; did you mean Kent"):
        la_record.record("Kentt")


def test_the_docs_list_the_areas_and_the_gaps():
    text = (REPO / "docs" / "areas.md").read_text(encoding="utf-8")
    assert la_record.areas_markdown() in text, (
        "docs/areas.md's table of LAs is stale; paste `python -m sendabm.core.la_record --doc`")
    assert la_record.gaps_markdown() in text, (
        "docs/areas.md's table of record gaps is stale; paste "
        "`python -m sendabm.core.la_record --doc`")
    for code in DOCUMENTED_GAPS:
        assert re.search(rf"\| {code} \|", text)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario = load_scenario(baseline_path()).with_overrides(
        run={"scale": 0.001, "seed": 1, "end": "2014-11"})
    out = tmp_path_factory.mktemp("run") / "tiny"
    run_scenario(scenario, out=out)
    return out


def test_read_run_la_gives_the_model_series_beside_the_record(tiny_run: Path):
    run = read_run(tiny_run)
    kent = run.la("Kent")
    index = run.la_names.index("Kent")
    assert kent.code == "E10000016" and kent.name == "Kent"
    assert kent.dates == run.dates and len(kent.dates) == 3
    assert set(kent.model) == set(run.panel)
    for measure, values in kent.model.items():
        np.testing.assert_array_equal(values, run.panel[measure][:, index, 0])
    assert kent.record == la_record.record("Kent")
    by_code = run.la("E10000016")
    assert by_code.name == "Kent" and set(by_code.model) == set(kent.model)
    with pytest.raises(ValueError, match=r"^unknown LA 'Kentt'; did you mean Kent"):
        run.la("Kentt")
