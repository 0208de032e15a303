"""The tpastream feed as payercert finds it (entry point `payercert.feeds`): its bundled units, and
the options its webhook-receiver suite (payercert plays TPA Stream and posts claim webhooks to the
user's receiver) adds to a certify run."""

from payercert.contract import RunOption, bundled

FEED = bundled(
    "tpastream",
    options=(
        RunOption(
            "receiver-url",
            "your claim webhook receiver's URL (default with --target local: the reference receiver)",
            suites=("webhook-receiver",),
            metavar="URL",
            sets="urls.receiver",
        ),
        RunOption(
            "signing-key",
            "the RSA private key (PEM file) whose public key your receiver trusts in place of TPA Stream's",
            suites=("webhook-receiver",),
            metavar="FILE",
            sets="credentials.signing_key",
        ),
    ),
)
