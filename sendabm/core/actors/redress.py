"""Redress beyond the tribunal: the ombudsman and the courts.

**What it is.** The Local Government and Social Care Ombudsman (LGSCO), which
investigates complaints about how an LA carried out its SEND duties, and the
Administrative Court, which hears claims for judicial review of an LA's decision.
Neither keeps state in the model: each decides the cases families bring it.

**What it decides.** A complaint is decided after ``ombudsman_months``: the ombudsman
upholds it when its own noisy view of the child's need clears the legal bar for what
the refusal was about (the tribunal's bar), and recommends the remedy; its
recommendations do not bind, and the LA follows a share ``ombudsman_compliance`` of
them. A claim for judicial review is decided after ``judicial_review_months``; the
court's decision binds. These rules run case by case in
:func:`sendabm.core.kernels.cases.redress` (readable twin
:mod:`sendabm.core.reference.redress`). Which families complain or claim, and which
pay privately or leave school instead, is the family's decision
(:func:`sendabm.core.actors.family.redress_probabilities`).

**What it owns.**

- parameters: :data:`PARAMS` (group ``redress``);
- state: none (open complaints and claims are stages of the families' cases);
- adaptation: none.
"""

from __future__ import annotations

from sendabm.core.param import Param, declare

PARAMS: tuple[Param, ...] = (
    declare("ombudsman_months", 6, "months", 1, 24, "redress",
        "assumption: LGSCO investigations of education and children's services complaints "
        "take several months from referral to final decision; not calibrated",
        "Months from a complaint to the ombudsman's decision."),
    declare("ombudsman_decision_sd", 0.3, "need units", 0.01, 5.0, "redress",
        "assumption: a desk investigation reads the need less precisely than a hearing "
        "(tribunal_decision_sd 0.2); the LGSCO upheld about 90% of the SEND complaints it "
        "investigated in 2022/23 (LGSCO annual review; not in the shared data), a check for "
        "the merger's calibration, not a target built in",
        "Spread of the ombudsman's view of the need around the legal bar."),
    declare("ombudsman_compliance", 0.9, "share", 0.0, 1.0, "redress",
        "assumption: LGSCO recommendations are not binding; councils comply with nearly all "
        "of them, but the remedy is often an apology or a payment rather than the provision "
        "asked for; not calibrated",
        "Share of upheld complaints whose remedy (the provision refused) the LA gives."),
    declare("judicial_review_months", 3, "months", 1, 24, "redress",
        "assumption: a claim must be brought promptly (within three months, CPR 54.5), and "
        "urgent SEND claims are often settled or decided within months; not calibrated",
        "Months from a claim for judicial review to the court's decision."),
    declare("court_decision_sd", 0.2, "need units", 0.01, 5.0, "redress",
        "assumption: as precise as the tribunal's judgement (tribunal_decision_sd)",
        "Spread of the court's view of the need around the legal bar."),
)
"""Parameters of the ombudsman and the court (group ``redress``)."""
