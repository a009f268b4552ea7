"""Each LA's dispositions: the table, its checks, and the fit of the offsets to the record."""

from __future__ import annotations

import numpy as np
import pytest

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
    return L.Measured(unit_list, {k: np.asarray(v(unit_list), float) for k, v in values.items()},
                      {k: np.full(n, 1e6) for k in values})


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
