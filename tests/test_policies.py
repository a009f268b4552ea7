"""Scenario files name real policy levers; their entries are checked against the
declarations (strength, options, types) in one line, and the effects follow them."""

from pathlib import Path

import pytest

from sendabm.core.calendar import tick_of
from sendabm.core.parameters import defaults
from sendabm.core.policies import LEVERS, effects, normalise_policy
from sendabm.core.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
HEAD = '[scenario]\nname = "p"\n[run]\nend = "2030-08"\n'


def _load(tmp_path, text):
    path = tmp_path / "p.toml"
    path.write_text(HEAD + text)
    return load_scenario(path)


def _entry(name, **keys):
    body = "".join(f"{key} = {value}\n" for key, value in keys.items())
    return f'[[policies]]\nname = "{name}"\nstart = "2026-09"\n{body}'


def test_known_levers_load(tmp_path):
    sc = _load(tmp_path, _entry("tribunal", mode='"remove"')
               + _entry("inclusion_incentives", strength=0.5))
    assert [p["name"] for p in sc.policies] == ["tribunal", "inclusion_incentives"]


def test_strength_defaults_to_1_only_for_levers_that_have_one(tmp_path):
    sc = _load(tmp_path, _entry("tribunal", mode='"remove"') + _entry("core_offer")
               + _entry("statutory_override"))
    assert sc.policies == ({"name": "tribunal", "start": "2026-09", "mode": "remove"},
                           {"name": "core_offer", "start": "2026-09", "strength": 1.0},
                           {"name": "statutory_override", "start": "2026-09"})


@pytest.mark.parametrize("text, words", [
    (_entry("abolish_send"), ["unknown policy", "tribunal"]),
    (_entry("tribunal", mode='"maybe"'), ["mode", "remove"]),
    (_entry("core_offer", colour=1), ["no option", "colour", "units"]),
    # A lever without a strength: passing one is an error naming the lever and the fix.
    (_entry("tribunal", strength=0.1, mode='"replace"'),
     ["#1 ('tribunal')", "policy 'tribunal' has no strength", "strength = 0.1",
      "remove it", 'mode = "keep", "remove" or "replace"']),
    (_entry("statutory_override", strength=1.0),
     ["policy 'statutory_override' has no strength", "remove it", 'ends = "YYYY-MM"']),
    # Whole numbers for months and years.
    (_entry("tribunal", mode='"replace"', months_to_decision=2.5),
     ["months_to_decision = 2.5", "whole number", "months"]),
    (_entry("local_inclusion_partnerships", lag_cut_years='"1"'),
     ["lag_cut_years = '1'", "must be a number"]),
    (_entry("independent_sector", fee_cut_years=0), ["fee_cut_years = 0", "out of range"]),
    # Real booleans for true/false options.
    (_entry("tribunal", mode='"replace"', binding=1), ["binding = 1", "true or false"]),
    (_entry("independent_sector", profit_prohibition='"yes"'),
     ["profit_prohibition = 'yes'", "true or false"]),
    (_entry("tribunal", mode="true"), ["mode = True", "choose one of"]),
    (_entry("statutory_override", ends=2028), ["ends = 2028", "YYYY-MM"]),
    (_entry("core_offer", units=5.0), ["units = 5.0", "out of range", "[0.0, 2.0]"]),
    (_entry("core_offer", units="nan"), ["units = nan", "must be a number"]),
])
def test_bad_policies_are_rejected_in_one_line(tmp_path, text, words):
    with pytest.raises(ScenarioError) as caught:
        _load(tmp_path, text)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("p.toml: [[policies]] #1")
    for word in words:
        assert word in message, message


def test_two_entries_for_one_lever_are_an_error(tmp_path):
    with pytest.raises(ScenarioError, match=r"#2 \('core_offer'\) sets the same lever as "
                                            r"\[\[policies\]\] #1"):
        _load(tmp_path, _entry("core_offer", strength=0.6) + _entry("core_offer", strength=0.6))


def test_options_are_normalised():
    entry = normalise_policy({"name": "tribunal", "start": "2026-09", "mode": "replace",
                              "months_to_decision": 3.0, "capacity_factor": 2})
    assert entry["months_to_decision"] == 3 and isinstance(entry["months_to_decision"], int)
    assert entry["capacity_factor"] == 2.0 and isinstance(entry["capacity_factor"], float)


