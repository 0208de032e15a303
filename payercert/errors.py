"""payercert's errors: one tree, one root. Each carries a one-line message meant for the user (never
a traceback) and the exit code the CLI ends with; the CLI turns the root into that line and code.

    PayercertError             the root (exit 2: the run could not do what was asked)
    ├── ConfigError            payercert.toml, a target or a spec bundle is wrong or incomplete
    │   └── SecretMissing      a credential reference could not be resolved
    ├── ProductionRefused      a write to production without the user's confirmed permission
    ├── UnusableInput          a file (or a --signature, --public-key) that cannot be validated at all
    ├── TransportError         an exchange with a target did not complete (exit 3: inconclusive)
    ├── CannotTell             a test's evidence cannot decide, e.g. on timing (exit 3: inconclusive)
    └── ReportError            the HTML report could not be rendered (results and certificate stay)
        ├── ReportToolMissing  no Node.js (node and npm) to render it
        └── ReportRenderError  npm install or allure generate failed, or the report would load from outside

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


class UnusableInput(PayercertError):
    """The input cannot be validated at all. The message is one line."""


class TransportError(PayercertError):
    """The exchange did not complete: the target's fault or the network's, not a finding on content."""

    exit_code = EXIT_INCONCLUSIVE


class CannotTell(PayercertError):
    """A test's evidence could not decide (e.g. a request meant to land inside a token's lifetime was
    answered after it): the test is inconclusive, never passed or failed on timing."""

    exit_code = EXIT_INCONCLUSIVE


class ReportError(PayercertError):
    """The HTML report could not be rendered; the results and the certificate are written regardless."""


class ReportToolMissing(ReportError):
    """Node.js (node and npm) is not installed, so the HTML report cannot be rendered."""


class ReportRenderError(ReportError):
    """npm install or allure generate failed, or the report would load something from outside."""
