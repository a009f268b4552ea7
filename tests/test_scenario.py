"""Tests for sendabm.core.scenario: loading, inheritance, validation messages and hashing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sendabm.core import parameters, scenario
from sendabm.core.scenario import (
    RUN_DEFAULTS,
    Scenario,
    ScenarioError,
    baseline_path,
    default_scenario,
    load_scenario,
)

REPO = Path(__file__).resolve().parents[1]

MINIMAL = '[scenario]\nname = "t"\n'
TO_2030 = MINIMAL + '[run]\nend = "2030-08"\n'
"""A scenario whose run covers the policies these tests start in 2026 and 2027."""


@pytest.fixture(autouse=True)
def any_policy_name(monkeypatch):
    """These tests exercise the file format, so any policy name is accepted here;
    the real levers' validation is tested in test_policies.py."""
    monkeypatch.setattr(scenario, "POLICY_VALIDATOR", lambda policy: None)


def write(directory: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``directory/name`` and return the path."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    """Load ``path``, expecting a ScenarioError; return its (checked one-line) message."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message and message.strip() == message
    return message


# --- loading --------------------------------------------------------------------------


def test_minimal_file_gets_run_defaults_and_parameter_defaults(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, "t.toml", MINIMAL))
    assert sc.name == "t"
    assert sc.description == ""
    assert sc.path == (tmp_path / "t.toml").resolve()
    assert sc.run == RUN_DEFAULTS
    assert sc.parameters == parameters.defaults()
    assert sc.overrides == {}
    assert sc.policies == ()


def test_parameters_overlay_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "t.toml", MINIMAL + "[parameters]\nneed_onset_per_year = 0.02\n")
    sc = load_scenario(path)
    assert sc.overrides == {"need_onset_per_year": 0.02}
    assert sc.parameters["need_onset_per_year"] == 0.02
    assert set(sc.parameters) == set(parameters.PARAMETERS)


def test_load_accepts_str_path(tmp_path: Path) -> None:
    path = write(tmp_path, "t.toml", MINIMAL)
    assert load_scenario(str(path)) == load_scenario(path)


def test_policies_keep_extra_keys_and_strength_as_float(tmp_path: Path) -> None:
    # The default strength is the lever check's to fill (test_policies.py): a lever
    # without a strength gets none.
    text = TO_2030 + (
        '[[policies]]\nname = "a"\nstart = "2026-09"\nlevel = 3\n'
        '[[policies]]\nname = "b"\nstart = "2027-01"\nstrength = 1\n'
    )
    sc = load_scenario(write(tmp_path, "t.toml", text))
    assert sc.policies == (
        {"name": "a", "start": "2026-09", "level": 3},
        {"name": "b", "start": "2027-01", "strength": 1.0},
    )
    assert isinstance(sc.policies[1]["strength"], float)


def test_policy_validator_hook_is_called_and_errors_are_prefixed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict] = []

    def validator(policy: dict) -> None:
        seen.append(policy)
        if policy["name"] != "known":
            raise ValueError(f"unknown policy '{policy['name']}'; valid: known")

    monkeypatch.setattr(scenario, "POLICY_VALIDATOR", validator)
    ok = write(tmp_path, "ok.toml", TO_2030 + '[[policies]]\nname = "known"\nstart = "2026-09"\n')
    load_scenario(ok)
    assert seen == [{"name": "known", "start": "2026-09"}]
    bad = write(tmp_path, "bad.toml", TO_2030 + '[[policies]]\nname = "nope"\nstart = "2026-09"\n')
    message = error_of(bad)
    assert message.startswith("bad.toml: [[policies]] #1 ('nope'): unknown policy 'nope'")


# --- inheritance ----------------------------------------------------------------------


