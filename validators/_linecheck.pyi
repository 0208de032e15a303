"""Types of the line checker, the C extension built from validators/_linecheck.c."""

from typing import TypeAlias, overload

from typing_extensions import Buffer

Program: TypeAlias = object  # a capsule named "payercert.linecheck.program"

def program(nodes: tuple[tuple[object, ...], ...], /) -> Program: ...
@overload
def check(program: Program, line: Buffer, /) -> bool: ...
@overload
def check(program: Program, line: Buffer, names: tuple[bytes, ...], /) -> bytes | None: ...
