"""One module per actor, Starsim-style: each declares, in one file, the actor's
parameters (``PARAMS``, a tuple of :class:`~sendabm.core.param.Param`), its state arrays
and their set-up, its yearly adaptation, and names the kernel that runs its monthly
decisions.

- :mod:`.family`: the child and their parent(s);
- :mod:`.mainstream`: mainstream schools;
- :mod:`.special`: state special schools;
- :mod:`.independent`: independent special providers;
- :mod:`.local_authority`: local authorities;
- :mod:`.tribunal`: the SEND Tribunal (and mediation).

:data:`sendabm.core.parameters.ACTORS` assembles their ``PARAMS`` into the registry.
"""
