"""What a suite must always try, as explicit Hypothesis examples: every enumerated value, each
invalid parameter alone. The draw adds combinations on top; these run in every run, whatever the
seed and the number of examples."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from hypothesis import example

F = TypeVar("F", bound=Callable[..., Any])


def every(cases: Iterable[Mapping[str, Any]]) -> Callable[[F], F]:
    """`@every([{"x": 1}, {"x": 2}])` on a `@given` test: each mapping is one `@example(**mapping)`,
    run in the order given."""

    def apply(test: F) -> F:
        for case in reversed(list(cases)):
            test = example(**case)(test)
        return test

    return apply
