"""The user's webhook handler as a target: where the harness, playing the payer, posts webhooks.

`--webhook-url URL` (payercert.toml: `urls.webhook`; one URL per event may also be given under the
event's name) and `--webhook-auth SPEC` (payercert.toml: `credentials.webhook_auth`), SPEC being
the subscription's one authentication mode with its secret as a reference, never the value:

    header:NAME=env:VAR            a custom header (e.g. X-API-Key) and its value
    basic:USER=env:VAR             Basic, the username and its password
    oauth:CLIENT_ID=env:VAR@URL    OAuth client_credentials at the token URL, the client's secret

`prompt` may replace `env:VAR` (asked without echo). The result is a target's credentials:
`webhook_auth` (header|basic|oauth) and the mode's own keys (webhook_header_name and
webhook_header_value, webhook_username and webhook_password, webhook_client_id,
webhook_client_secret and webhook_token_url).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlparse

from .config import Target
from .errors import ConfigError
from .secrets import resolve

FORMS = "header:NAME=env:VAR, basic:USER=env:VAR or oauth:CLIENT_ID=env:VAR@TOKEN_URL"
MODES = ("header", "basic", "oauth")


def parse_webhook_auth(spec: str, *, where: str = "--webhook-auth") -> dict[str, Any]:
    mode, _, rest = spec.partition(":")
    name, eq, ref = rest.partition("=")
    if mode not in MODES or not eq or not name.strip() or not ref:
        raise ConfigError(f"{where} {_shown(spec)!r}: write it as {FORMS}")
    name = name.strip()
    if mode == "oauth":
        ref, at, token_url = ref.partition("@")
        if not at or urlparse(token_url).scheme not in ("https", "http") or not urlparse(token_url).netloc:
            raise ConfigError(f"{where}: oauth needs the token URL after '@' ({FORMS})")
        secret = resolve(ref, "webhook_client_secret", where=where)
        return {
            "webhook_auth": "oauth",
            "webhook_client_id": name,
            "webhook_client_secret": secret,
            "webhook_token_url": token_url,
        }
    if mode == "header":
        return {
            "webhook_auth": "header",
            "webhook_header_name": name,
            "webhook_header_value": resolve(ref, "webhook_header_value", where=where),
        }
    return {
        "webhook_auth": "basic",
        "webhook_username": name,
        "webhook_password": resolve(ref, "webhook_password", where=where),
    }


def webhook_target(feed: str, base: Target | None, url: str | None, auth: str | None) -> Target:
    """`base` (a configured target, or None for an ad-hoc `--webhook-url`) with the handler's URL and
    authentication of the command line, which win over payercert.toml's."""
    if base is None:
        if not url:
            raise ConfigError(
                "--webhook-auth needs --webhook-url (the local reference handler has its own credentials)"
            )
        base = Target(name="webhook-url", feed=feed, environment="custom", production=False, urls={}, credentials={})
    urls = dict(base.urls)
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in ("https", "http") or not parsed.netloc:
            raise ConfigError(f"--webhook-url {url!r} is not an http(s) URL")
        urls = {k: v for k, v in urls.items() if not k.startswith("on")}  # one URL for every event now
        urls["webhook"] = url
    credentials = dict(base.credentials)
    spec = auth or credentials.get("webhook_auth")
    if isinstance(spec, str) and ":" in spec:
        credentials = {k: v for k, v in credentials.items() if not k.startswith("webhook_")}
        credentials.update(
            parse_webhook_auth(spec, where="--webhook-auth" if auth else f"target {base.name} webhook_auth")
        )
    if "webhook" not in urls and not any(k.startswith("on") for k in urls):
        raise ConfigError(f"target {base.name} has no webhook URL: give --webhook-url or urls.webhook")
    return replace(base, urls=urls, credentials=credentials)


def _shown(spec: str) -> str:
    """A spec as it may be echoed: a literal secret typed where a reference belongs stays hidden."""
    head, eq, ref = spec.partition("=")
    return spec if not eq or ref.startswith("env:") or ref.startswith("prompt") else f"{head}=***"
