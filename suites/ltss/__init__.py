"""LTSS DDA Provider Upload API conformance suite (specs/ltss)."""
