"""``sendabm calibrate`` end to end on a tiny budget, its resumable study, its bad-input
errors, and the calibrated set the package ships as its defaults."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sendabm.cli import main
from sendabm.core import calibrated
from sendabm.core.parameters import PARAMETERS, PRIORS
from sendabm.experiments import calibrate

ROOT = Path(__file__).resolve().parents[1]

TINY_SPEC = """
[calibration]
name = "tiny"
scale = 0.002
seeds = 2
trials = 3
end = "2016-12"
sampler_seed = 3

[weights]
ehc_plans = 1.0
appeals_registered = 1.0

[[parameters]]
name = "request_base_per_month"
low = 0.0005
high = 0.003
log = true

[[parameters]]
name = "wait_before_independent"
low = 3
high = 12

# The LA offsets' fit after the study, as small as the study (its defaults run 64 runs
# at scale 0.05: minutes, for a test of the command's plumbing).
[las]
scale = 0.002
seeds = 1
iterations = 1
"""


def sendabm(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sendabm.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def study_trials(study: Path) -> int:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return len(optuna.load_study(study_name="tiny",
                                 storage=f"sqlite:///{study / 'study.db'}").trials)


@pytest.mark.slow
def test_tiny_calibration_runs_end_to_end_and_resumes(tmp_path):
    spec = tmp_path / "spec.toml"
    spec.write_text(TINY_SPEC)
    study = tmp_path / "study"
    done = sendabm("calibrate", "--spec", str(spec), "--study", str(study), "--workers", "1",
                   "--quiet")
    assert done.returncode == 0, done.stderr
    assert study_trials(study) == 3
    values = tomllib.loads((study / "calibrated.toml").read_text())
    assert values["calibration"]["trials"] == 3
    assert "sendabm calibrate" in values["calibration"]["command"]
    assert 0.0005 <= values["parameters"]["request_base_per_month"] <= 0.003
    assert isinstance(values["parameters"]["wait_before_independent"], int)
    report = (study / "REPORT.md").read_text()
    assert "EHC plans" in report and "calibrated" in report
    # The LA offsets' fit follows, on the spec's tiny [las] budget (one step).
    assert (study / "la_dispositions.csv").is_file() and "## LA offsets" in report
    # The same command with a larger budget resumes: only the missing trial runs.
    more = sendabm("calibrate", "--spec", str(spec), "--study", str(study), "--workers", "1",
                   "--trials", "4", "--quiet")
    assert more.returncode == 0, more.stderr
    assert study_trials(study) == 4


def test_first_trial_is_the_prior(tmp_path):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(TINY_SPEC)
    spec = calibrate.load_spec(spec_file)
    study = calibrate.open_study(spec, tmp_path / "study")
    trial = study.ask()
    values = calibrate.suggest(trial, spec)
    assert values["request_base_per_month"] == pytest.approx(PRIORS["request_base_per_month"])


def test_start_plans_is_off_unless_the_spec_asks(tmp_path):
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(TINY_SPEC)
    assert calibrate.load_spec(spec_file).las["start_plans"] is False
    spec_file.write_text(TINY_SPEC.replace("iterations = 1", "iterations = 1\nstart_plans = true"))
    assert calibrate.load_spec(spec_file).las["start_plans"] is True


@pytest.mark.parametrize("change, message", [
    (('name = "request_base_per_month"', 'name = "no_such_parameter"'), "not a numeric model"),
    (("low = 0.0005", "low = -1.0"), "out of range"),
    (("ehc_plans = 1.0", "ehc_plan = 1.0"), "unknown target"),
    (("seeds = 2", "seedz = 2"), "unknown [calibration] key"),
    (("high = 12", "high = 2"), "must be below high"),
    (("iterations = 1", "iterations = 1\nstart_plans = 1"), "must be true or false"),
    (("iterations = 1", "iterations = 1\nyearly = \"yes\""), "yearly = 'yes'"),
    (("iterations = 1", "iterations = 1\nyearly = [\"staff\"]"), "must be a list of distinct"),
    (("iterations = 1", "iterations = 1\nstanding = 0"), "standing = 0"),
])
def test_bad_spec_is_one_line_error(tmp_path, capsys, change, message):
    spec = tmp_path / "spec.toml"
    spec.write_text(TINY_SPEC.replace(*change))
    code = main(["calibrate", "--spec", str(spec), "--study", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert not (tmp_path / "s").exists()


def test_missing_spec_is_one_line_error(tmp_path, capsys):
    code = main(["calibrate", "--spec", str(tmp_path / "nope.toml")])
    err = capsys.readouterr().err
    assert code == 2 and "not found" in err and len(err.strip().splitlines()) == 1


def test_shipped_calibrated_set_is_the_default():
    info, values = calibrated.load()
    assert values, "sendabm/data/calibrated.toml is missing"
    assert {"command", "date", "trials", "seeds", "scale"} <= set(info)
    spec = calibrate.load_spec()
    fitted = {fp.name: fp for fp in spec.parameters}
    assert set(values) == set(fitted)
    for name, value in values.items():
        param = PARAMETERS[name]
        assert param.default == pytest.approx(value)
        assert param.check(param.default) is None
        assert fitted[name].low <= value <= fitted[name].high
        assert param.source.startswith("calibrated")
