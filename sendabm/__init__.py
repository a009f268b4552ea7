"""sendabm: an agent-based model of England's SEND system.

Families, mainstream schools, special schools, independent providers, local
authorities and the SEND Tribunal act inside a network of 152 local areas. See
``docs/ODD.md`` for the model and ``README.md`` for the module map.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sendabm")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "SendModel"]


def __getattr__(name):
    # Imported lazily so `import sendabm` stays fast (numba compiles on first model use).
    if name == "SendModel":
        from sendabm.model import SendModel

        return SendModel
    raise AttributeError(name)
