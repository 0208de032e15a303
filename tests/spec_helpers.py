"""Helpers the spec-bundle tests share."""

from __future__ import annotations


def x_requirements(node) -> list[str]:
    """Every requirement id a schema document names in `x-requirement`, at any depth."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "x-requirement":
                found += [value] if isinstance(value, str) else list(value)
            else:
                found += x_requirements(value)
    elif isinstance(node, list):
        for value in node:
            found += x_requirements(value)
    return found
