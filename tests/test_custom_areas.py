"""A user can run the model on their own local areas (CSV) instead of England's 152."""

import numpy as np

from sendabm.core.model import SendModel

CSV = """code,name,region,pupils,neighbours
A,Alpha,North,400000,B;C
B,Beta,North,250000,C
C,Gamma,South,900000,D
D,Delta,South,120000,
"""


def test_model_runs_on_user_areas(tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text(CSV)
    model = SendModel(seed=2, scale=0.01, end="2015-02", areas=path)
    model.run()
    assert [agent.name for agent in model.la_agents] == ["Alpha", "Beta", "Gamma", "Delta"]
    la = model.families.la[model.families.active == 1]
    counts = np.bincount(la, minlength=4)
    # Children are spread over the user's areas in proportion to their pupils.
    shares = counts / counts.sum()
    np.testing.assert_allclose(shares, np.array([400, 250, 900, 120]) / 1670, atol=0.01)
    assert model.national["ehc_plans"][-1] > 0
    assert len(model.panel["ehc_plans"][-1]) == 4
