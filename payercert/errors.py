"""The harness's own errors. Each carries a one-line message meant for the user, never a traceback.

Exit codes: 0 clean/certified, 1 findings or failed certification, 2 unusable input or
configuration, 3 a certification that could not tell (INCONCLUSIVE: retry it).
"""

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCONCLUSIVE = 3  # the run could not tell (transport, timeout, a flaky answer, a payercert defect)


class PayercertError(Exception):
    exit_code = EXIT_USAGE


class ConfigError(PayercertError):
    """payercert.toml, a target or a spec bundle is wrong or incomplete."""


class SecretMissing(ConfigError):
    """A credential reference could not be resolved (unset env var, no terminal to prompt)."""


class ProductionRefused(PayercertError):
    """A run would write to production without the user's explicit, confirmed permission."""
