"""Reference servers of each feed, with fault profiles.

Contract for `simulators/<feed>/__init__.py`: it defines `FAULTS` (a tuple of `Fault`) and
`create(fault: str | None = None, **options) -> Simulator`. See `payercert.simulation`.
"""
