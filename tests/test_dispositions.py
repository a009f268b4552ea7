"""Each LA's dispositions: the table, its checks, and the fit of the offsets to the record."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendabm.core import dispositions as D
from sendabm.core.areas import synthetic_england
from sendabm.core.model import SendModel
from sendabm.experiments import la_offsets as L

HEADER = "code," + ",".join(D.FIELDS)
ZEROS = ",".join("0" * len(D.FIELDS))


def test_packaged_table_covers_every_built_in_la_and_differs_between_them():
    table = D.packaged()
    areas = synthetic_england()
    assert set(areas.codes) <= set(table.codes)
    offsets = table.for_codes(areas.codes)
    assert np.abs(offsets).max() <= D.OFFSET_LIMIT
    decisions = offsets[:, :len(D.DECISION_FIELDS)]
    assert np.all(np.std(decisions, axis=0) > 0.05)   # 152 systems, not clones
    # The starting-stock correction is not installed (results/calibration/README.md).
    assert np.all(offsets[:, D.FIELDS.index("start_plans")] == 0.0)
    # Each LA's stance to assess moves year by year over the record's years; its staffing
    # does not (not fitted in the shipped calibration).
    assert table.years == (2019, 2020, 2021, 2022)
    yearly = table.yearly_for_codes(areas.codes)
    assert np.all(np.std(yearly[:, D.YEARLY_FIELDS.index("assess")], axis=0) > 0.1)
    assert np.all(yearly[:, D.YEARLY_FIELDS.index("capacity")] == 0.0)


def test_csv_round_trip_and_unknown_codes_get_national_practice():
    n = len(D.FIELDS)
    table = D.Dispositions(("A", "B"), np.array([[0.1 * (k + 1) for k in range(n)], [0.0] * n]))
    again = D.parse(table.to_csv(), "test")
    assert again.codes == table.codes
    assert np.allclose(again.offsets, table.offsets)
    assert np.array_equal(table.for_codes(["B", "Z", "A"])[:, 0], [0.0, 0.0, 0.1])


@pytest.mark.parametrize("text, words", [
    ("code,assess\nA,0\n", "missing: plan"),
    (f"{HEADER}\nA,x{ZEROS[1:]}\n", "not a number"),
    (f"{HEADER}\nA,9{ZEROS[1:]}\n", "-3.0..3.0"),
    (f"{HEADER}\nA,{ZEROS}\nA,{ZEROS}\n", "twice"),
])
def test_bad_tables_give_one_line_errors(text, words):
    with pytest.raises(D.DispositionsError, match=words) as err:
        D.parse(text, "file.csv")
    assert "\n" not in str(err.value)


def test_missing_file_names_the_fix(tmp_path):
    with pytest.raises(D.DispositionsError, match="sendabm calibrate"):
        D.read(tmp_path / "none.csv")


def _measured(areas, values):
    """A :class:`la_offsets.Measured` of the record's units with the given values."""
    from sendabm.experiments import la_fit as F

    unit_list = tuple(F.units(areas.names, 2022))
    n = len(unit_list)
    values = {k: np.asarray(v(unit_list), float) for k, v in values.items()}
    return L.Measured(unit_list, values, {k: np.full(n, 1e6) for k in values},
                      {k: np.tile(v, (len(L.YEARS), 1)) for k, v in values.items()})


def test_record_measures_average_the_years_and_map_dorset():
    from sendabm.experiments import la_fit as F

    areas = synthetic_england()
    unit_list = F.units(areas.names, 2022)
    codes = [u.code for u in unit_list]
    assert "E06000028+E06000029+E10000009" in codes and "E06000028" not in codes
    record = L.record_measures(unit_list, areas.names, L.YEARS)
    kent = codes.index("E10000016")
    assert 0.0 < record["refusal_share"][kent] < 1.0
    assert 0.0 < record["independent_share"][kent] < record["special_share"][kent] < 1.0
    one = L.record_measures([unit_list[kent]], areas.names, (2022,))["refusal_share"][0]
    assert one == pytest.approx(F.record_values(unit_list[kent], 2022,
                                                areas.names)["refusal_share"])


def test_a_step_moves_each_la_towards_its_record():
    areas = synthetic_england()
    from sendabm.experiments import la_fit as F

    unit_list = tuple(F.units(areas.names, 2022))
    record = L.record_measures(unit_list, areas.names, L.YEARS)
    # Every LA refuses the national median share in the model: those refusing more in
    # the record must raise their bar relative to those refusing less.
    median = float(np.nanmedian(record["refusal_share"]))
    model = _measured(areas, {name: (lambda u, r=record[name]: np.where(np.isfinite(r), r, 0.5))
                              for name in L.ALL_TARGETS})
    model.values["refusal_share"][:] = median
    new = L.step(np.zeros((areas.n, len(D.FIELDS))), model, record, scale=1.0)
    assess = D.FIELDS.index("assess")
    moved = np.array([new[u.members[0], assess] for u in unit_list])
    known = np.isfinite(record["refusal_share"])
    assert L.F.rank_correlation(moved[known], record["refusal_share"][known]) > 0.99
    # Measures at their record leave the other offsets where they were (0).
    assert np.allclose(new[:, D.FIELDS.index("plan")], 0.0)
    # The merged Dorset unit's three areas move together.
    dorset = next(u for u in unit_list if "+" in u.code)
    assert len(set(new[list(dorset.members), assess])) == 1