def test_inheritance_overrides_key_by_key_and_concatenates_policies(tmp_path: Path) -> None:
    write(tmp_path, "base/parent.toml", (
        '[scenario]\nname = "parent"\ndescription = "parent text"\n'
        '[run]\nend = "2030-08"\nscale = 0.05\nseed = 7\n'
        "[parameters]\nneed_onset_per_year = 0.02\ntrust_initial = 0.5\n"
        '[[policies]]\nname = "p1"\nstart = "2026-09"\n'
    ))
    child = write(tmp_path, "runs/child.toml", (
        '[scenario]\nname = "child"\ninherits = "../base/parent.toml"\n'
        "[run]\nseed = 9\n"
        "[parameters]\ntrust_initial = 0.6\n"
        '[[policies]]\nname = "c1"\nstart = "2027-09"\nstrength = 0.25\n'
    ))
    sc = load_scenario(child)
    assert sc.name == "child"
    assert sc.description == ""  # description comes from the child, not the parent
    assert sc.run == {"start": "2014-09", "end": "2030-08", "scale": 0.05, "seed": 9}
    assert sc.overrides == {"need_onset_per_year": 0.02, "trust_initial": 0.6}
    assert sc.parameters["trust_initial"] == 0.6
    assert [p["name"] for p in sc.policies] == ["p1", "c1"]


PARENT = TO_2030.replace('"t"', '"parent"') + (
    '[[policies]]\nname = "a"\nstart = "2026-09"\nstrength = 0.5\nlevel = 3\n'
    '[[policies]]\nname = "b"\nstart = "2026-09"\n')


def test_one_entry_per_lever_in_a_file(tmp_path: Path) -> None:
    path = write(tmp_path, "t.toml", MINIMAL + (
        '[[policies]]\nname = "a"\nstart = "2026-09"\n'
        '[[policies]]\nname = "b"\nstart = "2026-09"\n'
        '[[policies]]\nname = "a"\nstart = "2027-09"\nstrength = 0.5\n'))
    message = error_of(path)
    assert message.startswith("t.toml: [[policies]] #3 ('a') sets the same lever as "
                              "[[policies]] #1")
    assert "one entry per lever" in message


def test_a_child_cannot_set_its_parents_lever_again_without_override(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml", '[scenario]\nname = "c"\ninherits = "parent.toml"\n'
                  '[[policies]]\nname = "a"\nstart = "2027-09"\n')
    message = error_of(child)
    assert message.startswith("child.toml: [[policies]] #1 ('a'): 'a' is already set by "
                              "parent.toml")
    assert "override = true" in message


def test_a_childs_override_replaces_the_parents_whole_entry(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml", '[scenario]\nname = "c"\ninherits = "parent.toml"\n'
                  '[[policies]]\nname = "a"\nstart = "2027-09"\noverride = true\n'
                  '[[policies]]\nname = "c"\nstart = "2027-09"\n')
    sc = load_scenario(child)
    # The parent's strength and option are not kept, and the entry keeps its place.
    assert sc.policies == ({"name": "a", "start": "2027-09"},
                           {"name": "b", "start": "2026-09"},
                           {"name": "c", "start": "2027-09"})


@pytest.mark.parametrize("entry, words", [
    ('name = "c"\nstart = "2027-09"\noverride = true\n',
     ["child.toml: [[policies]] #1 ('c') has override = true", "no parent sets 'c'",
      "remove override = true"]),
    ('name = "a"\nstart = "2027-09"\noverride = 1\n',
     ["child.toml: [[policies]] #1 ('a') override = 1", "true or false"]),
])
def test_bad_overrides_give_one_line_messages(tmp_path: Path, entry: str,
                                              words: list[str]) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml", '[scenario]\nname = "c"\ninherits = "parent.toml"\n'
                  '[[policies]]\n' + entry)
    message = error_of(child)
    for word in words:
        assert word in message, message


