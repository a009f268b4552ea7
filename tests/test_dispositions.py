"""Each LA's dispositions: the table, its checks, and the fit of the offsets to the record."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sendabm.core import dispositions as D
from sendabm.core.areas import synthetic_england
from sendabm.core.model import SendModel
from sendabm.experiments import la_offsets as L

HEADER = "code," + ",".join(D.FIELDS)


def test_packaged_table_covers_every_built_in_la_and_is_centred():
    table = D.packaged()
    areas = synthetic_england()
    assert set(areas.codes) <= set(table.codes)
    offsets = table.for_codes(areas.codes)
    assert np.allclose(np.median(offsets, axis=0), 0.0, atol=1e-6)
    assert np.abs(offsets).max() <= D.OFFSET_LIMIT


def test_csv_round_trip_and_unknown_codes_get_national_practice():
    table = D.Dispositions(("A", "B"), np.array([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [0.0] * 6]))
    again = D.parse(table.to_csv(), "test")
    assert again.codes == table.codes
    assert np.allclose(again.offsets, table.offsets)
    assert np.array_equal(table.for_codes(["B", "Z", "A"])[:, 0], [0.0, 0.0, 0.1])


@pytest.mark.parametrize("text, words", [
    ("code,assess\nA,0\n", "missing: plan"),
    (f"{HEADER}\nA,x,0,0,0,0,0\n", "not a number"),
    (f"{HEADER}\nA,9,0,0,0,0,0\n", "-3.0..3.0"),
    (f"{HEADER}\nA,0,0,0,0,0,0\nA,0,0,0,0,0,0\n", "twice"),
])
def test_bad_tables_give_one_line_errors(text, words):
    with pytest.raises(D.DispositionsError, match=words) as err:
        D.parse(text, "file.csv")
    assert "\n" not in str(err.value)


def test_missing_file_names_the_fix(tmp_path):
    with pytest.raises(D.DispositionsError, match="sendabm calibrate"):
        D.read(tmp_path / "none.csv")


def test_rank_correlation_with_ties():
    a = np.array([1.0, 2.0, 2.0, 3.0])
    b = np.array([10.0, 20.0, 30.0, 40.0])
    # ranks of a: 0, 1.5, 1.5, 3 -> Pearson of ranks with 0, 1, 2, 3
    ra = np.array([0, 1.5, 1.5, 3]) - 1.5
    rb = np.arange(4) - 1.5
    assert L.rank_correlation(a, b) == pytest.approx((ra @ rb) / math.sqrt((ra @ ra) * (rb @ rb)))
    assert L.rank_correlation(b, -b) == pytest.approx(-1.0)


def test_record_measures_pool_the_years_and_map_dorset():
    record = L.record_measures(synthetic_england())
    assert "E06000028+E06000029+E10000009" in record
    assert "E06000028" not in record           # Bournemouth alone has no 2019-2022 record
    kent = record["E10000016"]
    assert 0.0 < kent["refusal_share"] < 1.0
    assert 0.0 < kent["special_share"] < 1.0


def test_a_step_moves_offsets_towards_the_record():
    areas = synthetic_england()
    record = L.record_measures(areas)
    zero = np.zeros((areas.n, len(D.FIELDS)))
    # A model with every LA refusing twice its record's share and holding half its plans.
    model = {u: {"refusal_share": (min(0.99, 2 * r["refusal_share"]), 1e6),
                 "plans": (0.5 * r["plans"], 1e6)} for u, r in record.items()
             if "refusal_share" in r and "plans" in r}
    new = L.step(zero, areas, record, model, scale=1.0)
    assess, plan = D.FIELDS.index("assess"), D.FIELDS.index("plan")
    # Every LA moves the same way before centring, so after centring the spread comes from
    # each LA's own gap: LAs refusing more in the record are told to lower their bar less.
    assert np.ptp(new[:, assess]) > 0.0 and np.ptp(new[:, plan]) > 0.0
    assert np.median(new, axis=0) == pytest.approx(np.zeros(len(D.FIELDS)), abs=1e-12)


def test_offsets_reach_the_model_and_weight_zero_removes_them():
    areas = synthetic_england()
    offsets = np.zeros((areas.n, len(D.FIELDS)))
    offsets[:, D.FIELDS.index("assess")] = np.linspace(-1, 1, areas.n)
    table = D.Dispositions(areas.codes, offsets)
    model = SendModel(seed=1, scale=0.002, end="2014-10", dispositions=table)
    alike = SendModel(seed=1, scale=0.002, end="2014-10", dispositions=table,
                      la_disposition_weight=0.0)
    assert np.ptp(model.las.assess_threshold) > 0.5
    assert np.ptp(alike.las.assess_threshold) == 0.0
