"""Optional extras: the core install runs, compares and reports without any of them, and a
command that needs a missing one says which to install in one line and exits 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sendabm.cli import main
from sendabm.experiments import extras

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"

CORE_COMMANDS = r"""
import json, sys
from pathlib import Path
import sendabm.cli, sendabm.experiments.run
from sendabm.cli import main
base, out = sys.argv[1], Path(sys.argv[2])
policy = out / "policy.toml"
policy.write_text(f'[scenario]\nname = "policy"\ninherits = "{base}"\n[[policies]]\n'
                  'name = "tribunal"\nstart = "2014-10"\nmode = "remove"\n')
tiny = ["--scale", "0.001", "--end", "2014-11"]
assert main(["run", base, *tiny, "--out", str(out / "run"), "--quiet"]) == 0
assert main(["compare", base, str(policy), "--seeds", "1", "--workers", "1", *tiny,
             "--out", str(out / "cmp"), "--quiet"]) == 0
assert main(["report", str(out / "run")]) == 0
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _requirement_names(requirements: list[str]) -> list[str]:
    return [re.split(r"[<>=!~;\s]", r, maxsplit=1)[0] for r in requirements]


def test_the_extras_are_the_ones_pyproject_declares():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    optional = declared["optional-dependencies"]
    for extra, packages in extras.EXTRAS.items():
        assert _requirement_names(optional[extra]) == list(packages), extra
    assert set(optional) == {*extras.EXTRAS, "test"}
    assert f"sendabm[{','.join(extras.EXTRAS)}]" in optional["test"], (
        "the test extra must install every other extra")
    core = set(_requirement_names(declared["dependencies"]))
    assert not core & {p for packages in extras.EXTRAS.values() for p in packages}


@pytest.mark.slow
def test_run_compare_and_report_import_no_extra(tmp_path):
    done = subprocess.run([sys.executable, "-c", CORE_COMMANDS, str(BASELINE), str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    imported = set(json.loads(done.stdout.splitlines()[-1]))
    optional = {module for packages in extras.EXTRAS.values() for module in packages.values()}
    optional -= {"pandas"}  # Mesa's core imports pandas itself
    assert not imported & optional, f"a core command imported {sorted(imported & optional)}"


def _without(monkeypatch, extra: str) -> None:
    """Pretend every package of ``extra`` is missing."""
    monkeypatch.setitem(extras.EXTRAS, extra, {name: f"{module}_not_installed"
                                               for name, module in extras.EXTRAS[extra].items()})


def _one_line_error(capsys, extra: str) -> None:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert f'pip install "sendabm[{extra}]"' in lines[0], lines[0]
    assert f'pip install -e ".[{extra}]"' in lines[0], lines[0]


@pytest.mark.parametrize(("extra", "argv"), [
    ("calibrate", ["calibrate", "--trials", "1", "--study", "{tmp}/study", "--quiet"]),
    ("dask", ["sweep", str(ROOT / "experiments/sweeps/lhs_example.toml"), "--engine", "dask",
              "--store", "{tmp}/store", "--quiet"]),
    ("sensitivity", ["sweep", "{tmp}/sobol.toml", "--store", "{tmp}/store", "--quiet"]),
    ("dashboard", ["dashboard", "--port", "1"]),
])
def test_a_missing_extra_is_one_line_and_exit_2(extra, argv, tmp_path, monkeypatch, capsys):
    (tmp_path / "sobol.toml").write_text(
        '[sweep]\nname = "s"\ndesign = "sobol"\nsamples = 2\nscale = 0.001\nend = "2015-02"\n'
        'policy_start = "2015-01"\n[[levers]]\nname = "right_first_time"\nrange = [0.0, 1.0]\n')
    _without(monkeypatch, extra)
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    _one_line_error(capsys, extra)
    assert not (tmp_path / "store" / "runs").exists() and not (tmp_path / "study").exists()

