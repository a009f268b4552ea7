"""One module per actor, Starsim-style: each declares, in one file, the actor's
parameters (``PARAMS``, a tuple of :class:`~sendabm.core.param.Param`), its state arrays
and their set-up, its yearly adaptation, and names the kernel that runs its monthly
decisions.

- :mod:`.family`: the child and their parent(s);
- :mod:`.early_years`: early-years settings and health services (before Reception);
- :mod:`.mainstream`: mainstream schools;
- :mod:`.special`: state special schools;
- :mod:`.independent`: independent special providers;
- :mod:`.local_authority`: local authorities;
- :mod:`.tribunal`: the SEND Tribunal (and mediation).

:data:`sendabm.core.parameters.ACTORS` assembles their ``PARAMS`` into the registry.
Each actor's behavioural constants sit in a marked block at the end of its module, the
one home the kernels and the Python reference (:mod:`sendabm.core.reference`) both read.

A new actor (alternative provision is next) is a new module here with
the same parts: its ``PARAMS`` added to ``ACTORS``, its state built in
:meth:`SendModel._setup <sendabm.core.model.SendModel>`, its monthly rules called from a
phase of :data:`sendabm.core.phases.PHASES` (in both backends), its measures declared in
:data:`sendabm.core.measures.REGISTRY` with ``owner`` set to the actor.
"""
