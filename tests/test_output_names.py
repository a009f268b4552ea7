"""Default output folders stay under results/ whatever the scenario or sweep is called
(issue 17): a name such as ``../../x`` or ``/abs/x`` is made into one safe folder name."""

from __future__ import annotations

from pathlib import Path

import pytest

from sendabm.cli import main
from sendabm.experiments.compare_folder import default_out_dir
from sendabm.experiments.results import safe_name

SCENARIO = '[scenario]\nname = "{name}"\n[run]\nscale = 0.001\nend = "2014-10"\n'
SWEEP = """[sweep]
name = "{name}"
samples = 1
scale = 0.001
end = "2014-10"
policy_start = "2014-09"

[[levers]]
name = "right_first_time"
range = [0.0, 1.0]
"""


@pytest.mark.parametrize("name, safe", [
    ("../../x", "x"), ("/abs/x", "abs_x"), ("..", "output"), (".hidden", "hidden"),
    ("a b/c", "a_b_c"), ("baseline", "baseline"), ("tribunal_remove", "tribunal_remove"),
    ("v1.2+test", "v1.2+test")])
def test_safe_names(name, safe):
    assert safe_name(name) == safe


def test_compare_default_uses_the_same_rule():
    assert default_out_dir("../b", ["/p/q", ".."]) == Path("results/compare-b-vs-p_q-scenario")


@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_a_run_named_to_escape_stays_under_results(tmp_path, monkeypatch, absolute):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    # An absolute name inside tmp_path, so that a failure writes nowhere else.
    name = (tmp_path / "escaped").as_posix() if absolute else "../../../escaped"
    spec = tmp_path / "s.toml"
    spec.write_text(SCENARIO.format(name=name), encoding="utf-8")
    assert main(["run", str(spec), "--no-figures", "--quiet"]) == 0
    assert (work / "results" / safe_name(name) / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "s.toml"]


def test_a_sweep_named_to_escape_stays_under_results(tmp_path, monkeypatch):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    spec = tmp_path / "s.toml"
    spec.write_text(SWEEP.format(name="../../../escaped"), encoding="utf-8")
    assert main(["sweep", str(spec), "--workers", "1", "--quiet"]) == 0
    assert (work / "results" / "sweeps" / "escaped" / "manifest.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "s.toml"]
