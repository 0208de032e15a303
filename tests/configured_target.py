"""Any feed's simulator as a *configured* target, written into payercert.toml as a user would write
a payer's sandbox: URLs, credentials and accounts as `env:` references, reference data in a file,
the target's options, its CA bundle, its SFTP endpoint with the host key.

Optionally through a TLS relay (tests/tls_proxy.py): every URL of the target, wherever it appears,
then points at the relay, which passes on to the simulator: a real extra network hop.
"""

from __future__ import annotations

import json
import re
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml
from tls_proxy import TlsProxy

from payercert.server import BackgroundServer
from payercert.simulation import load_simulator, merge_local_target
from payercert.tls import LocalCA


def serve(feed_id: str, stack: ExitStack, *, relay: bool = False) -> tuple[dict[str, Any], Path]:
    """Start the feed's conforming simulator (as `certify --target local` configures it); its local
    target description and the CA bundle a client must trust (the relay's, with relay=True)."""
    module = load_simulator(feed_id)
    simulator = module.create(None, **module.certify_options)
    ca = LocalCA()
    stack.callback(ca.cleanup)
    server = stack.enter_context(BackgroundServer(simulator.app, ca))
    local = simulator.local_target(server.base_url)
    if module.start_extra is not None:
        local = merge_local_target(local, stack.enter_context(module.start_extra(None, simulator=simulator)))
    if not relay:
        return local, ca.ca_path
    proxy = stack.enter_context(TlsProxy(server.base_url, ca.client_context()))
    return _through(local, server.base_url, proxy.url(server.base_url)), proxy.ca.ca_path


def _through(value: Any, base: str, relayed: str) -> Any:
    """Every occurrence of the simulator's base URL, in any string of the description, relayed."""
    if isinstance(value, str):
        return value.replace(base, relayed)
    if isinstance(value, dict):
        return {k: _through(v, base, relayed) for k, v in value.items()}
    if isinstance(value, list):
        return [_through(v, base, relayed) for v in value]
    return value


def target_toml(
    feed_id: str, name: str, local: dict[str, Any], ca_path: Path, folder: Path
) -> tuple[str, dict[str, str]]:
    """The `[targets.NAME]` tables of one simulator and the environment its `env:` references need.
    Every credential and account value goes through the environment, so none is written to disk."""
    env: dict[str, str] = {}
    prefix = re.sub(r"\W", "_", f"PC_{name}_{feed_id}").upper()

    def ref(group: str, key: str, value: Any) -> str:
        var = f"{prefix}_{group}_{key}".upper()
        env[var] = str(value)
        return f"env:{var}"

    data = folder / f"{name}-{feed_id}-data.yaml"
    data.write_text(yaml.safe_dump(json.loads(json.dumps(local.get("data", {}), default=str))))
    table = f"targets.{name}"
    lines = [
        f"[{table}]",
        f"feed = {_toml(feed_id)}",
        f"ca_bundle = {_toml(str(ca_path))}",
        f"data = {_toml(str(data))}",
    ]
    lines += [f"[{table}.urls]", *(f"{k} = {_toml(v)}" for k, v in local["urls"].items())]
    lines += [f"[{table}.credentials]", *(f"{k} = {_toml(ref('c', k, v))}" for k, v in local["credentials"].items())]
    for account, values in local.get("accounts", {}).items():
        lines += [f"[{table}.accounts.{account}]", *(f"{k} = {_toml(ref(account, k, v))}" for k, v in values.items())]
    if local.get("options"):
        lines += [f"[{table}.options]", *(f"{k} = {_toml(v)}" for k, v in local["options"].items())]
    if "sftp" in local:
        sftp = local["sftp"]
        host_key = sftp["known_hosts"].split(" ", 1)[1]  # "[host]:port keytype base64" -> "keytype base64"
        lines += [f"[{table}.sftp]", f"host = {_toml(sftp['host'])}", f"port = {int(sftp['port'])}"]
        lines += [f"username = {_toml(sftp['username'])}"]  # a trading-partner id: no secret
        lines += [f"password = {_toml(ref('sftp', 'password', sftp['password']))}", f"host_key = {_toml(host_key)}"]
    return "\n".join(lines) + "\n", env


def _toml(value: Any) -> str:
    """A TOML value: JSON's string escapes, numbers, booleans and arrays are TOML's too."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)
