"""readout-monitor: archive and change monitor for official readouts and the commentary that cites them."""

from importlib.metadata import version

# pyproject.toml holds the one copy of the version; the installed metadata carries it here.
__version__ = version("readout-monitor")
