"""A simulator started by a test and described as a *configured* target, as a user would write it.

The harness then treats it exactly like a payer's sandbox: credentials from env vars, its own
CA bundle, production flag, waivers. Shared by the guard, redaction and waiver tests.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from payercert.server import BackgroundServer
from payercert.simulation import load_simulator
from payercert.tls import LocalCA

SUITES = Path(__file__).resolve().parents[1] / "suites" / "ltss"


@contextlib.contextmanager
def ltss_payer(fault: str | None = None, **options):
    simulator = load_simulator("ltss").create(fault, **options)
    ca = LocalCA()
    with BackgroundServer(simulator.app, ca) as server:
        yield simulator, ca, simulator.local_target(server.base_url)
    ca.cleanup()


def write_target(
    folder: Path,
    local: dict,
    ca: LocalCA,
    *,
    name: str = "sandbox",
    production: bool = False,
    waivers: dict[str, str] | None = None,
) -> tuple[Path, dict[str, str]]:
    """payercert.toml and data file for the simulator; returns the config path and the env vars."""
    import yaml

    (folder / "data.yaml").write_text(yaml.safe_dump(local["data"]))
    creds, accounts = local["credentials"], local["accounts"]
    env = {
        "T_APP_ID": creds["app_id"],
        "T_APP_SECRET": creds["app_secret"],
        "T_USER": creds["username"],
        "T_PASSWORD": creds["password"],
        "T_NS_USER": accounts["no_staff_user"]["username"],
        "T_NS_PASSWORD": accounts["no_staff_user"]["password"],
        "T_NOSCOPE_ID": accounts["no_scope_client"]["app_id"],
        "T_NOSCOPE_SECRET": accounts["no_scope_client"]["app_secret"],
        "T_SHORT_ID": accounts["short_token_client"]["app_id"],
        "T_SHORT_SECRET": accounts["short_token_client"]["app_secret"],
    }
    lines = [
        f"[targets.{name}]",
        'feed = "ltss"',
        f"production = {str(production).lower()}",
        f'ca_bundle = "{ca.ca_path}"',
        'data = "data.yaml"',
        f"[targets.{name}.urls]",
        *[f'{k} = "{v}"' for k, v in local["urls"].items()],
        f"[targets.{name}.credentials]",
        'app_id = "env:T_APP_ID"',
        'app_secret = "env:T_APP_SECRET"',
        'username = "env:T_USER"',
        'password = "env:T_PASSWORD"',
        f"[targets.{name}.accounts.no_staff_user]",
        'username = "env:T_NS_USER"',
        'password = "env:T_NS_PASSWORD"',
        f"[targets.{name}.accounts.no_scope_client]",
        'app_id = "env:T_NOSCOPE_ID"',
        'app_secret = "env:T_NOSCOPE_SECRET"',
        f"[targets.{name}.accounts.short_token_client]",
        'app_id = "env:T_SHORT_ID"',
        'app_secret = "env:T_SHORT_SECRET"',
    ]
    if waivers:
        lines += [f"[targets.{name}.waivers]", *[f'{k} = "{v}"' for k, v in waivers.items()]]
    config = folder / "payercert.toml"
    config.write_text("\n".join(lines) + "\n")
    return config, env
