"""payercert: conformance and validation harness for healthcare payer feeds."""

__version__ = "0.1.0"
