"""LanternPay Provider API suites."""
