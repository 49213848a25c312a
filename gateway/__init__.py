"""ISO 20022 / open-banking integration gateway."""

__version__ = "0.1.0"
