"""readout-monitor: archive and change monitor for official readouts and the commentary that cites them."""

__version__ = "0.1.0"
