"""The Python reference: the whole month in plain Python, family by family and case by case.

Fast kernels are tested against a slower version written independently (the LASER
discipline): :class:`~sendabm.core.reference.engine.ReferenceBackend` runs every phase
(:meth:`sendabm.core.actors.family.Family.month` and ``outcomes`` for the families,
then :mod:`.decisions`, :mod:`.disputes`, :mod:`.placing`, :mod:`.counting`,
:mod:`.school_year` and :mod:`.onsets`), importing its constants from the actor modules
and never from :mod:`sendabm.core.kernels`, and counts the branches it takes
(:mod:`.branches`).
"""
