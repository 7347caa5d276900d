"""Trading Terminal: a desktop trading terminal with local engines and a localhost API."""

__version__ = "0.1.0"
