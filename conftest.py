"""From the checkout, a plain `pytest suites/...` behaves like `payercert certify --target local`:
the payercert plugin (an entry point of the installed package) sees a path under suites/ and
runs them as a certify run; `pytest tests/` runs the harness's own tests untouched.
"""

try:
    import payercert.plugin  # noqa: F401  (the entry point loads it; this import fails early and clearly)
except ModuleNotFoundError as exc:  # pragma: no cover
    raise SystemExit("payercert is not installed: run `make test` or `pip install -e .` first") from exc