def test_with_policies_follows_the_child_rules(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, "parent.toml", PARENT))
    added = sc.with_policies([{"name": "c", "start": "2027-09", "strength": 1}])
    assert [p["name"] for p in added.policies] == ["a", "b", "c"]
    assert added.policies[2]["strength"] == 1.0 and sc.policies == added.policies[:2]
    with pytest.raises(ScenarioError, match=r"^extra: \[\[policies\]\] #1 \('b'\): 'b' is "
                                            r"already set by parent.toml; add override"):
        sc.with_policies([{"name": "b", "start": "2027-09"}], where="extra")
    replaced = sc.with_policies([{"name": "b", "start": "2028-09", "override": True}])
    assert replaced.policies[1] == {"name": "b", "start": "2028-09"}
    with pytest.raises(ScenarioError, match="start"):
        sc.with_policies([{"name": "c", "start": "2050-01"}])


def test_inheritance_chain_resolves_relative_to_each_file(tmp_path: Path) -> None:
    write(tmp_path, "a/b/grand.toml", '[scenario]\nname = "g"\n[run]\nscale = 0.2\n')
    write(tmp_path, "a/parent.toml",
          '[scenario]\nname = "p"\ninherits = "b/grand.toml"\n[run]\nseed = 3\n')
    child = write(tmp_path, "child.toml", '[scenario]\nname = "c"\ninherits = "a/parent.toml"\n')
    sc = load_scenario(child)
    assert sc.run["scale"] == 0.2 and sc.run["seed"] == 3


def test_inheriting_the_baseline_reproduces_it(tmp_path: Path) -> None:
    child = write(tmp_path, "c.toml",
                  f'[scenario]\nname = "baseline"\ninherits = "{baseline_path().as_posix()}"\n')
    sc = load_scenario(child)
    assert sc.run == default_scenario().run
    assert sc.hash() == default_scenario().hash()


def test_inheritance_cycle_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", '[scenario]\nname = "a"\ninherits = "b.toml"\n')
    write(tmp_path, "b.toml", '[scenario]\nname = "b"\ninherits = "a.toml"\n')
    message = error_of(tmp_path / "a.toml")
    assert "cycle" in message and "a.toml -> b.toml -> a.toml" in message


def test_self_inheritance_is_a_cycle(tmp_path: Path) -> None:
    path = write(tmp_path, "s.toml", '[scenario]\nname = "s"\ninherits = "s.toml"\n')
    assert "cycle" in error_of(path)


def test_missing_parent_file(tmp_path: Path) -> None:
    path = write(tmp_path, "c.toml", '[scenario]\nname = "c"\ninherits = "nope.toml"\n')
    message = error_of(path)
    assert message.startswith("c.toml: [scenario] inherits = 'nope.toml'")
    assert "not found" in message


def test_error_in_parent_names_the_parent_file(tmp_path: Path) -> None:
    write(tmp_path, "p.toml", MINIMAL + "[parameters]\nneed_onset = 0.1\n")
    child = write(tmp_path, "c.toml", '[scenario]\nname = "c"\ninherits = "p.toml"\n')
    assert error_of(child).startswith("p.toml: unknown parameter 'need_onset'")


def test_end_before_inherited_start_is_checked_after_merging(tmp_path: Path) -> None:
    write(tmp_path, "p.toml", MINIMAL + '[run]\nstart = "2014-09"\n')
    child = write(tmp_path, "c.toml",
                  '[scenario]\nname = "c"\ninherits = "p.toml"\n[run]\nend = "2014-09"\n')
    message = error_of(child)
    assert message.startswith("c.toml:") and "end" in message and "start" in message


# --- error messages -------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    message = error_of(tmp_path / "x.toml")
    assert "not found" in message and "x.toml" in message
    assert "experiments/scenarios/baseline.toml" in message


