"""The ltss feed as payercert finds it (entry point `payercert.feeds`): its bundled units."""

from payercert.contract import bundled

FEED = bundled("ltss")
