"""Integer codes for families' categorical state, shared by kernels and Python code."""

# SEN status
SEN_NONE = 0
SEN_SUPPORT = 1
EHCP = 2

# Setting (where the child is educated)
MAINSTREAM = 0
SPECIAL = 1          # state-funded special school
INDEPENDENT = 2      # independent or non-maintained special school
ALTERNATIVE = 3      # alternative provision (reserved; not yet entered by any process)
FURTHER_EDUCATION = 4  # post-19 education (FE college, specialist post-16)
NOT_IN_EDUCATION = 5
HOME_EDUCATION = 6   # elective home education: the family took the child out of school
EARLY_YEARS = 7      # an early-years setting (nursery, pre-school, childminder) before Reception
SETTING_NAMES = ("mainstream", "special", "independent", "alternative", "further_education",
                 "not_in_education", "home_education", "early_years")

# Primary need (SEND Code of Practice 2015, the four broad areas)
NEED_COMMUNICATION = 0
NEED_COGNITION = 1
NEED_SEMH = 2
NEED_SENSORY_PHYSICAL = 3
NEED_NAMES = ("communication_interaction", "cognition_learning", "semh", "sensory_physical")
NEED_SHARES = (0.35, 0.30, 0.23, 0.12)
"""Shares of new needs by area (DfE SEN in England 2015, primary need of SEN pupils)."""

# Case stage (one open case at a time per family)
IDLE = 0
REQUESTED = 1        # request received; the LA decides this month
ASSESSING = 2        # in the LA's assessment queue
REFUSED = 3          # refusal received; the family decides whether to dispute
MEDIATION = 4        # in mediation this month
APPEALING = 5        # appeal registered; awaiting concession or hearing
AWAITING_PLACE = 6   # setting named; waiting for a place
MEDIATED = 7         # mediation failed; the family decides whether to appeal
COMPLAINT = 8        # complaint with the ombudsman; awaiting its decision
JUDICIAL_REVIEW = 9  # claim for judicial review; awaiting the court's decision
LEAVING_SCHOOL = 10  # the family has decided to home educate; the child leaves school
STAGE_NAMES = ("idle", "requested", "assessing", "refused", "mediation", "appealing",
               "awaiting_place", "mediated", "complaint", "judicial_review", "leaving_school")

# Redress routes beyond the tribunal a family may take at the end of a dispute
# (actors.family.redress_probabilities, in this order)
ROUTE_NONE = 0
ROUTE_COMPLAINT = 1       # complain to the Local Government and Social Care Ombudsman
ROUTE_JUDICIAL_REVIEW = 2  # claim judicial review of the refusal in the High Court
ROUTE_PRIVATE = 3         # pay privately for an independent assessment and provision
ROUTE_HOME_EDUCATION = 4  # take the child out of school (elective home education)
ROUTE_NAMES = ("none", "complaint", "judicial_review", "private", "home_education")

# What a case is about
KIND_NONE = 0
KIND_ASSESS = 1      # request for / refusal of an EHC needs assessment
KIND_PLAN = 2        # refusal to issue a plan after assessment
KIND_PLACEMENT = 3   # the setting named in the plan

# Where a family is waiting to be placed
PLACE_SPECIAL = 1
PLACE_INDEPENDENT_ORDERED = 2  # tribunal or concession ordered a specialist place

# Event bits: what happened to a family this month (counted into the flow measures)
EV_REQUEST = 1 << 0
EV_REFUSED_ASSESS = 1 << 1
EV_REFUSED_PLAN = 1 << 2
EV_PLAN_ISSUED = 1 << 3
EV_WITHIN_20_WEEKS = 1 << 4
EV_MEDIATION = 1 << 5
EV_APPEAL = 1 << 6
EV_CONCEDED = 1 << 7
EV_HEARING = 1 << 8
EV_WON = 1 << 9
EV_REFUSED_PLACEMENT = 1 << 10
EV_PLACED_SPECIAL = 1 << 11
EV_PLACED_INDEPENDENT = 1 << 12
EV_GAVE_UP = 1 << 13
EV_MEDIATION_AGREED = 1 << 14
EV_PLAN_CEASED = 1 << 15
EV_ASSESSMENT_DONE = 1 << 16
EV_SCHOOL_REQUEST = 1 << 17
EV_DECISION_NOT_FOLLOWED = 1 << 18
EV_DISPUTE_TO_APPEAL = 1 << 19
"""The family contested a refusal by appealing straight away (a dispute's first route)."""
EV_DISPUTE_UNHEARD = 1 << 20
"""The family decided to contest a refusal, but no route it would take was open."""
EV_REVERSED = 1 << 21
"""The LA's refusal was reversed: agreed in mediation, conceded, or decided for the family
and followed (:func:`sendabm.core.kernels.cases.remedy`)."""
EV_WITHDRAWN = 1 << 22
"""The family withdrew its appeal on advice that it would more likely lose than win."""
EV_REPEAT_REQUEST = 1 << 23
"""An assessment request for a child who had asked before (for an assessment or a place):
most are families asking again after a refusal, once ``REQUEST_GAP`` has passed."""
# Bits 25-30: the redress routes beyond the tribunal.
EV_COMPLAINT = 1 << 25
"""The family complained to the ombudsman about a refusal."""
EV_JUDICIAL_REVIEW = 1 << 26
"""The family claimed judicial review of a refusal."""
EV_PRIVATE_PROVISION = 1 << 27
"""The family paid privately for an independent assessment and provision."""
EV_HOME_EDUCATION = 1 << 28
"""The family decided to take the child out of school to home educate."""
EV_DISPUTE_TO_REDRESS = 1 << 29
"""The family contested a refusal by one of the routes beyond the tribunal straight away
(a dispute's first route; a route taken after a failed mediation continues its dispute)."""
EV_REDRESS_UPHELD = 1 << 30
"""The ombudsman upheld a complaint, or the court decided a judicial review for the
family."""
# Fields packed above the event bits (``events`` is int64; bits 0-39 are for events)
KIND_SHIFT = 40
"""On a dispute event (an appeal registered, a refusal reversed, a hearing), the case's
``kind`` is stored at ``events >> KIND_SHIFT & KIND_MASK``, so the event is counted by
decision type: the kind may change within the month (a remedy moves an assessment appeal
on to a plan), so it is counted as it was at the event."""
KIND_MASK = 3
WAIT_SHIFT = 42
"""At a hearing, the months from the appeal's registration to the hearing are stored at
``events >> WAIT_SHIFT & WAIT_MASK`` (counted into ``hearing_wait_sum``)."""
WAIT_MASK = 127
"""Largest wait stored (months; 7 bits, bits 42-48): a longer wait, over ten years, which
only a tribunal with almost no capacity would impose, counts as 127 months."""

FINAL_YEAR = 20
"""Last year group kept: year 20 is age 24-25 (EHC plans run to 25)."""
SCHOOL_YEARS = 14
"""Reception (0) to Year 13 (13)."""
FIRST_YEAR = -2
"""First year group kept: children enter the model at age 2 (year -2, aged 2 on
1 September; year -1 is the year before Reception), when most early-years needs are
first identified (the health visitor's two-year check and early-years settings)."""
EARLY_YEARS_GROUPS = -FIRST_YEAR
"""Year groups before Reception (-2 and -1)."""