def test_toml_syntax_error_gives_line_number(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", MINIMAL + "[run\nseed = 1\n")
    message = error_of(path)
    assert message.startswith("bad.toml: TOML syntax error") and "line 3" in message


def test_toml_syntax_error_at_end_of_document_still_gives_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", MINIMAL + "[run]\nseed = ")
    assert "line 4" in error_of(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (MINIMAL + "[runs]\nseed = 1\n",
         ["unknown top-level", "'runs'", "scenario, run, parameters, policies"]),
        ('name = "t"\n' + MINIMAL, ["'name'", "valid sections"]),
        ("run = 1\n" + MINIMAL, ["'run'", "must be a [run] section"]),
        (MINIMAL + "seed = 1\n", ["[scenario]", "'seed'", "belongs under [run]"]),
        (MINIMAL + "[run]\ntrust_initial = 0.5\n", ["'trust_initial'", "under [parameters]"]),
        (MINIMAL + 'nmae = "x"\n', ["unknown [scenario] key 'nmae'", "did you mean name"]),
        (MINIMAL + "[run]\nsede = 1\n", ["unknown [run] key 'sede'", "did you mean seed"]),
        (MINIMAL + "[run]\nzzz = 1\n", ["'zzz'", "start", "end", "scale", "seed"]),
        (MINIMAL + "[parameters]\nneed_onset = 0.1\n",
         ["t.toml: unknown parameter 'need_onset'; did you mean need_onset_per_year"]),
        (MINIMAL + "[parameters]\nneed_onset_per_year = 0.9\n",
         ["need_onset_per_year", "0.9", "out of range", "[0.0, 0.2]"]),
        (MINIMAL + "[parameters]\nneed_onset_per_year = nan\n",
         ["need_onset_per_year", "nan", "finite"]),
        (MINIMAL + '[parameters]\nneed_onset_per_year = "x"\n',
         ["need_onset_per_year", "must be a number"]),
        (MINIMAL + "[parameters]\nmonths_to_hearing_min = 4.5\n",
         ["months_to_hearing_min", "4.5", "whole number"]),
        (MINIMAL + "[parameters]\nstatutory_override_end = 2028\n",
         ["statutory_override_end", "YYYY-MM"]),
        (MINIMAL + "[run]\nscale = 2.0\n", ["scale", "2.0", "0.001 <= scale <= 1.0"]),
        (MINIMAL + "[run]\nscale = 0.0001\n", ["scale", "0.0001", "out of range"]),
        (MINIMAL + '[run]\nscale = "big"\n', ["scale", "must be a number", "'big'"]),
        (MINIMAL + "[run]\nscale = true\n", ["scale", "must be a number"]),
        (MINIMAL + "[run]\nseed = -1\n", ["seed", "-1", "0 to 2**64 - 1"]),
        (MINIMAL + "[run]\nseed = 1.5\n", ["seed", "whole number", "1.5"]),
        (MINIMAL + '[run]\nend = "2025-13"\n', ["[run] end", "'2025-13'", "YYYY-MM"]),
        (MINIMAL + '[run]\nend = "2025-8"\n', ["[run] end", "YYYY-MM"]),
        (MINIMAL + "[run]\nend = 2025-08-01\n", ["[run] end", "in quotes", '"2025-08"']),
        (MINIMAL + '[run]\nend = "2041-01"\n', ["[run] end", "'2041-01'", '"2040-08"']),
        (MINIMAL + '[run]\nend = "2014-08"\n', ["[run] end", "'2014-08'", "not after start"]),
        (MINIMAL + '[run]\nstart = "2016-09"\n', ["[run] start", "'2016-09'", '"2014-09"']),
        ('[scenario]\ndescription = "x"\n', ["missing [scenario] name", "name ="]),
        ("[run]\nseed = 1\n", ["missing [scenario]"]),
        ('[scenario]\nname = ""\n', ["[scenario] name", "non-empty"]),
        ("[scenario]\nname = 3\n", ["[scenario] name", "string"]),
        (MINIMAL + "description = 3\n", ["[scenario] description", "string"]),
        (MINIMAL + "inherits = 3\n", ["[scenario] inherits", "path"]),
        (MINIMAL + "[policies]\nname = 'x'\n", ["policies", "[[policies]]"]),
        (MINIMAL + '[[policies]]\nstart = "2026-09"\n', ["[[policies]] #1", "name"]),
        (MINIMAL + '[[policies]]\nname = "p"\n', ["[[policies]] #1 ('p')", "start"]),
        (MINIMAL + '[[policies]]\nname = "p"\nstart = "soon"\n',
         ["[[policies]] #1 ('p') start", "'soon'", "YYYY-MM"]),
        (MINIMAL + '[[policies]]\nname = "p"\nstart = "2014-08"\n',
         ["[[policies]] #1 ('p') start = '2014-08'", "outside the model's calendar",
          '"2014-09" to "2040-08"']),
        (MINIMAL + '[[policies]]\nname = "p"\nstart = "2040-09"\n',
         ["[[policies]] #1 ('p') start = '2040-09'", "calendar"]),
        (MINIMAL + '[[policies]]\nname = "p"\nstart = "2026-09"\nstrength = 1.5\n',
         ["strength", "1.5", "0 <= strength <= 1"]),
        (MINIMAL + '[[policies]]\nname = "p"\nstart = "2026-09"\nstrength = "full"\n',
         ["strength", "must be a number", "'full'"]),
        ("policies = [1]\n" + MINIMAL, ["[[policies]] #1", "table"]),
        ("policies = 1\n" + MINIMAL, ["'policies'", "[[policies]]"]),
    ],
)
def test_invalid_files_give_one_line_messages(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    message = error_of(write(tmp_path, "t.toml", text))
    assert message.startswith("t.toml: ")
    for fragment in expected:
        assert fragment in message, (fragment, message)


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_bytes(b'[scenario]\nname = "\xff"\n')
    assert "UTF-8" in error_of(path)


# --- hashing, copies, serialisation ---------------------------------------------------


def test_hash_is_short_hex_and_ignores_description_and_path(tmp_path: Path) -> None:
    a = load_scenario(write(tmp_path, "a/t.toml", MINIMAL + 'description = "one"\n'))
    b = load_scenario(write(tmp_path, "b/t.toml", MINIMAL + 'description = "two"\n'))
    assert len(a.hash()) == 16 and int(a.hash(), 16) >= 0
    assert a.hash() == b.hash()


def test_hash_changes_with_content(tmp_path: Path) -> None:
    base = load_scenario(write(tmp_path, "t.toml", MINIMAL))
    changed = base.with_overrides(parameters={"need_onset_per_year": 0.02})
    assert changed.hash() != base.hash()
    assert base.with_overrides(run={"seed": 5}).hash() != base.hash()
    renamed = load_scenario(write(tmp_path, "u.toml", '[scenario]\nname = "u"\n'))
    assert renamed.hash() != base.hash()


def test_int_and_float_spellings_hash_the_same(tmp_path: Path) -> None:
    a = load_scenario(write(tmp_path, "a.toml", MINIMAL + "[run]\nscale = 1\n"
                            "[parameters]\ntopup_rate = 1\nmonths_to_hearing_min = 5.0\n"))
    b = load_scenario(write(tmp_path, "b.toml", MINIMAL + "[run]\nscale = 1.0\n"
                            "[parameters]\ntopup_rate = 1.0\nmonths_to_hearing_min = 5\n"))
    assert a.hash() == b.hash()
    assert isinstance(a.parameters["months_to_hearing_min"], int)


def test_hash_is_stable_across_python_processes() -> None:
    code = "from sendabm.core.scenario import default_scenario; print(default_scenario().hash())"
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == default_scenario().hash()


def test_with_overrides_returns_validated_copy() -> None:
    base = default_scenario()
    new = base.with_overrides(run={"seed": 4, "scale": 0.05, "end": "2030-08"},
                              parameters={"trust_initial": 0.5})
    assert new.run == {"start": "2014-09", "end": "2030-08", "scale": 0.05, "seed": 4}
    assert new.parameters["trust_initial"] == 0.5 and new.overrides == {"trust_initial": 0.5}
    assert base == default_scenario()  # unchanged
    assert base.with_overrides(run={"seed": None, "scale": None}) == base


@pytest.mark.parametrize(
    ("run", "params", "fragment"),
    [
        ({"scale": 2.0}, None, "scale"),
        ({"seed": -3}, None, "seed"),
        ({"end": "2014-06"}, None, "end"),
        ({"end": "2099-01"}, None, "end"),
        ({"steps": 4}, None, "'steps'"),
        (None, {"need_onset": 0.1}, "need_onset"),
        (None, {"trust_initial": 1.5}, "trust_initial"),
    ],
)
def test_with_overrides_rejects_invalid(run: dict | None, params: dict | None,
                                        fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        default_scenario().with_overrides(run=run, parameters=params)
    message = str(info.value)
    assert "\n" not in message and fragment in message and message.startswith("override: ")


@settings(max_examples=40, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_with_overrides_accepts_scale_exactly_in_range(scale: float) -> None:
    if 0.001 <= scale <= 1.0:
        assert default_scenario().with_overrides(run={"scale": scale}).run["scale"] == scale
    else:
        with pytest.raises(ScenarioError):
            default_scenario().with_overrides(run={"scale": scale})


def test_to_dict_is_json_serialisable(tmp_path: Path) -> None:
    text = TO_2030 + '[[policies]]\nname = "p"\nstart = "2026-09"\nwhen = 2026-09-01\n'
    sc = load_scenario(write(tmp_path, "t.toml", text))
    data = json.loads(json.dumps(sc.to_dict()))
    assert data["name"] == "t" and data["hash"] == sc.hash()
    assert data["path"] == str(sc.path)
    assert data["policies"][0]["when"] == "2026-09-01"
    assert set(data) >= {"description", "run", "parameters", "overrides"}


def test_scenarios_are_hashable_and_compare_by_content() -> None:
    assert hash(default_scenario()) == hash(default_scenario())
    assert default_scenario() != default_scenario().with_overrides(run={"seed": 2})


# --- baseline -------------------------------------------------------------------------


def test_baseline_files_are_byte_identical() -> None:
    repo_copy = REPO / "experiments" / "scenarios" / "baseline.toml"
    assert baseline_path().read_bytes() == repo_copy.read_bytes()


def test_baseline_path_is_the_package_copy() -> None:
    path = baseline_path()
    assert path.is_file()
    assert path.parts[-4:] == ("sendabm", "data", "scenarios", "baseline.toml")


def test_default_scenario_equals_packaged_baseline() -> None:
    builtin = default_scenario()
    loaded = load_scenario(baseline_path())
    assert builtin == loaded
    assert builtin.to_dict() | {"path": None} == loaded.to_dict() | {"path": None}
    assert builtin.path is None and loaded.path is not None


def test_baseline_content() -> None:
    sc = default_scenario()
    assert isinstance(sc, Scenario)
    assert sc.name == "baseline"
    assert "2014" in sc.description and "2025" in sc.description
    assert sc.run == {"start": "2014-09", "end": "2025-08", "scale": 0.01, "seed": 1}
    assert sc.overrides == {} and sc.policies == ()
    assert sc.parameters == parameters.defaults()


def test_a_policy_must_start_within_the_run(tmp_path: Path) -> None:
    """A lever starting after the run ends would never act: an error naming the span,
    whether the file, its parent or an override ends the run first."""
    late = write(tmp_path, "late.toml", MINIMAL + '[[policies]]\nname = "p"\nstart = "2026-09"\n')
    message = error_of(late)
    assert message.startswith("late.toml: [[policies]] 'p' start = '2026-09' is outside the run")
    assert "2014-09 to 2025-08" in message
    fits = write(tmp_path, "fits.toml", TO_2030 + '[[policies]]\nname = "p"\nstart = "2030-08"\n')
    sc = load_scenario(fits)
    with pytest.raises(ScenarioError, match=r"override of scenario 't': .*2014-09 to 2030-07"):
        sc.with_overrides(run={"end": "2030-07"})
    with pytest.raises(ScenarioError, match=r"^extra: \[\[policies\]\] 'q' .*2014-09 to 2030-08"):
        sc.with_policies([{"name": "q", "start": "2030-09"}], where="extra")
    child = write(tmp_path, "child.toml", '[scenario]\nname = "c"\ninherits = "fits.toml"\n'
                  '[run]\nend = "2029-08"\n')
    assert "child.toml: [[policies]] 'p'" in error_of(child)
