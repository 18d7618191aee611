"""dpsverify: the verification engine."""

__version__ = "0.1.0"
