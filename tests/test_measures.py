"""The measure registry reaches every output: counting slots, national.csv, panel.parquet,
comparisons, evaluate, labels and docs/ODD.md §4.11."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sendabm.core import measures as reg
from sendabm.core import slots
from sendabm.core.kernels import aggregate
from sendabm.core.scenario import default_scenario
from sendabm.experiments import evaluate as ev
from sendabm.experiments import outcomes
from sendabm.experiments.run import run_scenario
from sendabm.presentation import measuredoc
from sendabm.presentation.style import LABELS

ROOT = Path(__file__).resolve().parents[1]
NATIONAL_MEASURES = [m for m in reg.REGISTRY if m.national_name]
PANEL_MEASURES = [m for m in reg.REGISTRY if m.in_panel]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A small run written to a results folder: its output and the folder."""
    folder = tmp_path_factory.mktemp("run") / "baseline"
    scenario = default_scenario().with_overrides(run={"scale": 0.001, "end": "2015-12"})
    return run_scenario(scenario, out=folder, figures=False), folder


def test_kernel_slots_are_the_registry_order():
    counted = [m.name for m in reg.REGISTRY if m.counted]
    assert list(aggregate.LA_MEASURES) == counted == list(reg.SLOTS)
    assert aggregate.M == {name: k for k, name in enumerate(counted)}
    for k, name in enumerate(counted):
        assert getattr(slots, name.upper()) == k, name
    assert slots.N_SLOTS == len(counted)


def test_partial_sums_have_a_row_per_slot():
    totals = aggregate.partial_sums(2, 3, 1, 1)[0]
    assert totals.shape[1] == len(reg.SLOTS)


@pytest.mark.parametrize("m", NATIONAL_MEASURES, ids=lambda m: m.name)
def test_every_national_measure_is_a_column_of_national_csv(run, m):
    _, folder = run
    with (folder / "national.csv").open(newline="") as fh:
        header = next(csv.reader(fh))
    assert header == ["date", *reg.NATIONAL]
    assert m.national_name in header
    if m.contract:
        assert header[m.contract] == m.national_name  # after 'date'


@pytest.mark.parametrize("m", PANEL_MEASURES, ids=lambda m: m.name)
def test_every_panel_measure_is_in_panel_parquet(run, m):
    _, folder = run
    table = pq.read_table(folder / "panel.parquet")
    present = set(table.column("measure").combine_chunks().dictionary.to_pylist())
    assert m.name in present or not np.isfinite(run[0].panel[m.name]).any()
    assert list(run[0].panel) == list(reg.PANEL)


def test_nothing_unregistered_is_written(run):
    output, _ = run
    assert list(output.national) == list(reg.NATIONAL)
    assert set(output.panel) == set(reg.PANEL)
    internal = {m.name for m in reg.REGISTRY if m.scope == reg.INTERNAL}
    assert not internal & (set(output.national) | set(output.panel))


def test_la_measures_aggregate_as_declared(run):
    output, _ = run
    for m in reg.REGISTRY:
        if m.scope == reg.LA:
            cells = output.panel[m.name][:, :, 0]
            expected = cells.sum(axis=1) if m.across_las == "sum" else cells.mean(axis=1)
            assert np.allclose(output.national[m.national_name], expected, equal_nan=True), m.name
            assert np.all(np.isnan(output.panel[m.name][:, :, 1:])), m.name
        elif m.scope == reg.CELL and m.counted:
            total = np.nansum(output.panel[m.name][:, :, 0], axis=1)
            assert np.allclose(output.national[m.name], total), m.name


def test_every_outcome_measure_reaches_the_comparison_table(run):
    output, _ = run
    names = [o.name for o in outcomes.OUTCOMES]
    for m in reg.COMPARE_OUTCOMES:
        assert m.reducer is not None
        row = outcomes.OUTCOMES[m.compare - 1]
        assert (row.name, row.label, row.how) == (m.name, m.label, m.reducer)
        assert row.direction == (m.direction or outcomes.NEUTRAL)
    for m in reg.EQUITY_OUTCOMES:
        stem = m.equity_share or m.name
        assert all(f"{stem}_{q}" in names for q in ("q1", "q2", "q3", "q4", "q5", "gap"))
        assert m.name in outcomes.QUINTILE_COUNTS or m.kind == reg.MEAN
    window = outcomes.Window.of("2014-09", "2015-03", "2015-12")
    values = outcomes.outcome_values(outcomes.summarise(output), window)
    assert list(values) == names
    assert all(np.isfinite(values[m.name]) for m in reg.COMPARE_OUTCOMES
               if m.name != "mean_trust_in_school")  # trust in school: NaN without pupils


def test_outcomes_are_reduced_as_their_kind_says():
    window = outcomes.Window.of("2014-09", "2015-09", "2016-08")
    series = np.arange(24, dtype=float)
    reducers = {reg.STOCK: 23.0, reg.FLOW: float(sum(range(12, 24))),
                reg.MEAN: float(np.mean(range(12, 24)))}
    for m in reg.COMPARE_OUTCOMES:
        expected = reducers.get(m.kind, reducers[reg.MEAN])
        assert float(outcomes.reduce_series(series, m.reducer, window)) == expected, m.name


def test_evaluate_outcomes_come_from_the_registry(run):
    output, _ = run
    assert ev.OUTCOME_NAMES == tuple(m.name for m in reg.EVALUATE_OUTCOMES)
    assert [o.how for o in ev.OUTCOMES] == [m.reducer for m in reg.EVALUATE_OUTCOMES]
    values = ev.reduce_outcomes(output.national, "2014-09", "2015-03")
    assert list(values) == list(ev.OUTCOME_NAMES)
    assert all(np.isfinite(v) for v in values.values())


def test_every_measure_has_a_label_and_unit():
    for m in reg.REGISTRY:
        assert m.label.strip() and m.unit.strip() and m.legend.strip(), m.name
    assert set(LABELS) == set(reg.NATIONAL)


def test_measure_lookup_by_national_name():
    assert reg.measure("mean_assess_threshold") is reg.MEASURES["assess_threshold"]
    with pytest.raises(KeyError, match="not a registered measure"):
        reg.measure("appeals")


@pytest.mark.parametrize("change, words", [
    (lambda r: r + (r[0],), "declared twice"),
    (lambda r: tuple(dataclasses.replace(m, compare=m.compare + 1) if m.compare == 23 else m
                     for m in r), "compare"),
    (lambda r: tuple(dataclasses.replace(m, kind="amount") if m.name == "pupils" else m
                     for m in r), "kind"),
    (lambda r: r + (reg.Measure("x", reg.FLOW, "x", "X", formula=reg.Ratio("pupils", "nope")),),
     "'nope', which is not a counted measure"),
    (lambda r: (reg.Measure("x", reg.FLOW, "x", "X", formula=reg.Total(("pupils",))),) + r,
     "'pupils', which is not derived before it"),
    (lambda r: r + (reg.Measure("y", reg.FLOW, "y", "Y"),), "neither counted nor derived"),
])
def test_an_inconsistent_registry_is_refused(change, words):
    with pytest.raises(ValueError, match=words):
        reg.check_registry(change(reg.REGISTRY))


def test_odd_lists_every_measure_from_the_registry():
    text = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    table = measuredoc.current_table(text)
    assert table == measuredoc.render(), (
        f"docs/ODD.md §4.11's measure table is out of date; regenerate it with: "
        f"{measuredoc.COMMAND}")
    for m in reg.REGISTRY:
        assert f"| `{m.name}` |" in table, m.name
