"""The model core: actors, kernels, random streams, calendar, areas, parameters,
measures, scenarios and :class:`~sendabm.core.model.SendModel`."""
