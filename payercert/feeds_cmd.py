"""`payercert feeds`: what was found under the `payercert.feeds` entry points, and from where."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from .contract import registered
from .feeds import load_feed


def list_feeds(console: Console) -> int:
    table = Table(title="payercert feeds", title_justify="left")
    for column in ("feed", "payer document", "kinds", "suites", "run options", "from"):
        table.add_column(column)
    for feed_id, package in registered().items():
        feed = load_feed(feed_id)
        source = feed.spec["source"]
        suites = ", ".join(["full", "smoke", *feed.extra_suites()]) if feed.implemented else "(validate only)"
        options = "\n".join(
            f"--{o.name}" + (f" {o.metavar}" if o.metavar else "") + (f" ({', '.join(o.suites)})" if o.suites else "")
            for o in package.options
        )
        table.add_row(
            feed_id,
            f"{source['title']}, {source['version']}",
            ", ".join(feed.kinds),
            suites,
            options or "-",
            package.origin,
        )
    console.print(table)
    return 0
