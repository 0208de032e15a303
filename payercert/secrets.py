"""Credentials: referenced as `env:NAME` or `prompt` in payercert.toml, held only in memory."""

from __future__ import annotations

import getpass
import os
import re
import sys

from .errors import SecretMissing
from .redact import REDACTOR


class Secret:
    """A value that prints as *** everywhere (repr, str, f-strings, tracebacks' locals)."""

    __slots__ = ("_value", "name")

    def __init__(self, value: str, name: str):
        self._value = value
        self.name = name
        REDACTOR.add(value)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.name!r}, '***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self.name)


def prompted_variable(name: str, *, where: str) -> str:
    """The environment variable through which a harness that asked for a `prompt` credential already
    (`payercert ui`, the wizard) passes the answer to the run: PAYERCERT_PROMPTED_<WHERE>_<NAME>."""
    return "PAYERCERT_PROMPTED_" + re.sub(r"[^A-Z0-9]+", "_", f"{where}_{name}".upper()).strip("_")


def variable_of(reference: str, name: str, *, where: str) -> str | None:
    """The environment variable a credential reference is read from: `env:NAME`'s NAME, or for
    `prompt` the one through which a harness that asked already hands the answer down."""
    if reference.startswith("env:"):
        return reference[4:]
    if reference == "prompt":
        return prompted_variable(name, where=where)
    return None


def resolve(reference: str, name: str, *, where: str) -> Secret:
    """`env:NAME` reads the environment; `prompt` asks on the terminal without echo."""
    if not isinstance(reference, str):
        raise SecretMissing(f"{where}: {name} must be 'env:NAME' or 'prompt'")
    if reference.startswith("env:"):
        var = reference[4:]
        value = os.environ.get(var)
        if not value:
            raise SecretMissing(f"{where}: {name} comes from the environment variable {var}, which is not set")
        return Secret(value, name)
    if reference == "prompt":
        asked = os.environ.get(prompted_variable(name, where=where))
        if asked:  # a harness that asked already (payercert ui, the wizard) hands the answer down
            return Secret(asked, name)
        if not sys.stdin.isatty():
            raise SecretMissing(f"{where}: {name} is 'prompt' but there is no terminal to ask on; use env:NAME")
        value = getpass.getpass(f"{where} {name}: ")
        if not value:
            raise SecretMissing(f"{where}: no value given for {name}")
        return Secret(value, name)
    raise SecretMissing(f"{where}: {name} must be 'env:NAME' or 'prompt', never the value itself")
