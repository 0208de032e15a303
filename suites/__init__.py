"""Conformance suites, one folder per feed, one module per area of the payer's document."""
