"""The LA fit (model against record, LA by LA) and ``sendabm report DIR --la``.

The definitions are checked on hand-made counts, where every value is known; the whole
pipeline (run folders -> la_fit.csv, LA_FIT.md, la_fit.png; the LA page) on two tiny
runs to December 2022.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

import numpy as np
import pytest

from sendabm.cli import main
from sendabm.core import la_record
from sendabm.core.areas import synthetic_england
from sendabm.core.scenario import baseline_path, load_scenario
from sendabm.experiments import la_fit as F
from sendabm.experiments.results import read_run
from sendabm.experiments.run import run_scenario
from sendabm.presentation.report_la import LAView
from sendabm.presentation.validation_figures import la_fit_figure

DORSET = ("E06000028", "E06000029", "E10000009")


@pytest.fixture(autouse=True)
def low_resolution(monkeypatch):
    """Draw at 50 dpi: the figures are the same, the test faster."""
    monkeypatch.setattr("sendabm.presentation.style.DPI", 50)


# --------------------------------------------------------------------------- rank correlation


def test_rank_correlation_gives_ties_their_average_rank():
    # Ranks of x with the tie averaged: 1, 2.5, 2.5, 4; of y: 1, 3, 2, 4. The Pearson
    # correlation of those ranks is 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10).
    x = [1.0, 2.0, 2.0, 3.0, np.nan]
    y = [10.0, 30.0, 20.0, 40.0, 50.0]  # the last pair is dropped: no model value
    assert F.rank_correlation(x, y) == pytest.approx(3 / math.sqrt(10))
    assert F.rank_correlation(y[:4], y[:4]) == pytest.approx(1.0)
    assert F.rank_correlation([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_rank_correlation_is_nan_when_it_cannot_be_told():
    assert math.isnan(F.rank_correlation([1.0, 2.0], [1.0, 2.0]))  # fewer than 3 pairs
    assert math.isnan(F.rank_correlation([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]))  # constant


def test_measure_fit_statistics():
    s = F.measure_fit("refusal_share", 2022, np.array([0.1, 0.2, 0.4, np.nan]),
                      np.array([0.2, 0.2, 0.2, 0.3]))
    assert s.n == 3
    assert s.mae == pytest.approx(0.1)  # errors 0.1, 0, 0.2
    assert s.relative_mae == pytest.approx(0.5)
    assert s.model_deciles[4] == pytest.approx(0.2) and s.record_deciles[4] == pytest.approx(0.2)


# --------------------------------------------------------------------------- hand-made counts


def _counts(dates: list[dt.date]) -> F.LACounts:
    """Counts over the built-in areas in which each LA i has, every month: pupils
    1000 + i, plans 50 + i, requests 10, refusals 1 + i % 3, plans refused 1, plans
    issued 4, within 20 weeks 1 + i % 4, appeals 2, in special 20, in independent 5."""
    names = list(synthetic_england().names)
    i = np.arange(len(names), dtype=float)
    per_la = {"pupils": 1000 + i, "ehc_plans": 50 + i, "assessment_requests": 10 + 0 * i,
              "assessments_refused": 1 + i % 3, "plans_refused": 1 + 0 * i,
              "plans_issued": 4 + 0 * i, "plans_issued_within_20_weeks": 1 + i % 4,
              "appeals_registered": 2 + 0 * i, "placements_special": 20 + 0 * i,
              "placements_independent": 5 + 0 * i}
    counts = {k: np.broadcast_to(v, (1, len(dates), len(names))).copy()
              for k, v in per_la.items()}
    return F.LACounts(dates, names, counts)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, day = [], first
    while day <= last:
        out.append(day)
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return out


def test_dorset_areas_are_one_unit_from_2019_and_their_counts_are_summed():
    names = list(synthetic_england().names)
    before = {u.code for u in F.units(names, 2018)}
    assert set(DORSET) <= before and la_record.DORSET_GROUP not in before
    after = {u.code: u for u in F.units(names, 2019)}
    assert len(after) == len(names) - 2 and not set(DORSET) & set(after)
    group = after[la_record.DORSET_GROUP]
    assert sorted(names[i] for i in group.members) == ["Bournemouth", "Dorset", "Poole"]

    la_fit = F.fit(_counts(_months(dt.date(2021, 1, 1), dt.date(2023, 1, 1))))
    assert la_fit.years() == [2021, 2022]
    pairs = la_fit.pairs[("plans_per_pupil", 2022)]
    k = pairs.codes.index(la_record.DORSET_GROUP)
    members = np.array(group.members, dtype=float)
    # a ratio of the summed counts, not a mean of the members' ratios
    assert pairs.model[k] == pytest.approx((50 + members).sum() / (1000 + members).sum())
    pupils = synthetic_england().pupils[list(group.members)].sum()
    plans = la_record.record(la_record.DORSET_GROUP)["ehc_plans"]["2022-01"]
    assert pairs.record[k] == pytest.approx(plans / pupils)


def test_each_measure_is_read_as_documented():
    la_fit = F.fit(_counts(_months(dt.date(2022, 1, 1), dt.date(2023, 1, 1))))
    assert la_fit.years() == [2022]
    kent = synthetic_england().names.index("Kent")

    def model(measure: str) -> float:
        pairs = la_fit.pairs[(measure, 2022)]
        return float(pairs.model[pairs.codes.index("E10000016")])

    assert model("plans_per_pupil") == pytest.approx((50 + kent) / (1000 + kent))
    assert model("refusal_share") == pytest.approx(12 * (1 + kent % 3) / 120)
    assert model("share_within_20_weeks") == pytest.approx((1 + kent % 4) / 4)
    assert model("special_share") == pytest.approx(25 / (50 + kent))
    # appealable decisions: plans in January 2023 + 12 months of refusals and of
    # plans refused
    decisions = (50 + kent) + 12 * (1 + kent % 3) + 12 * 1
    assert model("appeal_rate") == pytest.approx(24 / decisions)
    record = la_record.record("Kent")
    pairs = la_fit.pairs[("appeal_rate", 2022)]
    assert pairs.record[pairs.codes.index("E10000016")] == pytest.approx(
        record["appeals_registered"]["2022"] / record["appealable_decisions"]["2022"])
    pairs = la_fit.pairs[("share_within_20_weeks", 2022)]
    assert pairs.record[pairs.codes.index("E10000016")] == pytest.approx(
        record["plans_issued_within_20_weeks_pct"]["2022"] / 100)


def test_appealable_decisions_use_the_last_month_when_the_run_ends_in_december():
    counts = _counts(_months(dt.date(2022, 1, 1), dt.date(2022, 12, 1)))
    counts.counts["ehc_plans"][:, -1] += 100  # December differs from every other month
    unit = F.find_unit(counts.la_names, "Kent")
    u = F.unit_year(counts, [unit], 2022)
    kent = counts.la_names.index("Kent")
    expected = (150 + kent) + 12 * (1 + kent % 3) + 12
    assert F.appealable_decisions(u)[0, 0] == pytest.approx(expected)
    # a run that stops before December has no complete year: no value
    short = F.unit_year(_counts(_months(dt.date(2022, 1, 1), dt.date(2022, 11, 1))), [unit], 2022)
    assert np.isnan(F.appealable_decisions(short)).all()


def test_runs_on_other_areas_have_nothing_to_fit():
    counts = F.LACounts([dt.date(2022, 1, 1)], ["North", "South"],
                        {k: np.ones((1, 1, 2)) for k in F.NEEDED})
    with pytest.raises(F.LAFitError, match="built-in areas"):
        F.fit(counts)


def test_stacking_refuses_runs_of_different_months():
    a = _counts(_months(dt.date(2022, 1, 1), dt.date(2023, 1, 1)))
    b = _counts(_months(dt.date(2022, 1, 1), dt.date(2022, 12, 1)))
    assert F.stack([a, a]).seeds == 2
    with pytest.raises(F.LAFitError, match="different months"):
        F.stack([a, b])


# --------------------------------------------------------------------------- real runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[Path]:
    base = load_scenario(baseline_path()).with_overrides(run={"scale": 0.002, "end": "2022-12"})
    folders = []
    for seed in (1, 2):
        out = tmp_path_factory.mktemp("runs") / f"seed{seed}"
        run_scenario(base.with_overrides(run={"seed": seed}), out=out)
        folders.append(out)
    return folders


@pytest.mark.slow
def test_la_fit_of_run_folders(runs, tmp_path):
    la_fit = F.fit_folders(runs)
    assert la_fit.seeds == 2 and la_fit.years() == list(F.FIT_YEARS)
    rows = la_fit.rows()
    assert len(rows) == 150 * len(F.FIT_YEARS) * len(F.FIT_MEASURES)
    model = np.array([r["model"] for r in rows])
    assert np.isfinite(model).mean() > 0.5
    assert np.nanmin(model) >= 0
    # every measure is a share but plans per request agreed (a year's plans can come
    # from earlier years' requests)
    shares = np.array([r["model"] for r in rows if r["measure"] != "plans_per_agreed_request"])
    assert np.nanmax(shares) <= 1
    # each LA's model value is the median of its seeds' values (of two: their mean, or
    # the one seed with a value)
    one, two = F.fit_folders(runs[:1]), F.fit_folders(runs[1:])
    for key in (("plans_per_pupil", 2022), ("special_share", 2020)):
        a, b = one.pairs[key].model, two.pairs[key].model
        expected = np.where(np.isnan(a), b, np.where(np.isnan(b), a, (a + b) / 2))
        np.testing.assert_allclose(la_fit.pairs[key].model, expected)

    written = F.write_la_fit(la_fit, tmp_path, "test", figure=la_fit_figure)
    assert {p.name for p in written} == {F.LA_FIT_CSV, F.LA_FIT_MD, F.LA_FIT_PNG}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    with (tmp_path / F.LA_FIT_CSV).open() as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == len(rows) and set(table[0]) == {"code", "name", "year", "measure",
                                                          "model", "record"}
    text = (tmp_path / F.LA_FIT_MD).read_text()
    assert all(f"## {m.label}, 2022" in text for m in F.FIT_MEASURES)
    assert "Requests refused assessment against" in text and "| 2022 |" in text
    assert "## Each LA's mean over 2019-2022" in text

    assert (tmp_path / F.LA_FIT_PNG).stat().st_size > 10_000


def test_report_la_writes_the_page(runs, tmp_path, capsys):
    out = tmp_path / "kent"
    assert main(["report", str(runs[0]), "--la", "E10000016", "--out", str(out)]) == 0
    assert "LA report of Kent, 2 figures" in capsys.readouterr().out
    html = (out / "report.html").read_text()
    assert "Kent: the model against its record" in html and "Medway" in html
    assert "Its practice" in html and "Stance to assess in 2022" in html
    for name in ("la_series.png", "la_map.png"):
        assert (out / name).stat().st_size > 10_000


def test_report_la_of_the_merged_dorset_unit_sums_its_three_areas(runs):
    run = read_run(runs[0])
    view = LAView(run, la_record.GROUP_NAMES[la_record.DORSET_GROUP])
    assert len(view.unit.members) == 3
    np.testing.assert_array_equal(
        view.plans, run.panel["ehc_plans"][:, list(view.unit.members), 0].sum(axis=1))
    assert not {n.code for n in view.neighbours} & set(DORSET)
    assert np.isfinite(view.record["refusal_share"][view.years.index(2022)])


def test_report_la_of_an_unknown_name_exits_2_with_one_line(runs, capsys):
    assert main(["report", str(runs[0]), "--la", "Kentt"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "unknown LA 'Kentt'; did you mean Kent" in err and "docs/areas.md" in err
    assert not [p for p in runs[0].iterdir() if p.name.startswith(("report", "."))]


def test_report_la_needs_a_run_folder(tmp_path, capsys):
    (tmp_path / "compare.json").write_text("{}")
    assert main(["report", str(tmp_path), "--la", "Kent"]) == 2
    assert "--la needs a run folder" in capsys.readouterr().err


def test_relation_is_read_within_each_side():
    codes = tuple(f"E{k}" for k in range(5))
    refusals = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    pairs = {("refusal_share", 2022): F.Pairs(codes, codes, refusals, refusals),
             ("appeal_rate", 2022): F.Pairs(codes, codes, refusals[::-1], refusals * 2)}
    model, record = F.relation(F.LAFit(pairs, 1), "refusal_share", "appeal_rate", 2022)
    assert model == pytest.approx(-1.0) and record == pytest.approx(1.0)


def test_mean_fit_averages_each_la_over_its_years_and_measures_their_movement():
    codes = ("E1", "E2", "E3")
    # E1 moves 0.1 <-> 0.3 in the record and stays at 0.2 in the model; E3 is missing
    # from the model in 2021, so its mean there is over 2022 alone.
    pairs = {("refusal_share", 2021): F.Pairs(codes, codes, np.array([0.2, 0.4, np.nan]),
                                              np.array([0.1, 0.4, 0.6])),
             ("refusal_share", 2022): F.Pairs(codes, codes, np.array([0.2, 0.4, 0.5]),
                                              np.array([0.3, 0.4, 0.7]))}
    f = F.mean_fit(F.LAFit(pairs, 1), "refusal_share")
    assert f.fit.n == 3 and f.fit.rho == pytest.approx(1.0)
    np.testing.assert_allclose(f.fit.model_deciles[4], 0.4)
    np.testing.assert_allclose(f.fit.record_deciles[4], 0.4)
    assert f.model_yearly_sd == pytest.approx(0.0)
    # record: E1 deviates by +-0.1 and E2 by 0 (2 degrees of freedom; E3 has one year)
    assert f.record_yearly_sd == pytest.approx(np.sqrt(0.02 / 2))


def test_practice_table_reads_the_las_own_offsets():
    from sendabm.core import dispositions as D
    from sendabm.presentation.report_la import practice_table

    codes = ("A", "B", "C")
    offsets = np.zeros((3, len(D.FIELDS)))
    offsets[0, D.FIELDS.index("assess")] = np.log(1.5)
    offsets[:, D.FIELDS.index("plan")] = np.log([4.0, 2.0, 2.0])
    offsets[0, D.FIELDS.index("request")] = -0.5
    yearly = np.zeros((3, len(D.YEARLY_FIELDS), 2))
    yearly[0, D.YEARLY_FIELDS.index("assess")] = [0.2, -0.2]
    table = D.Dispositions(codes, offsets, (2021, 2022), yearly)
    rows = {r[0]: r[1:] for r in practice_table(["A"], table)}
    assert rows["Bar to agree an assessment"] == ["×1.50", "×1.50", "stricter than the median LA"]
    # Against the national value and against the median LA (here at twice the national).
    assert rows["Bar to issue a plan"] == ["×4.00", "×2.00", "stricter than the median LA"]
    assert rows["Families' requests for assessment"][2] == "fewer than the median LA"
    assert rows["Stance to assess in 2021"] == ["", "×1.22 its own mean",
                                                "stricter than its own mean"]
    assert rows["Stance to assess in 2022"][2] == "more lenient than its own mean"
    assert practice_table(["B"], table)[2][3] == "about as the median LA"
