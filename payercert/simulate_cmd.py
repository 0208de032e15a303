"""`payercert simulate FEED`: a local sandbox for client developers, and the fault catalogue."""

from __future__ import annotations

import json
import threading
from contextlib import ExitStack

from rich.console import Console

from .feeds import load_feed
from .server import BackgroundServer, Listener
from .simulation import load_simulator, merge_local_target
from .tls import LocalCA


def run_simulate(
    feed: str, *, port: int, fault: str | None, list_faults: bool, console: Console, suite: str | None = None
) -> int:
    load_feed(feed)
    module = load_simulator(feed, suite)
    if list_faults:
        for item in module.faults:
            print(f"{item.name}\t{item.breaks}\t{item.text}")
        return 0
    chosen = module.fault(fault)
    simulator = module.create(fault)

    def say(text):
        return console.print(text, soft_wrap=True, highlight=False)  # URLs must stay copyable

    ca = LocalCA()
    server = BackgroundServer(simulator.app, ca, port=port, listener=chosen.listener if chosen else Listener()).start()
    extras = ExitStack()
    local = simulator.local_target(server.base_url)
    if module.start_extra is not None:
        local = merge_local_target(local, extras.enter_context(module.start_extra(fault, simulator=simulator)))
    what = f"reference {suite} (what --suite {suite} certifies)" if suite else "simulator"
    say(f"[bold]{load_feed(feed).title}[/bold] {what}" + (f" with fault [red]{fault}[/red]" if fault else ""))
    for name, url in local["urls"].items():
        say(f"  {name:<12} {url}")
    say(f"  CA bundle    {ca.ca_path}   (curl --cacert, or SSL_CERT_FILE)")
    if "sftp" in local:
        sftp = local["sftp"]
        say(f"  sftp         sftp -P {sftp['port']} {sftp['username']}@{sftp['host']}   password {sftp['password']}")
        say(f"  host key     {sftp['known_hosts']}   (a known_hosts line)")
    say("  demo credentials (throwaway, valid for this run only):")
    for name, value in local["credentials"].items():
        say(f"    {name:<12} {value}")
    for account, values in local.get("accounts", {}).items():
        say(f"    {account}: " + ", ".join(f"{k}={v}" for k, v in values.items()))
    say("  reference data: " + json.dumps(local.get("data", {}), default=str))
    say("Ctrl-C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        extras.close()
        ca.cleanup()
    return 0
