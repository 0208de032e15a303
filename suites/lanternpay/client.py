"""How the LanternPay suites talk to a target: start at the root, follow link relations, authenticate
by Basic or by an OAuth client_credentials token, and check bodies against the spec's schemas."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest

from payercert.auth import Token, basic_auth, cached_token, issued
from payercert.broken import RequirementBroken
from payercert.errors import ConfigError
from payercert.feeds import load_feed
from payercert.redact import REDACTOR
from payercert.session import TargetContext
from payercert.suites.lanternpay import states as sm
from payercert.suites.lanternpay.invoices import invoice
from payercert.validators.schemas import compiled_schema

SCHEMAS = load_feed("lanternpay").root / "schemas"
AT_REST = {"paid", "rejected", "cancelled"}  # where a claim's webhooks stop, unless a test waits for less


def schema_errors(schema: str, instance: Any, readings: tuple = ()) -> list[tuple[str | None, str]]:
    """(requirement, message) of every schema error under the target's readings; numbers compared as
    Decimal (exact multipleOf)."""
    exact = json.loads(json.dumps(instance), parse_float=Decimal)
    compiled = compiled_schema(SCHEMAS / schema, decimal=True, readings=readings)
    return [(e.requirement, e.message) for e in compiled.errors(exact)]


def assert_schema(schema: str, instance: Any, what: str, readings: tuple = ()) -> None:
    """The instance follows the schema; a failure names the requirement of the first rule it breaks."""
    errors = schema_errors(schema, instance, readings)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise RequirementBroken(errors[0][0] or "LP-JSON-1", f"{what} does not follow {schema}: {errors[0][1]}{more}")


def expand(href: str, **values: str) -> str:
    for key, value in values.items():
        href = href.replace("{" + key + "}", value)
    return href


def json_body(response: httpx.Response, requirement: str = "LP-JSON-1") -> Any:
    if response.status_code == 200 and not response.content.strip():
        raise AssertionError("LP-HTTP-2: a 200 answer carries no data")
    try:
        return response.json()
    except ValueError:
        raise AssertionError(
            f"{requirement}: HTTP {response.status_code} body is not JSON: {response.text[:120]!r}"
        ) from None


class LanternPayClient:
    def __init__(self, target: TargetContext):
        self.target = target
        self.readings = tuple(sorted((rid, target.reading(rid)) for rid in target.feed.readings))

    def schema_errors(self, schema: str, instance: Any) -> list[tuple[str | None, str]]:
        return schema_errors(schema, instance, self.readings)

    def assert_schema(self, schema: str, instance: Any, what: str) -> None:
        assert_schema(schema, instance, what, self.readings)

    # --- root and links ------------------------------------------------------------------------
    def root_response(self) -> httpx.Response:
        return self.target.request("GET", self.target.url("api").rstrip("/") + "/")

    def links(self) -> dict:
        cached = self.target.cache.get("lp-links")
        if cached is None:
            response = self.root_response()
            assert response.status_code == 200, f"LP-HAL-1: GET / answered {response.status_code}"
            cached = json_body(response).get("_links")
            assert isinstance(cached, dict), "LP-HAL-1: the root has no _links"
            self.target.cache["lp-links"] = cached
        return cached

    def link(self, rel: str, documented: str | None = None, **values: str) -> str:
        """The href of a root relation, expanded; relations the document does not put in the root
        (eligibility, contracts) fall back to their documented path under the root's self."""
        links = self.links()
        if rel in links:
            return expand(links[rel]["href"], **values)
        assert documented is not None, f"LP-HAL-2: the root has no {rel} link"
        return links["self"]["href"].rstrip("/") + expand(documented, **values)

    # --- authentication ---------------------------------------------------------------------------
    def basic(self, client_id: str | None = None, client_secret: str | None = None) -> str:
        client_id = client_id if client_id is not None else self.target.credential("client_id")
        client_secret = client_secret if client_secret is not None else self.target.credential("client_secret")
        return basic_auth(client_id, client_secret)

    def token_response(self, grant_type: str = "client_credentials", **extra: str) -> httpx.Response:
        response = self.target.request(
            "POST",
            self.link("lp:oauth-token"),
            data={"grant_type": grant_type, **extra},
            headers={"Authorization": self.basic()},
        )
        try:
            token = response.json().get("access_token")
        except (ValueError, AttributeError):
            token = None
        if isinstance(token, str):
            REDACTOR.add(token)
        return response

    def bearer(self) -> str:
        """`Bearer <token>` with the client_credentials token, renewed before it expires (payercert.auth)."""
        return "Bearer " + cached_token(self.target.cache, "lp-token", self._fresh_token).value

    def _fresh_token(self) -> Token:
        asked = time.time()
        response = self.token_response()
        assert response.status_code == 200, f"LP-AUTH-2: client_credentials token refused: HTTP {response.status_code}"
        body = json_body(response, "LP-AUTH-2")
        token = body.get("access_token") if isinstance(body, dict) else None
        assert isinstance(token, str) and token, "LP-AUTH-2: the token answer has no access_token"
        return issued(token, float(body.get("expires_in") or 60), asked)

    def auth(self, mode: str = "bearer") -> str:
        return self.bearer() if mode == "bearer" else self.basic()

    # --- operations ------------------------------------------------------------------------------------
    def post(self, url: str, body: Any, *, mode: str = "bearer", authorization: str | None = None) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if authorization != "":
            headers["Authorization"] = authorization or self.auth(mode)
        return self.target.request("POST", url, headers=headers, content=json.dumps(body).encode())

    def get(self, url: str, *, mode: str = "bearer") -> httpx.Response:
        return self.target.request("GET", url, headers={"Authorization": self.auth(mode)})

    def submit_invoice(self, invoice: dict, **kw) -> httpx.Response:
        return self.post(self.link("lp:submit-invoice", billerId=self.target.credential("biller_id")), invoice, **kw)

    def submit_predetermination(self, body: dict, **kw) -> httpx.Response:
        return self.post(
            self.link("lp:submit-predetermination", billerId=self.target.credential("biller_id")), body, **kw
        )

    def cancel_url(self, accepted: dict) -> str:
        link = (accepted.get("_links") or {}).get("lp:cancel-invoice")
        if link:
            return link["href"]
        return self.link("lp:cancel-invoice", "/invoices/{invoiceId}/cancel", invoiceId=accepted["invoiceId"])

    def cancel(self, accepted: dict, body: dict | None = None) -> httpx.Response:
        return self.post(
            self.cancel_url(accepted),
            body
            if body is not None
            else {"invoiceId": accepted["invoiceId"], "reason": "Submitted by mistake (payercert)."},
        )


