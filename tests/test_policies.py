"""Scenario files name real policy levers; unknown levers or options are rejected."""

import pytest

from sendabm.core.policies import effects
from sendabm.core.scenario import ScenarioError, load_scenario

HEAD = '[scenario]\nname = "p"\n'


def _load(tmp_path, text):
    path = tmp_path / "p.toml"
    path.write_text(HEAD + text)
    return load_scenario(path)


def test_known_levers_load(tmp_path):
    sc = _load(tmp_path, '[[policies]]\nname = "tribunal"\nstart = "2026-09"\nmode = "remove"\n'
                         '[[policies]]\nname = "inclusion_incentives"\nstart = "2026-09"\n'
                         'strength = 0.5\n')
    assert [p["name"] for p in sc.policies] == ["tribunal", "inclusion_incentives"]


@pytest.mark.parametrize("text, words", [
    ('[[policies]]\nname = "abolish_send"\nstart = "2026-09"\n', ["unknown policy", "tribunal"]),
    ('[[policies]]\nname = "tribunal"\nstart = "2026-09"\nmode = "maybe"\n', ["mode", "remove"]),
    ('[[policies]]\nname = "core_offer"\nstart = "2026-09"\ncolour = 1\n', ["no option", "colour"]),
])
def test_bad_policies_are_rejected_in_one_line(tmp_path, text, words):
    with pytest.raises(ScenarioError) as caught:
        _load(tmp_path, text)
    message = str(caught.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_effects_start_at_the_policy_start():
    policy = ({"name": "tribunal", "start": "2026-09", "strength": 1.0, "mode": "remove"},)
    from sendabm.core.calendar import tick_of
    from sendabm.core.parameters import defaults
    assert effects(policy, tick_of("2026-08"), defaults()).appeals_open == 1.0
    assert effects(policy, tick_of("2026-09"), defaults()).appeals_open == 0.0
