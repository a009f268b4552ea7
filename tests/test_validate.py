"""``sendabm validate``: every output is written and readable; bad options exit 2."""

from __future__ import annotations

import csv
import datetime as dt

import numpy as np
import pytest
from matplotlib import image

from sendabm.cli import main
from sendabm.experiments import targets as T
from sendabm.experiments.validate import run_validation, write_validation
from sendabm.presentation.validation_figures import VALIDATION_FIGURES


@pytest.fixture(scope="module")
def validation():
    return run_validation(seeds=2, scale=0.003, end="2023-08", workers=1, progress=False)


def test_outputs_are_complete(validation, tmp_path):
    (tmp_path / "keep.txt").write_text("other files in the folder are kept")
    written = write_validation(validation, tmp_path, "sendabm validate (test)",
                               figures=VALIDATION_FIGURES)
    names = {p.name for p in written}
    assert names == {"validation.png", "projection.png", "fit.csv", "projection.csv",
                     "VALIDATION.md", "la_fit.png", "la_fit.csv", "LA_FIT.md"}
    assert (tmp_path / "keep.txt").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    for name in ("validation.png", "projection.png", "la_fit.png"):
        pixels = image.imread(tmp_path / name)
        assert pixels.shape[0] > 500 and np.ptp(pixels[..., :3]) > 0.5
    with (tmp_path / "fit.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {r["series"] for r in rows} == {t.name for t in T.TARGETS}
    # Tiny samples may hold no hearing in a year (NaN share); every other row is ordered.
    finite = [r for r in rows if r["median"] != "nan"]
    assert len(finite) > 0.8 * len(rows)
    assert all(float(r["p5"]) <= float(r["median"]) <= float(r["p95"]) for r in finite)
    report = (tmp_path / "VALIDATION.md").read_text()
    assert all(t.label in report for t in T.TARGETS)
    assert "LA_FIT.md" in report


def test_la_fit_covers_every_la_and_year(validation, tmp_path):
    # The per-LA counts kept are those of the fit's months only, for every seed.
    assert validation.la.seeds == 2
    assert validation.la.dates[0] == dt.date(2019, 1, 1)
    assert validation.la.dates[-1] == dt.date(2023, 1, 1)
    la_fit = validation.la_fit
    assert la_fit.years() == [2019, 2020, 2021, 2022]
    assert la_fit.summary[("plans_per_pupil", 2022)].n >= 140
    write_validation(validation, tmp_path, "sendabm validate (test)")
    with (tmp_path / "la_fit.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == len(la_fit.rows())


def test_no_figures_unless_asked(validation, tmp_path):
    written = write_validation(validation, tmp_path, "sendabm validate (test)")
    assert {p.name for p in written} == {"fit.csv", "projection.csv", "VALIDATION.md",
                                         "la_fit.csv", "LA_FIT.md"}


def test_band_spans_the_seeds(validation):
    plans = validation.national["ehc_plans"]
    assert plans.shape[0] == 2 and not np.array_equal(plans[0], plans[1])


def test_out_that_is_a_file_is_rejected(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("x")
    assert main(["validate", "--out", str(target), "--seeds", "1", "--quiet"]) == 2
    assert "give a folder" in capsys.readouterr().err


def test_end_before_the_record_ends_is_rejected(capsys):
    assert main(["validate", "--end", "2020-08", "--quiet"]) == 2
    assert "2023-01" in capsys.readouterr().err
