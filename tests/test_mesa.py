"""SendModel behaves as a Mesa 3 user expects: batch_run, DataCollector and agents."""

from __future__ import annotations

import mesa
import pytest

from sendabm.core.actors.local_authority import LocalAuthority
from sendabm.core.actors.tribunal import Tribunal
from sendabm.core.model import SendModel

MONTHS = 4  # 2014-09 .. 2014-12


def test_batch_run_returns_national_measures():
    rows = mesa.batch_run(SendModel, parameters={"scale": 0.001, "seed": [1, 2], "end": "2014-12"},
                          iterations=1, max_steps=10, number_processes=1,
                          display_progress=False)
    assert len(rows) == 2  # one row per run: data collected at the last step
    assert sorted(row["seed"] for row in rows) == [1, 2]
    for row in rows:
        assert row["Step"] == MONTHS - 1  # the model stops itself at its end month
        for name in ("pupils", "ehc_plans", "high_needs_spend_gbp", "adversarial_index"):
            assert isinstance(row[name], float), name
        assert row["ehc_plans"] > 0
    assert rows[0]["ehc_plans"] != rows[1]["ehc_plans"]


@pytest.fixture(scope="module")
def model():
    model = SendModel(scale=0.001, seed=3, end="2014-12")
    model.run()
    return model


def test_datacollector_has_one_row_per_month(model):
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == MONTHS == len(model.dates)
    assert list(frame["ehc_plans"]) == model.national["ehc_plans"]


def test_agents_are_mesa_agents(model):
    las = model.agents_by_type[LocalAuthority]
    assert len(las) == 152
    assert all(isinstance(la, mesa.Agent) for la in las)
    assert len(model.agents_by_type[Tribunal]) == 1
    assert model.tribunal.capacity() > 0
    la = model.la_agents[0]
    assert la.name == model.areas.names[0] and la.deficit_gbp == model.las.deficit_gbp[0]


def test_family_view(model):
    row = int(model.families.active.nonzero()[0][0])
    family = model.family(row)
    assert isinstance(family, mesa.Agent)
    assert family.model is model
    assert family is model.family(row)
    assert family.uid == int(model.families.uid[row])
    text = repr(family)
    assert text.startswith("Family(") and f"row={row}" in text