def test_the_start_correction_is_centred_and_the_decision_offsets_are_not():
    # England's starting plans are the national parameter's: a step moves only the LAs'
    # differences in start_plans, while a decision offset keeps a move common to all LAs.
    areas = synthetic_england()
    from sendabm.experiments import la_fit as F

    unit_list = tuple(F.units(areas.names, 2022))
    record = L.record_measures(unit_list, areas.names, L.YEARS)
    model = _measured(areas, {name: (lambda u, r=record[name]: np.where(np.isfinite(r), r, 0.5))
                              for name in L.ALL_TARGETS})
    # Every LA's model holds 20% too many plans, the first half's 44%; every LA refuses
    # a fifth less than its record.
    high = np.arange(len(unit_list)) < len(unit_list) // 2
    model.values["plans_per_pupil"] = model.values["plans_per_pupil"] * np.where(high, 1.44, 1.2)
    model.values["refusal_share"] = model.values["refusal_share"] * 0.8
    new = L.step(np.zeros((areas.n, len(D.FIELDS))), model, record, scale=1.0,
                 targets=L.ALL_TARGETS)
    start = np.array([new[u.members[0], D.FIELDS.index("start_plans")] for u in unit_list])
    assert abs(new[:, D.FIELDS.index("start_plans")].mean()) < 1e-12
    assert start[high].max() < 0 < start[~high].min()
    assert new[:, D.FIELDS.index("assess")].mean() > 0.05


def test_offsets_reach_the_model_and_weight_zero_removes_them():
    areas = synthetic_england()
    offsets = np.zeros((areas.n, len(D.FIELDS)))
    offsets[:, D.FIELDS.index("assess")] = np.linspace(-1, 1, areas.n)
    table = D.Dispositions(areas.codes, offsets)
    model = SendModel(seed=1, scale=0.002, end="2014-10", dispositions=table)
    alike = SendModel(seed=1, scale=0.002, end="2014-10", dispositions=table,
                      la_disposition_weight=0.0)
    # The offsets span -1 to 1 log units: the strictest LA's bar is e^2 times the most
    # lenient's (none is at a bound of the bars' range here).
    bars = model.las.assess_threshold
    assert bars.max() / bars.min() == pytest.approx(np.exp(2.0))
    assert np.ptp(alike.las.assess_threshold) == 0.0


def _yearly_table(codes, years=(2019, 2020)):
    n = len(codes)
    yearly = np.arange(n * len(D.YEARLY_FIELDS) * len(years), dtype=float).reshape(
        n, len(D.YEARLY_FIELDS), len(years)) / 100.0
    return D.Dispositions(tuple(codes), np.zeros((n, len(D.FIELDS))), years, yearly)


def test_yearly_deviations_round_trip_through_the_csv():
    table = _yearly_table(("A", "B"))
    text = table.to_csv()
    assert "assess_2019,assess_2020,capacity_2019,capacity_2020" in text.splitlines()[0]
    again = D.parse(text, "test")
    assert again.years == (2019, 2020)
    assert np.allclose(again.yearly, table.yearly)
    assert np.allclose(again.yearly_for_codes(["Z", "B"])[1], table.yearly[1])
    assert np.all(again.yearly_for_codes(["Z", "B"])[0] == 0.0)
    # A table without yearly columns (as written before they existed) has none.
    plain = D.parse(f"{HEADER}\nA,{ZEROS}\n", "test")
    assert plain.years == () and plain.yearly.shape == (1, len(D.YEARLY_FIELDS), 0)


@pytest.mark.parametrize("extra_head, extra_row, words", [
    (",assess_2019,capacity_2020", ",0,0", "same years"),
    (",assess_2019,capacity_2019", ",4,0", "-3.0..3.0"),
    (",assess_2019,assess_2021,capacity_2019,capacity_2021", ",0,0,0,0", "consecutive"),
])
def test_bad_yearly_columns_give_one_line_errors(extra_head, extra_row, words):
    with pytest.raises(D.DispositionsError, match=words) as err:
        D.parse(f"{HEADER}{extra_head}\nA,{ZEROS}{extra_row}\n", "file.csv")
    assert "\n" not in str(err.value)


def test_a_deviation_holds_in_its_year_and_decays_after_the_last():
    table = _yearly_table(("A", "B"))
    decay = np.array([0.5, 0.25])
    assert np.all(D.deviation(table.yearly, table.years, 2018, decay) == 0.0)
    assert np.array_equal(D.deviation(table.yearly, table.years, 2020, decay),
                          table.yearly[:, :, 1].T)
    later = D.deviation(table.yearly, table.years, 2022, decay)
    assert np.allclose(later, table.yearly[:, :, 1].T * (decay[:, None] ** 2))
    assert np.all(D.deviation(table.yearly, (), 2022, decay) == 0.0)


