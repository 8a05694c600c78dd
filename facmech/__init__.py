"""facmech: test how an implementation strategy works."""

__version__ = "0.1.0"
