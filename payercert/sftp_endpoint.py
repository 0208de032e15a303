"""A target's SFTP endpoint: where to connect, as whom, and which host key to trust.

payercert.toml gives it as `[targets.NAME.sftp]`: `host` and `port` (default, on a production
target only: the feed's `sftp:` block, which names the payer's production host), `username` and `password` (default: the target's credentials of those names; a password
given here is `env:NAME` or `prompt` like every secret), and the server's host key, either
`host_key = "ssh-ed25519 AAAA..."` or `known_hosts = "path"` (default: ~/.ssh/known_hosts).
A host key is always checked: nothing here can turn the check off.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .secrets import Secret, resolve

SFTP_KEYS = {"host", "port", "username", "password", "host_key", "known_hosts"}


@dataclass(frozen=True)
class SftpEndpoint:
    host: str
    port: int
    username: str
    password: Secret
    known_hosts: str | None = None  # known_hosts lines, held in memory
    known_hosts_path: str | None = None  # or a known_hosts file

    def trusted_keys(self) -> Any:
        """The `known_hosts` argument of asyncssh.connect (never None, which would trust any key)."""
        from .sshlib import asyncssh  # only a run that uses SFTP imports it

        if self.known_hosts:
            return asyncssh.import_known_hosts(self.known_hosts)
        if self.known_hosts_path:
            return asyncssh.read_known_hosts(self.known_hosts_path)
        return ()  # asyncssh: the user's ~/.ssh/known_hosts

    def __str__(self) -> str:
        return f"sftp://{self.username}@{self.host}:{self.port}"


def host_pattern(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def sftp_endpoint(
    feed_spec: dict[str, Any],
    raw: dict[str, Any] | None,
    credentials: dict[str, Any],
    config_dir: Path,
    where: str,
    *,
    production: bool = False,
) -> SftpEndpoint | None:
    """The endpoint of `[targets.NAME.sftp]`, or None when the target has none."""
    if raw is None:
        return None
    where = f"{where} sftp"
    unknown = set(raw) - SFTP_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    defaults = feed_spec.get("sftp", {}) if production else {}  # a test target never falls back on production
    host, port = raw.get("host", defaults.get("host")), raw.get("port", defaults.get("port", 22))
    if not host or not isinstance(port, int):
        raise ConfigError(f"{where}: give host (the document names only the production host) and a numeric port")
    username = raw.get("username", credentials.get("username"))
    if isinstance(username, Secret):
        username = username.reveal()
    password = resolve(raw["password"], "password", where=where) if "password" in raw else credentials.get("password")
    if not username or password is None:
        raise ConfigError(f"{where}: give username and password (or the target's credentials of those names)")
    if not isinstance(password, Secret):
        password = Secret(str(password), "password")
    known_hosts, known_hosts_path = None, None
    if "host_key" in raw:
        from .sshlib import asyncssh

        try:
            asyncssh.import_public_key(raw["host_key"])
        except (asyncssh.KeyImportError, TypeError, ValueError):
            raise ConfigError(f"{where}: host_key is not an OpenSSH public key line ('ssh-ed25519 AAAA...')") from None
        known_hosts = f"{host_pattern(host, port)} {raw['host_key'].strip()}"
    elif "known_hosts" in raw:
        path = config_dir / raw["known_hosts"]
        if not path.is_file():
            raise ConfigError(f"{where}: known_hosts file {path} does not exist")
        known_hosts_path = str(path)
    return SftpEndpoint(host, port, str(username), password, known_hosts, known_hosts_path)


def local_sftp_endpoint(raw: dict[str, Any] | None) -> SftpEndpoint | None:
    """The endpoint a local simulator reports: its host key as known_hosts text, in memory."""
    if raw is None:
        return None
    return SftpEndpoint(
        raw["host"],
        int(raw["port"]),
        raw["username"],
        Secret(raw["password"], "password"),
        known_hosts=raw["known_hosts"],
    )
