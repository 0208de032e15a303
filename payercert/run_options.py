"""A feed's run options that take a value (`payercert.contract.RunOption` with `sets`): for one run
they set an entry of the feed's target, over what payercert.toml says.

A client suite, where payercert plays the payer and calls the user's system (a webhook handler, say),
gets that system's URL and authentication this way: `sets="urls.webhook"` puts the value among the
target's URLs (checked to be http(s)); `sets="credentials.webhook_auth"` puts an authentication spec
among its credentials. An authentication spec names one mode and the secret as a reference, never
its value:

    header:NAME=env:VAR            a custom header (e.g. X-API-Key) and its value
    basic:USER=env:VAR             Basic, the username and its password
    oauth:CLIENT_ID=env:VAR@URL    OAuth client_credentials at the token URL, the client's secret

`prompt` may replace `env:VAR` (asked without echo). A credential `<name>_auth` holding a spec, from the
command line or payercert.toml, is resolved into `<name>_auth` (header|basic|oauth) and the mode's own
keys: `<name>_header_name` and `<name>_header_value`, `<name>_username` and `<name>_password`,
`<name>_client_id`, `<name>_client_secret` and `<name>_token_url`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from fnmatch import fnmatch
from typing import Any
from urllib.parse import urlparse

from .config import Target
from .contract import RunOption, package_of
from .errors import ConfigError
from .secrets import resolve

FORMS = "header:NAME=env:VAR, basic:USER=env:VAR or oauth:CLIENT_ID=env:VAR@TOKEN_URL"
MODES = ("header", "basic", "oauth")
COMMAND_LINE = "command-line"  # the name of a target made from the command line alone


def applicable(feed_id: str, suite: str) -> list[RunOption]:
    """The feed's options that set a target entry in this suite."""
    return [o for o in package_of(feed_id).options if o.sets and (not o.suites or suite in o.suites)]


def with_options(feed_id: str, base: Target | None, values: Mapping[str, str], suite: str) -> Target:
    """`base` (a configured target, or None when the command line alone names the system) with the
    entries the run's option values set, and its authentication specs resolved."""
    options = applicable(feed_id, suite)
    given = {o.name: values[o.name] for o in options if o.name in values}
    if base is None:
        naming = [o.name for o in options if o.sets and o.sets.startswith("urls.")]
        if not any(name in given for name in naming):
            raise ConfigError(f"{_flags(given)} needs {' or '.join('--' + name for name in naming)}")
        base = Target(name=COMMAND_LINE, feed=feed_id, environment="custom", production=False, urls={}, credentials={})
    urls, credentials = dict(base.urls), dict(base.credentials)
    for option in options:
        table, _, key = (option.sets or "").partition(".")
        if option.name in given:
            value = given[option.name]
            if table == "urls":
                _check_url(option.name, value)
                urls = {k: v for k, v in urls.items() if not any(fnmatch(k, p) for p in option.replaces)}
                urls[key] = value
            else:
                credentials = {k: v for k, v in credentials.items() if not k.startswith(key.removesuffix("auth"))}
                credentials[key] = value
        if (
            table == "credentials"
            and key.endswith("_auth")
            and isinstance(credentials.get(key), str)
            and ":" in credentials[key]
        ):
            where = f"--{option.name}" if option.name in given else f"target {base.name} {key}"
            credentials.update(parse_auth_spec(credentials[key], key, where=where))
    return replace(base, urls=urls, credentials=credentials)


def parse_auth_spec(spec: str, key: str, *, where: str) -> dict[str, Any]:
    """One authentication spec (see above) of the credential `key` (`<name>_auth`), its secret resolved."""
    prefix = key.removesuffix("auth")
    mode, _, rest = spec.partition(":")
    name, eq, ref = rest.partition("=")
    if mode not in MODES or not eq or not name.strip() or not ref:
        raise ConfigError(f"{where} {_shown(spec)!r}: write it as {FORMS}")
    name = name.strip()
    if mode == "oauth":
        ref, at, token_url = ref.partition("@")
        if not at or urlparse(token_url).scheme not in ("https", "http") or not urlparse(token_url).netloc:
            raise ConfigError(f"{where}: oauth needs the token URL after '@' ({FORMS})")
        return {
            key: "oauth",
            prefix + "client_id": name,
            prefix + "client_secret": resolve(ref, prefix + "client_secret", where=where),
            prefix + "token_url": token_url,
        }
    if mode == "header":
        return {
            key: "header",
            prefix + "header_name": name,
            prefix + "header_value": resolve(ref, prefix + "header_value", where=where),
        }
    return {
        key: "basic",
        prefix + "username": name,
        prefix + "password": resolve(ref, prefix + "password", where=where),
    }


def _check_url(flag: str, url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("https", "http") or not parsed.netloc:
        raise ConfigError(f"--{flag} {url!r} is not an http(s) URL")


def _flags(given: Mapping[str, str]) -> str:
    return " and ".join("--" + name for name in given) or "this suite"


def _shown(spec: str) -> str:
    """A spec as it may be echoed: a literal secret typed where a reference belongs stays hidden."""
    head, eq, ref = spec.partition("=")
    return spec if not eq or ref.startswith("env:") or ref.startswith("prompt") else f"{head}=***"
