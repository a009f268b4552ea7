"""Bad input to the ``sendabm`` command: exit status 2, one line on stderr naming the
problem and the fix, and nothing written (issue 17). Every case fails before any
simulation starts, so the suite is fast."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from sendabm.cli import main
from sendabm.core.scenario import load_scenario
from sendabm.experiments.results import check_writable, write_folder

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "experiments" / "scenarios" / "baseline.toml"
POLICY = ROOT / "experiments" / "scenarios" / "tribunal_remove.toml"


def files_under(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty current folder, so default outputs (results/...) would show up here."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def fails_cleanly(argv: list[str], capsys, workdir: Path, *words: str) -> str:
    """Run the command; check exit 2, one stderr line holding ``words``, nothing written."""
    before = files_under(workdir)
    assert main([str(a) for a in argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    for word in words:
        assert word in lines[0], lines[0]
    assert files_under(workdir) == before
    return lines[0]


def scenario_file(folder: Path, text: str) -> Path:
    path = folder / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- seeds ------------------------------------------------------------------------


def test_run_rejects_a_seed_option_above_64_bits(workdir, capsys):
    fails_cleanly(["run", BASELINE, "--seed", str(2**64), "--out", workdir / "o"], capsys,
                  workdir, str(2**64), "2**64 - 1")


def test_run_rejects_a_scenario_seed_above_64_bits(tmp_path, workdir, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    path = scenario_file(inputs, f'[scenario]\nname = "big"\n[run]\nseed = {2**70}\n')
    fails_cleanly(["run", path, "--out", workdir / "o"], capsys, workdir,
                  "bad.toml", str(2**70), "2**64 - 1")


def test_compare_rejects_replication_seeds_beyond_64_bits(workdir, capsys):
    inputs = workdir.parent / "in-compare"
    inputs.mkdir()
    base = scenario_file(inputs, f'[scenario]\nname = "top"\n[run]\nseed = {2**64 - 2}\n')
    fails_cleanly(["compare", base, POLICY, "--seeds", "3", "--end", "2030-08", "--out",
                   workdir / "o"], capsys, workdir, str(2**64), "fewer --seeds")


# --- output folders that cannot be written ------------------------------------------

SWEEP = ROOT / "experiments" / "sweeps" / "lhs_example.toml"

UNDER_A_FILE = [
    ["run", BASELINE, "--out"],
    ["compare", BASELINE, POLICY, "--seeds", "2", "--end", "2030-08", "--out"],
    ["sweep", SWEEP, "--store"],
]


@pytest.mark.parametrize("argv", UNDER_A_FILE, ids=["run", "compare", "sweep"])
def test_an_output_under_a_regular_file_fails_before_running(argv, workdir, capsys):
    (workdir / "afile").write_text("x")
    fails_cleanly([*argv, workdir / "afile" / "sub"], capsys, workdir,
                  "afile' is a file", "choose another " + argv[-1])


@pytest.mark.parametrize("argv", UNDER_A_FILE, ids=["run", "compare", "sweep"])
def test_an_output_under_proc_fails_before_running(argv, workdir, capsys):
    fails_cleanly([*argv, "/proc/sendabm-x/sub"], capsys, workdir,
                  "cannot write into '/proc/sendabm-x", "choose another " + argv[-1])


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
@pytest.mark.parametrize("argv", UNDER_A_FILE, ids=["run", "compare", "sweep"])
def test_an_output_in_a_read_only_folder_fails_before_running(argv, workdir, capsys):
    locked = workdir / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        fails_cleanly([*argv, locked / "out"], capsys, workdir,
                      "cannot write into", "choose another " + argv[-1])
    finally:
        locked.chmod(0o755)


def test_the_writability_check_leaves_nothing_behind(tmp_path):
    check_writable(tmp_path / "a" / "b" / "c", "--out")
    assert not any(tmp_path.iterdir())


# --- scenario paths and encodings ---------------------------------------------------


def test_a_directory_given_as_the_scenario_is_named_as_one(workdir, capsys):
    fails_cleanly(["run", BASELINE.parent, "--out", workdir / "o"], capsys, workdir,
                  "is a directory", ".toml file")


def test_a_scenario_with_a_byte_order_mark_reads_as_without(tmp_path):
    text = '[scenario]\nname = "bom"\n[run]\nseed = 5\n[parameters]\nneed_onset_per_year = 0.03\n'
    plain = tmp_path / "plain" / "s.toml"
    marked = tmp_path / "marked" / "s.toml"
    for path, data in ((plain, text.encode()), (marked, b"\xef\xbb\xbf" + text.encode())):
        path.parent.mkdir()
        path.write_bytes(data)
    assert load_scenario(marked).hash() == load_scenario(plain).hash()
    assert load_scenario(marked).run["seed"] == 5


def test_a_syntax_error_after_a_byte_order_mark_keeps_its_line(workdir, capsys):
    path = workdir.parent / "bom-bad.toml"
    path.write_bytes(b'\xef\xbb\xbf[scenario]\nname = "x"\nseed = = 1\n')
    fails_cleanly(["run", path, "--out", workdir / "o"], capsys, workdir,
                  "TOML syntax error", "line 3")


# --- leftovers of killed writers ----------------------------------------------------


def test_a_successful_write_removes_only_dead_writers_leftovers(tmp_path):
    ended = subprocess.Popen(["true"])  # started and waited for: its pid is free
    ended.wait()
    dead = [f".run-a.tmp-{2**22 + 1}", f".compare-b.tmp-{ended.pid}",
            f".run-c.old-{2**22 + 1}"]
    kept = [".run-d.tmp-1",  # pid 1 is always alive
            f".run-e.old-{2**22 + 1}",  # run-e is absent: this may be its only copy
            f".run-f.tmp-{os.getpid()}"]
    (tmp_path / "run-c").mkdir()
    for name in dead + kept:
        (tmp_path / name).mkdir()
        (tmp_path / name / "national.csv").write_text("partial")
    write_folder(tmp_path / "new", lambda out: None, lambda folder: (folder / "x").write_text("1"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["new", "run-c", *kept])
