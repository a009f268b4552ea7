"""``sendabm calibrate`` resumes faithfully (issue 17): a study stopped part way, or
killed with a trial left running, or killed while the priors ran, goes on to propose
exactly the candidates of an uninterrupted study with the same seed and budget, and
ends on the same best; the starting points are found by their role, not their number;
a bad specification or ``--study`` fails in one line before anything is written."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from sendabm.cli import main
from sendabm.core.parameters import PRIORS
from sendabm.experiments import calibrate

pytest.importorskip("optuna")

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 14  # past TPE's 10 random start-up trials, so its model-based proposals count

SPEC = """
[calibration]
name = "resume"
scale = 0.002
seeds = 1
trials = 14
end = "2016-12"
sampler_seed = 5

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
"""


def fake_evaluate(spec, values, pool, base=None):
    """A smooth stand-in for the model's score (the study's mechanics are under test)."""
    value = (math.log(values["request_base_per_month"] / 0.0011) ** 2
             + (values["wait_before_independent"] - 8) ** 2 / 10)
    return value, {"ehc_plans": value, "appeals_registered": 2 * value}


@pytest.fixture
def spec(tmp_path, monkeypatch):
    monkeypatch.setattr(calibrate, "evaluate", fake_evaluate)
    path = tmp_path / "spec.toml"
    path.write_text(SPEC, encoding="utf-8")
    return calibrate.load_spec(path)


def run(spec, study: Path, trials: int) -> calibrate.Result:
    return calibrate.run_study(spec, study, workers=1, trials=trials, progress=False)


def completed(study_dir: Path) -> list[tuple[dict, float, str | None]]:
    """(params, value, role) of the completed trials, in the order they were asked."""
    import optuna

    study = optuna.load_study(study_name="resume", storage=f"sqlite:///{study_dir / 'study.db'}")
    trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    return [(t.params, t.value, t.user_attrs.get(calibrate.START_POINT)) for t in trials]


def leave_running(spec, study_dir: Path) -> dict:
    """Ask the next trial as run_study would, then stop as a killed process would."""
    study = calibrate.open_study(spec, study_dir)
    _, values = calibrate.ask(study, spec)
    return values


def test_a_resumed_study_proposes_what_an_uninterrupted_one_does(spec, tmp_path):
    whole = run(spec, tmp_path / "whole", BUDGET)
    reference = completed(tmp_path / "whole")
    assert len(reference) == BUDGET
    assert [role for _, _, role in reference[:2]] == [calibrate.PRIORS_POINT,
                                                     calibrate.CURRENT_POINT]
    assert reference[0][0] == pytest.approx({k: PRIORS[k] for k in reference[0][0]})
    # Stopped by the budget after 5 trials, then resumed.
    run(spec, tmp_path / "stopped", 5)
    stopped = run(spec, tmp_path / "stopped", BUDGET)
    assert completed(tmp_path / "stopped") == reference
    # Killed with trial 6 running: it is marked failed and its candidate run again.
    run(spec, tmp_path / "killed", 6)
    abandoned = leave_running(spec, tmp_path / "killed")
    assert abandoned == reference[6][0]
    killed = run(spec, tmp_path / "killed", BUDGET)
    assert completed(tmp_path / "killed") == reference
    for result in (stopped, killed):
        assert (result.values, result.score, result.trials) == (whole.values, whole.score,
                                                                BUDGET)
        assert (result.prior_number, result.prior_score) == (0, whole.prior_score)
    assert killed.number == whole.number + (whole.number >= 6)  # the failed trial's number


def test_a_study_killed_while_the_priors_ran_runs_them_again(spec, tmp_path):
    whole = run(spec, tmp_path / "whole", BUDGET)
    abandoned = leave_running(spec, tmp_path / "killed")
    assert abandoned == pytest.approx({k: PRIORS[k] for k in abandoned})
    killed = run(spec, tmp_path / "killed", BUDGET)
    trials, reference = completed(tmp_path / "killed"), completed(tmp_path / "whole")
    # The defaults were queued second and run first; the priors come back after them.
    assert [role for _, _, role in trials[:2]] == [calibrate.CURRENT_POINT,
                                                  calibrate.PRIORS_POINT]
    assert sorted(trials[:2], key=str) == sorted(reference[:2], key=str)
    assert trials[2:] == reference[2:]
    assert [role for _, _, role in trials].count(calibrate.PRIORS_POINT) == 1
    assert (killed.values, killed.score) == (whole.values, whole.score)
    assert (killed.prior_number, killed.current_number) == (2, 1)
    assert killed.prior_score == whole.prior_score
    text = calibrate.report_text(killed, spec, {"command": "c", "date": "d", "spec": "s"})
    assert "trial 2 is the priors, trial 1 the defaults shipped" in text
    assert f"{killed.prior_score:.1f}% for the priors (trial 2)" in text


def test_the_report_of_a_study_begun_before_roles_finds_its_priors():
    import optuna

    # Read only: the shipped study, made when the starting points had no role recorded.
    study = optuna.load_study(study_name="baseline", storage="sqlite:///"
                              f"{ROOT / 'results' / 'calibration' / 'study' / 'study.db'}")
    result = calibrate.best_result(study, calibrate.load_spec().bounds)
    assert (result.prior_number, result.current_number) == (0, 1)
    assert result.prior_score == pytest.approx(study.trials[0].value)


@pytest.mark.slow
def test_a_trial_left_running_by_the_model_is_run_again(tmp_path):
    """The same with the model itself, through the command line."""
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(SPEC.replace("trials = 14", "trials = 3"), encoding="utf-8")
    spec = calibrate.load_spec(spec_file)
    study = tmp_path / "study"
    calibrate.run_study(spec, study, workers=1, trials=2, progress=False)
    abandoned = leave_running(spec, study)
    done = subprocess.run([sys.executable, "-m", "sendabm.cli", "calibrate", "--spec",
                           str(spec_file), "--study", str(study), "--workers", "1",
                           "--skip-las", "--quiet"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    import optuna

    trials = optuna.load_study(study_name="resume",
                               storage=f"sqlite:///{study / 'study.db'}").trials
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE", "FAIL", "COMPLETE"]
    assert trials[3].params == abandoned and trials[3].user_attrs["requeued_from"] == 2
    assert "trial 0 is the priors, trial 1 the defaults" in (study / "REPORT.md").read_text()


# --- bad input: one line, exit 2, nothing written ------------------------------------

GOOD = SPEC


@pytest.mark.parametrize("text, words", [
    ("weights = 5\n" + GOOD.replace("[weights]\nehc_plans = 1.0\nappeals_registered = 1.0",
                                    ""), ["'weights' in", "must be a [weights] table"]),
    (GOOD.replace("ehc_plans = 1.0\nappeals_registered = 1.0",
                  "ehc_plans = 0.0\nappeals_registered = 0"), ["are all 0", "positive weight"]),
    (GOOD.replace('end = "2016-12"', 'end = "2016-13"'), ["spec.toml", "2016-13"]),
    (GOOD.replace('sampler_seed = 5', 'sampler_seed = 5\nscenario = "nowhere.toml"'),
     ["spec.toml", "nowhere.toml"]),
    (GOOD.replace("sampler_seed = 5", f"sampler_seed = {2**40}"), ["sampler_seed", "range"]),
    (GOOD + '[[parameters]]\nname = "wait_before_independent"\nlow = 4\nhigh = 6\n',
     ["listed twice"]),
    ("calibration = 5\n", ["must be a [calibration] table"]),
    ("parameters = 3\n", ["must be written as [[parameters]] tables"]),
])
def test_a_bad_spec_fails_before_a_study_is_made(tmp_path, capsys, text, words):
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    study = tmp_path / "study"
    assert main(["calibrate", "--spec", str(path), "--study", str(study), "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0], lines[0]
    assert not study.exists()


def test_a_spec_that_is_not_utf8_is_one_line(tmp_path, capsys):
    path = tmp_path / "spec.toml"
    path.write_bytes(GOOD.replace('"resume"', '"r\xe9sum\xe9"').encode("latin-1"))
    assert main(["calibrate", "--spec", str(path), "--study", str(tmp_path / "s")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert "not valid UTF-8" in lines[0] and "save the file as UTF-8" in lines[0]
    assert not (tmp_path / "s").exists()


def test_a_spec_with_a_byte_order_mark_reads_as_without(tmp_path):
    plain, marked = tmp_path / "plain.toml", tmp_path / "marked.toml"
    plain.write_text(GOOD, encoding="utf-8")
    marked.write_bytes(b"\xef\xbb\xbf" + GOOD.encode("utf-8"))
    assert calibrate.load_spec(marked).parameters == calibrate.load_spec(plain).parameters


@pytest.mark.parametrize("las_only", [False, True])
def test_a_study_that_is_a_file_is_one_line(tmp_path, capsys, las_only):
    spec = tmp_path / "spec.toml"
    spec.write_text(GOOD, encoding="utf-8")
    (tmp_path / "afile").write_text("x")
    argv = ["calibrate", "--spec", str(spec), "--study", str(tmp_path / "afile")]
    assert main(argv + (["--las-only"] if las_only else [])) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "afile' is a file" in lines[0] and "give a folder" in lines[0]
    assert (tmp_path / "afile").read_text() == "x"


def test_a_study_file_replaced_mid_run_stops_in_one_line(spec, tmp_path, monkeypatch,
                                                         capsys):
    """A git checkout or a copy over ``study.db`` while the study runs leaves its open
    connection writing to a replaced file: one line naming the file, not a traceback."""
    study_dir = tmp_path / "study"
    calls = {"n": 0}

    def replacing(spec_, values, pool, base=None):
        calls["n"] += 1
        if calls["n"] == 3:
            db = study_dir / "study.db"
            data = db.read_bytes()
            db.unlink()
            db.write_bytes(data)  # a new file where the open one was
        return fake_evaluate(spec_, values, pool, base)

    monkeypatch.setattr(calibrate, "evaluate", replacing)
    code = main(["calibrate", "--spec", str(tmp_path / "spec.toml"), "--study", str(study_dir),
                 "--skip-las", "--quiet", "--workers", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "cannot write the study" in err[0] and "--study" in err[0], err
