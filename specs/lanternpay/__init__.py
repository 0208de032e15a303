"""The lanternpay feed as payercert finds it (entry point `payercert.feeds`): its bundled units, and
the options its webhook-handler suite adds to a certify run."""

from payercert.contract import RunOption, bundled

FEED = bundled(
    "lanternpay",
    options=(
        RunOption("webhook-url", "your webhook handler's URL", suites=("webhook-handler",)),
        RunOption(
            "webhook-auth",
            "your handler's auth: header:NAME=env:VAR, basic:USER=env:VAR or oauth:CLIENT_ID=env:VAR@TOKEN_URL",
            suites=("webhook-handler",),
        ),
    ),
)
