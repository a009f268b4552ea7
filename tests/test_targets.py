"""Calibration targets: the record in the data file, and how model values are read off."""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources

import numpy as np
import pytest

from sendabm.experiments import targets as T


def _months(first: dt.date, n: int) -> list[dt.date]:
    out, y, m = [], first.year, first.month
    for _ in range(n):
        out.append(dt.date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def test_every_target_has_record_with_sources():
    with resources.files("sendabm.data").joinpath("national_series.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle) if r["kind"] == "target"]
    names = {r["series"] for r in rows}
    assert names == {t.name for t in T.TARGETS if t.from_la_record is None}
    assert all(len(r["source"]) > 10 for r in rows)
    assert T.record()["ehc_plans"][2015] == 240185
    assert T.record()["appeals_registered"][2021] == 11052


def test_the_setting_mix_is_read_from_the_la_records_england_rows():
    record = T.record()
    for name in ("share_mainstream", "share_special", "share_independent"):
        assert sorted(record[name]) == [2019, 2020, 2021, 2022]
    # SEN2 January 2022: 40.5% of plans in mainstream, 34.8% in special schools of all
    # types, 20,324 of 473,255 in independent special schools.
    assert record["share_mainstream"][2022] == pytest.approx(0.405)
    assert record["share_special"][2022] == pytest.approx(0.348)
    assert record["share_independent"][2022] == pytest.approx(20_324 / 473_255)


def test_a_target_sums_its_measures():
    dates = _months(dt.date(2018, 9, 1), 6)
    national = {"placements_special": np.full(6, 30.0), "placements_independent": np.full(6, 5.0),
                "ehc_plans": np.full(6, 100.0)}
    assert T.model_value(T.BY_NAME["share_special"], dates, national, 2019) == pytest.approx(0.35)


def test_periods_sum_the_right_months():
    dates = _months(dt.date(2014, 9, 1), 36)
    month_index = np.arange(36, dtype=float)
    national = {"appeals_registered": np.ones(36), "ehc_plans": month_index,
                "plans_issued": np.ones(36), "hearings": np.full(36, 4.0),
                "hearings_won_by_family": np.full(36, 3.0)}
    assert T.model_value(T.BY_NAME["appeals_registered"], dates, national, 2014) == 12
    # January 2015 is the fifth month.
    assert T.model_value(T.BY_NAME["ehc_plans"], dates, national, 2015) == 4
    assert T.model_value(T.BY_NAME["plans_issued"], dates, national, 2015) == 12
    assert T.model_value(T.BY_NAME["share_hearings_won_by_family"], dates, national,
                         2015) == pytest.approx(0.75)
    # A period not wholly simulated has no value.
    assert np.isnan(T.model_value(T.BY_NAME["appeals_registered"], dates, national, 2017))


def test_financial_year_stocks_are_read_in_march():
    dates = _months(dt.date(2014, 9, 1), 36)
    month_index = np.arange(36, dtype=float)
    national = {"cumulative_deficit_gbp": month_index, "share_las_overspending": month_index}
    # Financial year 2015/16 ends in March 2016, the nineteenth month.
    assert T.model_value(T.BY_NAME["cumulative_deficit_gbp"], dates, national, 2015) == 18
    assert T.model_value(T.BY_NAME["share_las_overspending"], dates, national, 2014) == 6
    # March 2018 is past the last simulated month.
    assert np.isnan(T.model_value(T.BY_NAME["cumulative_deficit_gbp"], dates, national, 2017))


def test_a_spec_without_weights_fits_only_the_fitted_targets(tmp_path):
    from sendabm.experiments import calibrate
    spec = tmp_path / "spec.toml"
    spec.write_text('[calibration]\ntrials = 2\n\n[[parameters]]\n'
                    'name = "need_onset_per_year"\nlow = 0.01\nhigh = 0.03\n')
    weights = calibrate.load_spec(spec).weights
    assert "ehc_plans" in weights
    assert "cumulative_deficit_gbp" not in weights
    assert "share_las_overspending" not in weights


def test_mape_is_a_percentage():
    assert T.mape(np.array([110.0, 90.0]), np.array([100.0, 100.0])) == pytest.approx(10.0)
    assert T.mape(np.array([1.0]), np.array([1.0])) == 0.0


def test_fit_years_stay_inside_2015_to_2022():
    for target in T.TARGETS:
        years = T.fit_years(target.name)
        assert years and min(years) >= 2014 and max(years) <= 2022


def test_a_period_is_drawn_at_its_middle_and_counted_where_it_fits_whole():
    # An academic year's middle is the March after its September; a calendar year's July.
    assert T.middle("academic", 2019) == dt.date(2020, 3, 1)
    assert T.middle("calendar", 2019) == dt.date(2019, 7, 1)
    assert T.middle("january", 2019) == dt.date(2019, 1, 1)
    assert T.middle("march", 2019) == dt.date(2020, 3, 1)
    start, end = dt.date(2014, 9, 1), dt.date(2025, 8, 1)
    assert T.years_within("academic", start, end) == list(range(2014, 2025))
    assert T.years_within("calendar", start, end) == list(range(2015, 2025))
    assert T.years_within("january", start, end) == list(range(2015, 2026))
    # The financial year 2024/25 ends in March 2025, inside; 2025/26 ends after.
    assert T.years_within("march", start, end) == list(range(2014, 2025))