def test_the_records_yearly_movements_persist_partly():
    # The record's LA-year movements neither vanish in a year nor last for ever.
    for field in D.YEARLY_FIELDS:
        assert 0.1 < D.persistence(field) < 0.9


def test_a_yearly_step_follows_each_las_own_years_and_is_centred_both_ways():
    areas = synthetic_england()
    from sendabm.experiments import la_fit as F

    unit_list = tuple(F.units(areas.names, 2022))
    by_year = L.record_by_year(unit_list, areas.names, L.YEARS)
    record = L.record_measures(unit_list, areas.names, L.YEARS)
    # The model holds each LA at its own 2019-2022 mean every year: the step gives each LA
    # the record's movement around that mean.
    model = _measured(areas, {name: (lambda u, r=record[name]: np.where(np.isfinite(r), r, 0.5))
                              for name in L.ALL_TARGETS})
    yearly = L.step_yearly(np.zeros((areas.n, len(D.YEARLY_FIELDS), len(L.YEARS))), model,
                           by_year, scale=1.0)
    for name, target in L.YEARLY_TARGETS.items():
        dev = yearly[:, D.YEARLY_FIELDS.index(target.offset)]
        # Centred over years within each LA, and over LAs each year (weighted by events,
        # here all alike), up to the few LA-years clipped at the limit (a record share of
        # 0 or 1).
        free = np.abs(dev).max(axis=1) < D.OFFSET_LIMIT
        assert np.allclose(np.exp(dev[free]).mean(axis=1), 1.0, atol=0.01)
        weight = np.array([1.0 / len(u.members) for u in unit_list for _ in u.members])
        order = np.concatenate([u.members for u in unit_list])
        factor = weight @ np.exp(dev[order]) / weight.sum()
        assert np.allclose(factor, 1.0, atol=0.01)
        moved = np.array([dev[u.members[0]] for u in unit_list]).T      # (year, unit)
        known = np.isfinite(by_year[name]).all(axis=0)
        wanted = by_year[name][:, known] - record[name][known]
        # The stricter a year against the LA's own mean, the higher its assessment bar
        # (and the faster, the more capacity): same sign, year by year.
        agree = np.sign(moved[:, known]) == np.sign(wanted)
        assert agree[np.abs(wanted) > 0.05].mean() > 0.9


def test_centring_keeps_each_las_mean_factor_and_englands_yearly_factor():
    rng = np.random.default_rng(1)
    deviation = rng.normal(0.0, 0.8, (50, 4)) + np.array([0.5, 0.0, -0.2, 0.3])
    weight = rng.uniform(1.0, 10.0, 50)
    d = L.centred(deviation, weight)
    assert np.allclose(np.exp(d).mean(axis=1), 1.0, atol=1e-3)
    assert np.allclose(weight @ np.exp(d) / weight.sum(), 1.0, atol=1e-3)
    # A log-scale centring alone would raise England's factor by about e^(0.7^2 / 2) (the
    # within-LA centring leaves an SD of about 0.8 * (3/4) ** 0.5).
    logs = deviation - deviation.mean(axis=1, keepdims=True)
    logs -= weight @ logs / weight.sum()
    assert (weight @ np.exp(logs) / weight.sum()).min() > 1.1


def test_yearly_deviations_reach_the_model_in_their_january():
    areas = synthetic_england()
    base = D.packaged()
    plain = D.Dispositions(base.codes, base.offsets)
    yearly = np.zeros((len(base.codes), len(D.YEARLY_FIELDS), 1))
    yearly[:, D.YEARLY_FIELDS.index("assess"), 0] = 0.5
    shifted = D.Dispositions(base.codes, base.offsets, (2019,), yearly)
    before = SendModel(seed=1, scale=0.002, end="2019-01", dispositions=plain)
    after = SendModel(seed=1, scale=0.002, end="2019-01", dispositions=shifted)
    for model in (before, after):
        while model.tick < model.end_tick:   # to December 2018: the same runs
            model.step()
    assert np.array_equal(before.las.assess_threshold, after.las.assess_threshold)
    before.step()
    after.step()                             # January 2019
    from sendabm.core.actors.local_authority import THRESHOLD_RANGE

    bars = np.clip(before.las.assess_threshold * np.exp(0.5), *THRESHOLD_RANGE)
    assert np.allclose(after.las.assess_bar, bars)
    # The standing bar the stance scales is left as it was.
    assert np.array_equal(after.las.assess_threshold, before.las.assess_threshold)
    assert areas.n == before.las.n


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 40), st.integers(1, 5), st.floats(0.0, 1.5), st.integers(0, 2**31 - 1))
def test_centring_holds_both_ways_for_any_deviations(n, years, sd, seed):
    rng = np.random.default_rng(seed)
    deviation, weight = rng.normal(0.0, sd, (n, years)), rng.uniform(0.1, 10.0, n)
    d = L.centred(deviation, weight)
    assert np.all(np.isfinite(d))
    assert np.allclose(np.exp(d).mean(axis=1), 1.0, atol=1e-3)
    assert np.allclose(weight @ np.exp(d) / weight.sum(), 1.0, atol=1e-3)
