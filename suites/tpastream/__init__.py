"""TPA Stream REST API suites (read-only: every documented operation is a GET)."""