@dataclass
class Watched:
    """A one-claim invoice as submitted and accepted, and the states its claim showed."""

    body: dict
    accepted: dict
    states: list[str]

    @property
    def bcid(self) -> str:
        return self.body["claims"][0]["billerClaimId"]

    def resting_in(self, state: str) -> Watched:
        """This claim, once it is known to rest in `state` (what the test goes on from)."""
        assert self.states[-1:] == [state], f"the claim did not reach {state}: {self.states}"
        return self


class Hooks:
    """The harness's receiver, subscribed at the target with one delivery auth mode at a time."""

    def __init__(self, target, lp: LanternPayClient, receiver):
        self.target, self.lp, self.receiver = target, lp, receiver
        options = target.target.options or {}
        self.retry_scale = float(options.get("retry_scale", 1.0))
        self.timeout = float(options.get("webhook_timeout_s", 10.0))  # how long a test waits for a webhook
        self.quiet = float(options.get("quiet_s", 0.4))  # no news for this long: the flow is at rest

    def use(self, mode: str = "header") -> dict:
        current = self.target.cache.get("lp-hook-auth")
        if current and current["mode"] == mode:
            return current
        try:
            url = self.target.url("subscription")
        except ConfigError:
            pytest.skip("the target has no webhook subscription URL (urls.subscription): webhooks cannot be observed")
        auth = self.receiver.auth_config(mode)
        response = self.lp.target.request(
            "PUT",
            url,
            headers={"Authorization": self.lp.basic()},
            json={"urls": self.receiver.urls(), "auth": auth, "ca_pem": self.receiver.ca_pem()},
        )
        assert response.status_code in (200, 201, 204), f"webhook subscription refused: HTTP {response.status_code}"
        self.receiver.auth = auth
        self.target.cache["lp-hook-auth"] = auth
        return auth

    def watch(self, ids: list[str], rest: dict[str, set[str]] | None = None) -> dict[str, list[str]]:
        """Each claim's observed states, once every claim is at rest (a state of rest[id], default
        paid/rejected/cancelled; an empty set: never) or nothing new has arrived for `quiet` seconds."""
        receiver = self.receiver

        def done(calls) -> bool:
            for i in ids:
                seen = sm.observed_states(calls, i)
                if not seen or seen[-1] not in (rest or {}).get(i, AT_REST):
                    return False
            return True

        calls = receiver.wait_quiet(
            lambda: [c for c in receiver.snapshot() if any(c.mentions(i) for i in ids)],
            self.quiet,
            self.timeout,
            done,
            ready=lambda calls: all(sm.observed_states(calls, i) for i in ids),
        )
        return {i: sm.observed_states(calls, i) for i in ids}

    def submit_and_watch(self, item: str, until: str | set[str] | None = None) -> Watched:
        """Submit a one-claim invoice of `item`, then watch its webhooks until the claim shows a state
        of `until` (default: at rest)."""
        body = invoice([item])
        response = self.lp.submit_invoice(body)
        assert response.status_code in (200, 202), f"LP-INV-9: invoice answered {response.status_code}"
        accepted = json_body(response)
        bcid = body["claims"][0]["billerClaimId"]
        rest = {until} if isinstance(until, str) else until
        states = self.watch([bcid], None if rest is None else {bcid: rest})[bcid]
        return Watched(body, accepted, states)
