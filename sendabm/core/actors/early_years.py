"""Early years: early-years settings and health services, for children before Reception.

**What it is.** The nurseries, pre-schools and childminders a child attends from age 2,
and the health visitors who see it (the two-year check), taken together as the one
setting ``states.EARLY_YEARS``. Children enter the model at age 2 (``states.FIRST_YEAR``)
and spend two year groups here (-2 and -1) before the September they move into a
Reception class (:mod:`sendabm.core.kernels.school_year`), keeping their need, their SEN
status and any plan.

Why from age 2 and not from birth: early-years identification in England is mostly the
two-year check by health visitors and the settings that funded two-year-olds attend, and
few plans start before age 3 (SEN2: 163 of 66,706 new plans in 2022 started under age 3,
against 1,845 at age 3 and 10,137 at age 4). A child's row costs run time every
September and in every count, so the two years before age 2 would add about a seventh of
the rows for almost no plans.

**What it decides.** Each month (in the family kernel,
:func:`sendabm.core.kernels.family_month.family_rows`, and its twin
:meth:`sendabm.core.actors.family.Family.month`):

- a child's need is identified as SEN support with ``early_years_identification_per_month``
  (not the school's rate: the NCB early-identification lever raises both);
- the setting provides ``early_years_support_units`` to a child with a need and, with a
  plan, what the plan funds (``early_years_plan_cost_gbp``, paid from the high-needs block);
- the family requests an assessment exactly as a school-age family does (the same
  request propensity, its trust in the setting in place of the school); the setting or
  health service asks for one for a child on SEN support above the notional threshold
  with ``early_years_request_per_month``. The LA decides with the same bars, the same
  assessment queue and the same learning as for school-age children.

A plan issued before Reception names the early-years setting: the question of a special
school is settled at the move into Reception, where a plan-holder whose need reaches the
LA's special threshold waits for a special place, as an arriving Reception child did
before the model had early years.

**What it owns.** Parameters :data:`PARAMS` (group ``early_years``); no state of its own
(the children's columns are the families').
"""

from __future__ import annotations

from sendabm.core.param import Param, declare

PARAMS: tuple[Param, ...] = (
    declare("early_years_identification_per_month", 0.025, "1/month", 0.0, 1.0, "early_years",
        "assumption: early-years settings and health visitors identify needs more slowly "
        "than schools (DfE SEN in England: about 6% of funded early-years children on SEN "
        "support against about 12% of pupils); not calibrated",
        "Chance per month that an early-years setting or health visitor identifies a "
        "child's need as SEN support (before Reception)."),
    declare("early_years_support_units", 0.08, "need units", 0.0, 2.0, "early_years",
        "assumption: the early-years inclusion fund and ordinary practice give a little "
        "less than a mainstream school's ordinarily available provision; not calibrated",
        "Support an early-years setting gives a child with a need, need units "
        "(£10,000/year)."),
    declare("early_years_plan_cost_gbp", 6000.0, "GBP/year per plan", 0.0, 30000.0,
        "early_years",
        "assumption: LA early-years high-needs top-ups are mostly £3,000-£10,000 a year "
        "(LA early-years SEN inclusion and high-needs top-up rates); not calibrated",
        "Yearly high-needs cost of an EHC plan before Reception (2014 prices), paid to the "
        "early-years setting; what it funds is added to the child's support."),
    declare("early_years_request_per_month", 0.01, "1/month", 0.0, 1.0, "early_years",
        "assumption: as the school's rate (`school_request_per_month`); health and "
        "early-years services initiate many under-5 requests",
        "Chance per month that an early-years setting or health service requests an "
        "assessment for a child on SEN support over the notional threshold."),
)
"""Parameters of early-years settings and health services (group ``early_years``)."""