def test_every_option_is_declared_completely():
    for lever in LEVERS.values():
        assert lever.doc and lever.source and lever.evidence and lever.changes, lever.name
        assert lever.has_strength or lever.no_strength_fix, lever.name
        for key, option in lever.options.items():
            where = f"{lever.name}.{key}"
            assert option.unit and option.doc and option.source, where
            assert key not in ("name", "start", "strength", "override"), where
            option.check(lever.name, key, option.default)  # the default is valid
            if option.kind in ("number", "integer"):
                assert option.low <= option.default <= option.high, where


def test_every_experiment_scenario_loads():
    files = sorted((ROOT / "experiments" / "scenarios").glob("*.toml"))
    files += sorted((ROOT / "sendabm" / "data" / "scenarios").glob("*.toml"))
    assert len(files) >= 10
    for path in files:
        load_scenario(path)


def test_effects_start_at_the_policy_start():
    policy = ({"name": "tribunal", "start": "2026-09", "mode": "remove"},)
    assert effects(policy, tick_of("2026-08"), defaults()).appeals_open == 1.0
    assert effects(policy, tick_of("2026-09"), defaults()).appeals_open == 0.0


def test_options_change_the_effects():
    tick = tick_of("2027-01")
    default = effects(({"name": "core_offer", "start": "2026-09", "strength": 0.5,
                        "ramp_years": 0},), tick, defaults())
    doubled = effects(({"name": "core_offer", "start": "2026-09", "strength": 0.5,
                        "units": 0.3, "la_paid_share": 0.5, "ramp_years": 0},), tick,
                      defaults())
    assert default.core_offer_units == 0.075
    assert default.charges == [("high_needs", "mainstream_need", 750.0),
                               ("health", "mainstream_need", 0.0)]
    assert doubled.core_offer_units == 0.15
    assert doubled.charges == [("high_needs", "mainstream_need", 750.0),
                               ("health", "mainstream_need", 750.0)]
    prohibited = effects(({"name": "independent_sector", "start": "2026-09",
                           "fee_cut_years": 5},), tick, defaults())
    assert prohibited.fee_cut_years == 5
    assert prohibited.fee_cut_per_year == defaults()["independent_margin"] / 5


def test_a_ramp_builds_the_strength_up_over_its_years():
    # core_offer builds up over ramp_years = 3 by default: a twelfth of a third in its
    # first month, half after 18 months, all of it from 36 months on.
    entry = ({"name": "core_offer", "start": "2026-09"},)
    units = LEVERS["core_offer"].options["units"].default
    at = lambda month: effects(entry, tick_of(month), defaults()).core_offer_units  # noqa: E731
    assert at("2026-09") == pytest.approx(units / 36)
    assert at("2028-02") == pytest.approx(units / 2)
    assert at("2029-08") == at("2031-01") == pytest.approx(units)


def test_a_framework_of_current_practice_sets_no_target():
    framework = effects(({"name": "national_framework", "start": "2026-09"},),
                        tick_of("2027-03"), defaults())
    assert framework.threshold_from_current and framework.threshold_target is None
    given = effects(({"name": "national_framework", "start": "2026-09", "bar": "threshold",
                      "threshold": 0.8},), tick_of("2027-03"), defaults())
    assert not given.threshold_from_current and given.threshold_target == 0.8
    # Right first time comes later in the order: the legal test wins over the framework.
    both = effects(({"name": "national_framework", "start": "2026-09"},
                    {"name": "right_first_time", "start": "2026-09"}),
                   tick_of("2027-03"), defaults())
    assert not both.threshold_from_current
    assert both.threshold_target == defaults()["legal_threshold"]


def test_the_example_in_the_lever_docs_loads(tmp_path):
    text = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "baseline.toml").write_bytes((ROOT / "experiments" / "scenarios"
                                              / "baseline.toml").read_bytes())
    (tmp_path / "example.toml").write_text(example, encoding="utf-8")
    sc = load_scenario(tmp_path / "example.toml")
    assert [p["name"] for p in sc.policies] == ["national_framework", "core_offer"]
    assert sc.policies[1]["units"] == 0.2
