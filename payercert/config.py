"""Targets: where a feed's suites run. `local` needs no file; others come from payercert.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from .errors import ConfigError
from .feeds import Feed, load_feed
from .secrets import Secret, resolve
from .sftp_endpoint import sftp_endpoint
from .validators.ruleset import load_reference_data

DEFAULT_CONFIG = Path("payercert.toml")
TARGET_KEYS = {
    "feed",
    "environment",
    "production",
    "urls",
    "ca_bundle",
    "credentials",
    "accounts",
    "data",
    "rate_limit",
    "timeout",
    "readings",
    "waivers",
    "options",
    "sftp",
}


@dataclass
class Target:
    name: str
    feed: str
    environment: str
    production: bool
    urls: dict[str, str]
    credentials: dict[str, Any]
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    data: dict[str, Any] | None = None
    ca_bundle: Any = None  # a path, or an ssl.SSLContext for the local CA; None: system trust
    rate_limit: float | None = None  # requests per second
    timeout: float = 30.0
    readings: dict[str, str] = field(default_factory=dict)
    waivers: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    local: bool = False
    sftp: Any = None  # an SftpEndpoint (payercert/sftp_endpoint.py) when the target serves SFTP

    @property
    def hosts(self) -> set[str]:
        return {urlparse(u).hostname or "" for u in self.urls.values()} | ({self.sftp.host} if self.sftp else set())

    def credential(self, name: str) -> str:
        value = self.credentials.get(name)
        if value is None:
            raise ConfigError(f"target {self.name}: credential {name!r} is not configured")
        return value.reveal() if isinstance(value, Secret) else str(value)

    def account(self, name: str) -> dict[str, str] | None:
        acct = self.accounts.get(name)
        if acct is None:
            return None
        return {k: v.reveal() if isinstance(v, Secret) else str(v) for k, v in acct.items()}


def load_config(path: Path | None) -> dict[str, Any]:
    path = path or DEFAULT_CONFIG
    if not path.is_file():
        if path == DEFAULT_CONFIG:
            return {}
        raise ConfigError(f"config file {path} does not exist")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def target_names(config: dict[str, Any], feed: str) -> list[str]:
    return [name for name, t in config.get("targets", {}).items() if t.get("feed") == feed]


def build_target(feed_id: str, name: str, config: dict[str, Any], config_dir: Path) -> Target:
    """A configured target with its secrets resolved (env or prompt) and its data loaded."""
    feed = load_feed(feed_id)
    raw = config.get("targets", {}).get(name)
    if raw is None:
        known = ", ".join(["local", *target_names(config, feed_id)])
        raise ConfigError(f"no target {name!r} for feed {feed_id} in payercert.toml (known: {known})")
    if raw.get("feed") != feed_id:
        raise ConfigError(f"target {name} is for feed {raw.get('feed')!r}, not {feed_id!r}")
    unknown = set(raw) - TARGET_KEYS
    if unknown:
        raise ConfigError(f"target {name}: unknown key(s) {', '.join(sorted(unknown))}")
    env_name = raw.get("environment")
    env = feed.environments.get(env_name or "", {})
    if env_name and not env:
        raise ConfigError(
            f"target {name}: feed {feed_id} has no environment {env_name!r} (known: {', '.join(feed.environments)})"
        )
    urls = {**env.get("urls", {}), **raw.get("urls", {})}
    if not urls:
        raise ConfigError(f"target {name}: give an environment or urls")
    production = bool(raw.get("production", env.get("production", False)))
    where = f"target {name}"
    credentials = _credentials(feed, raw.get("credentials", {}), where)
    accounts = {
        acct: _credentials(feed, values, f"{where} account {acct}") for acct, values in raw.get("accounts", {}).items()
    }
    return Target(
        name=name,
        feed=feed_id,
        environment=env_name or "custom",
        production=production,
        urls=urls,
        credentials=credentials,
        accounts=accounts,
        data=_data(raw.get("data"), config_dir, where),
        ca_bundle=str(config_dir / raw["ca_bundle"]) if raw.get("ca_bundle") else None,
        rate_limit=raw.get("rate_limit"),
        timeout=float(raw.get("timeout", 30)),
        readings=dict(raw.get("readings", {})),
        waivers=_waivers(raw.get("waivers", {}), feed, where),
        options=dict(raw.get("options", {})),
        sftp=sftp_endpoint(feed.spec, raw.get("sftp"), credentials, config_dir, where, production=production),
    )


def _credentials(feed: Feed, raw: dict[str, Any], where: str) -> dict[str, Any]:
    must_hide = set(feed.spec.get("auth", {}).get("secrets", []))
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key in must_hide or _is_reference(value):
            out[key] = resolve(value, key, where=where)
        else:
            out[key] = value
    return out


def _data(raw: Any, config_dir: Path, where: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        path = config_dir / raw
        try:
            return load_reference_data(path)
        except FileNotFoundError:
            raise ConfigError(f"{where}: data file {path} does not exist") from None
        except Exception as exc:
            raise ConfigError(f"{where}: data file {path}: {str(exc).splitlines()[0]}") from None
    if isinstance(raw, dict):
        return raw
    raise ConfigError(f"{where}: data must be a file name or a table")


def _waivers(raw: dict[str, Any], feed: Feed, where: str) -> dict[str, str]:
    waivers = {}
    for req, reason in raw.items():
        if req not in feed.requirements:
            raise ConfigError(f"{where}: waiver for unknown requirement {req}")
        if not isinstance(reason, str) or len(reason.strip()) < 10:
            raise ConfigError(f"{where}: waiver of {req} needs a written reason")
        waivers[req] = reason.strip()
    return waivers


def credential_references(name: str, target: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(where, key, reference) of each credential of target `name` read at run time (`env:NAME` or
    `prompt`), in its credentials and its accounts; `where` as the run names it in its messages."""
    where = f"target {name}"
    found = [(where, k, v) for k, v in (target.get("credentials") or {}).items() if _is_reference(v)]
    for account, values in (target.get("accounts") or {}).items():
        found += [(f"{where} account {account}", k, v) for k, v in (values or {}).items() if _is_reference(v)]
    return found


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and (value.startswith("env:") or value == "prompt")
