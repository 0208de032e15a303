"""A suite's failure that names the requirement whose rule failed (a webhook that breaks the webhook
rules, met by a test of predeterminations): the failure is that requirement's alone, and the test's
other requirements are not verified. A plain assertion fails every requirement the test verifies,
as one observation may break several."""

from __future__ import annotations


class RequirementBroken(AssertionError):
    def __init__(self, requirement: str, message: str):
        super().__init__(f"{requirement}: {message}")
        self.requirement = requirement
