"""The ab2d feed as payercert finds it (entry point `payercert.feeds`): its bundled units, and the
option it adds to a certify run."""

from payercert.contract import RunOption, bundled

FEED = bundled(
    "ab2d",
    options=(
        RunOption(
            "strict-ig",
            "check the Bulk Data IG's reading (option 'ig') of every reading that has one",
            selects_reading="ig",
        ),
    ),
)
