"""The lanternpay feed as payercert finds it (entry point `payercert.feeds`): its bundled units, and
the options its webhook-handler suite (payercert plays LanternPay and calls the user's handler) adds
to a certify run."""

from payercert.contract import RunOption, bundled

FEED = bundled(
    "lanternpay",
    options=(
        RunOption(
            "webhook-url",
            "your webhook handler's URL, for every event (default with --target local: the reference handler)",
            suites=("webhook-handler",),
            metavar="URL",
            sets="urls.webhook",
            replaces=("on*",),  # payercert.toml's per-event URLs (urls.onInvoiceStatusUpdated, ...)
        ),
        RunOption(
            "webhook-auth",
            "your handler's auth: header:NAME=env:VAR, basic:USER=env:VAR or oauth:CLIENT_ID=env:VAR@TOKEN_URL",
            suites=("webhook-handler",),
            metavar="SPEC",
            sets="credentials.webhook_auth",
        ),
    ),
)
