"""`payercert ui`: the web app. Bound to 127.0.0.1 and closed to any request without the random
token the command printed (in the URL the first time, then in a cookie), as Jupyter does; pages
load nothing from outside the app (Content-Security-Policy 'self')."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import events
from ..certify_request import CertifyRequest
from ..config import credential_references, load_config, target_names
from ..errors import PayercertError
from ..feeds import implemented_feeds, load_feed
from ..history import read_runs
from ..secrets import variable_of
from ..simulation import load_simulator
from . import pages
from .live import RunState
from .runs import Run, Runs

STATIC = Path(__file__).parent / "static"
COOKIE = "payercert_ui"
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
SHOWN_EXCHANGES = 8  # the last ones: a property test's failing example is replayed last
MAX_UPLOAD = 200 * 1024 * 1024


@dataclass
class Settings:
    token: str
    workdir: Path  # where the app's runs write (a folder per run)
    history: Path  # the runs history certify appends to (payercert/history.py)
    config: Path | None  # payercert.toml, when there is one
    port: int = 0  # the port served on, for the Host check (0: not checked)


def create_app(settings: Settings) -> Starlette:
    runs = Runs(settings.workdir, settings.history, settings.config)
    app = Starlette(
        routes=[
            Route("/", partial(_certify_page, settings=settings, runs=runs)),
            Route("/secrets", partial(_secrets, settings=settings)),
            Route("/runs", partial(_runs, settings=settings, runs=runs), methods=["GET", "POST"]),
            Route("/runs/{id}", partial(_run, runs=runs)),
            Route("/runs/{id}/stream", partial(_stream, runs=runs)),
            Route("/runs/{id}/stop", partial(_stop, runs=runs), methods=["POST"]),
            Route("/runs/{id}/test", partial(_test, runs=runs)),
            Route("/validate", _validate, methods=["GET", "POST"]),
            Route("/history", partial(_history, settings=settings)),
            Route("/files/{root}/{path:path}", partial(_file, settings=settings)),
            Mount("/static", StaticFiles(directory=STATIC)),
        ],
        lifespan=_closing(runs),
    )
    return _guarded(app, settings)


def _closing(runs: Runs) -> Any:
    """The app's lifespan: a run still going when the app stops is stopped with it."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        try:
            yield
        finally:
            runs.close()

    return lifespan


def _guarded(app: Any, settings: Settings) -> Any:
    """Every request carries the token (query or cookie) and names this host; pages get the policy."""

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        request = Request(scope)
        given = request.query_params.get("token") or request.cookies.get(COOKIE, "")
        host = request.headers.get("host", "")
        local = host.split(":")[0] in ("127.0.0.1", "localhost") and (
            not settings.port or host.endswith(f":{settings.port}")
        )
        if not local:
            return await PlainTextResponse("payercert ui answers on 127.0.0.1 only", status_code=403)(
                scope, receive, send
            )
        if not secrets.compare_digest(given.encode(), settings.token.encode()):
            return await PlainTextResponse(
                "payercert ui needs the link with its token that `payercert ui` printed", status_code=403
            )(scope, receive, send)

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not scope["path"].startswith("/files/"):  # the reports keep their own scripts
                    headers.append((b"content-security-policy", POLICY.encode()))
                headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
                if request.query_params.get("token"):
                    headers.append(
                        (b"set-cookie", f"{COOKIE}={settings.token}; Path=/; HttpOnly; SameSite=Strict".encode())
                    )
                message = {**message, "headers": headers}
            await send(message)

        return await app(scope, receive, with_headers)

    return guarded


# --- certify ---------------------------------------------------------------------------------------
def _feed_infos() -> list[pages.FeedInfo]:
    infos = []
    for feed_id in implemented_feeds():
        feed = load_feed(feed_id)
        infos.append(
            pages.FeedInfo(
                feed_id,
                feed.title,
                feed.document_name or feed.doc,
                [(f.name, f.breaks) for f in load_simulator(feed_id).faults],
                ["full", "smoke", *feed.extra_suites()],
                feed.readings,
                list(feed.package.options),
                [(k.name, k.title) for k in feed.kinds.values()],
            )
        )
    return infos


def _config(settings: Settings) -> dict[str, Any]:
    return load_config(settings.config if settings.config and settings.config.is_file() else None)


def _targets(settings: Settings) -> list[str]:
    config = _config(settings)
    return ["local", *sorted({t for f in implemented_feeds() for t in target_names(config, f)})]


async def _certify_page(request: Request, settings: Settings, runs: Runs, error: str | None = None) -> Response:
    page = pages.certify_page(_feed_infos(), _targets(settings), error, runs.active())
    return HTMLResponse(page, status_code=400 if error else 200)


async def _secrets(request: Request, settings: Settings) -> Response:
    """The password fields the chosen target needs: its credentials whose variable is not set."""
    target = request.query_params.get("target", "local")
    if target == "local":
        return HTMLResponse("")
    raw = _config(settings).get("targets", {}).get(target, {})
    needed = []
    for where, key, reference in credential_references(target, raw):
        variable = variable_of(reference, key, where=where)
        if variable and not os.environ.get(variable):
            needed.append(
                (variable, f"{where.removeprefix('target ')}: {key} ({'asked' if reference == 'prompt' else variable})")
            )
    return HTMLResponse(pages.secrets_fragment(needed))


async def _runs(request: Request, settings: Settings, runs: Runs) -> Response:
    if request.method == "GET":
        return HTMLResponse(pages.runs_page(runs.all()))
    form = await request.form()
    try:
        wanted = _request(form, settings)
    except PayercertError as exc:
        return await _certify_page(request, settings, runs, str(exc))
    typed = {
        key.removeprefix("secret:"): str(value)
        for key, value in form.multi_items()
        if key.startswith("secret:") and isinstance(value, str) and value
    }
    try:
        run = runs.start(wanted, typed)
    except RuntimeError as exc:
        return await _certify_page(request, settings, runs, str(exc))
    return RedirectResponse(f"/runs/{run.id}", status_code=303)


def _request(form: Any, settings: Settings) -> CertifyRequest:
    """The certification the certify page's form asks for."""
    feeds = [str(f) for f in form.getlist("feed")]
    fault_field = str(form.get("fault") or "")
    fault = None
    if fault_field:
        fault_feed, fault = fault_field.split(":", 1)
        if feeds and feeds != [fault_feed]:
            raise PayercertError(f"the fault profile {fault} belongs to {fault_feed}: pick that feed alone")
        feeds = [fault_feed]
    if not feeds:
        raise PayercertError("pick at least one feed")
    unknown = [f for f in feeds if f not in implemented_feeds()]
    if unknown:
        raise PayercertError(f"no feed {unknown[0]}")
    target = str(form.get("target") or "local")
    if target != "local":
        if fault:
            raise PayercertError("a fault profile runs the local simulators: choose the target local")
        config = _config(settings)
        lacking = [f for f in feeds if target not in target_names(config, f)]
        if lacking:
            raise PayercertError(f"target {target} is not configured for {lacking[0]} in payercert.toml")
    readings = {}
    for key, value in form.multi_items():
        if key.startswith("reading:") and isinstance(value, str):
            _, feed_id, rid = key.split(":", 2)
            if feed_id in feeds and value != load_feed(feed_id).readings.get(rid, {}).get("default"):
                readings[rid] = value
    options: dict[str, str | None] = {}
    for key, value in form.multi_items():
        if key.startswith("option:") and isinstance(value, str) and value.strip():
            _, feed_id, name = key.split(":", 2)
            declared = next((o for o in load_feed(feed_id).package.options if o.name == name), None)
            if feed_id in feeds and declared is not None:
                options[name] = value.strip() if declared.metavar else None
    return CertifyRequest(
        feeds=feeds,
        target=target,
        suite=str(form.get("suite") or "full"),
        fault=fault,
        readings=readings,
        options=options,
        examples=_int(form.get("examples")),
        seed=_int(form.get("seed")),
        html=form.get("html") == "1",
        waivers=_waivers(str(form.get("waivers") or ""), feeds),
    )


def _waivers(text: str, feeds: list[str]) -> dict[str, str]:
    """`ID: reason` lines; every id of a chosen feed, every reason written."""
    waivers = {}
    for line in filter(None, (raw.strip() for raw in text.splitlines())):
        rid, _, reason = line.partition(":")
        rid, reason = rid.strip(), reason.strip()
        if not any(rid in load_feed(f).requirements for f in feeds):
            raise PayercertError(f"waiver {rid!r}: no such requirement in {', '.join(feeds)}")
        if not reason:
            raise PayercertError(f"waiver {rid}: write its reason after a colon ({rid}: reason)")
        waivers[rid] = reason
    return waivers


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise PayercertError(f"{text!r} is not a whole number")
    return int(text)


# --- a run -----------------------------------------------------------------------------------------
def _run_or_404(request: Request, runs: Runs) -> Run:
    run = runs.get(request.path_params["id"])
    if run is None:
        raise _NotFound(f"no run {request.path_params['id']} was started here")
    return run


class _NotFound(Exception):
    pass


def _state(run: Run) -> RunState:
    state = RunState()
    for event in events.read(run.events)[0]:
        state.apply(event)
    return state


async def _run(request: Request, runs: Runs) -> Response:
    try:
        run = _run_or_404(request, runs)
    except _NotFound as exc:
        return HTMLResponse(pages.layout("No such run", f"<p>{pages.e(exc)}</p>"), status_code=404)
    return HTMLResponse(pages.run_page(run, _state(run)))


async def _stream(request: Request, runs: Runs) -> Response:
    """Server-sent events: the run's state, re-rendered whenever its events move it, then `end`."""
    try:
        run = _run_or_404(request, runs)
    except _NotFound:
        return PlainTextResponse("no such run", status_code=404)

    async def stream() -> AsyncIterator[str]:
        state, offset, last = RunState(), 0, ""
        while True:
            new, offset = events.read(run.events, offset)
            for event in new:
                state.apply(event)
            running = run.running
            fragment = pages.state_fragment(run, state)
            if fragment != last:
                yield _sse("state", fragment)
                last = fragment
            if not running:
                yield _sse("end", "")
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(0.4)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _sse(event: str, data: str) -> str:
    return f"event: {event}\n" + "".join(f"data: {line}\n" for line in (data.splitlines() or [""])) + "\n"


async def _stop(request: Request, runs: Runs) -> Response:
    try:
        run = _run_or_404(request, runs)
    except _NotFound as exc:
        return PlainTextResponse(str(exc), status_code=404)
    runs.stop(run)
    return HTMLResponse("stopping…")


async def _test(request: Request, runs: Runs) -> Response:
    try:
        run = _run_or_404(request, runs)
    except _NotFound as exc:
        return HTMLResponse(pages.layout("No such run", f"<p>{pages.e(exc)}</p>"), status_code=404)
    nodeid = request.query_params.get("nodeid", "")
    test = _state(run).tests.get(nodeid)
    if test is None:
        return HTMLResponse(pages.layout("No such test", f"<p>No test {pages.e(nodeid)} in this run.</p>"), 404)
    feed = load_feed(test.feed) if test.feed else None
    ids = list(dict.fromkeys([*test.named, *test.requirements]))
    requirements = [
        {
            "id": rid,
            "level": r.level,
            "text": r.text,
            "section": r.section,
            "document": feed.document_name,
        }
        for rid in ids
        if feed and (r := feed.requirements.get(rid))
    ]
    made = run.request
    replay = CertifyRequest(
        feeds=[test.feed] if test.feed else made.feeds,
        target=made.target,
        suite=made.suite,
        fault=made.fault,
        readings=made.readings,
        requirements=tuple((test.named or test.requirements)[:1]),
        seed=(run.certificate() or {}).get("seed", made.seed),
    ).command_line()
    return HTMLResponse(pages.test_page(run, test, requirements, _exchanges(run, nodeid), replay))


def _exchanges(run: Run, nodeid: str) -> list[tuple[str, str]]:
    """The exchanges the reports attached to this test (already redacted on disk), the last ones."""
    results = run.reports / "allure-results"
    if not results.is_dir():
        return []
    for path in results.glob("*-result.json"):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if any(
            label.get("name") == "payercert.nodeid" and label.get("value") == nodeid
            for label in result.get("labels", [])
        ):
            attachments = [a for a in _attachments(result) if not a["name"].startswith("curl: ")]
            return [
                (a["name"], (results / a["source"]).read_text(encoding="utf-8", errors="replace"))
                for a in attachments[-SHOWN_EXCHANGES:]
                if (results / a["source"]).is_file()
            ]
    return []


def _attachments(step: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(step.get("attachments", []))
    for inner in step.get("steps", []):
        out += _attachments(inner)
    return out


# --- validate --------------------------------------------------------------------------------------
async def _validate(request: Request) -> Response:
    feeds = _feed_infos()
    if request.method == "GET":
        return HTMLResponse(pages.validate_page(feeds))
    form = await request.form(max_part_size=MAX_UPLOAD)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return HTMLResponse(pages.validate_page(feeds, error="choose a file to validate"), status_code=400)
    from ..validators.engine import validate_file

    try:
        options = _validate_options(form)
    except PayercertError as exc:
        return HTMLResponse(pages.validate_page(feeds, error=str(exc)), status_code=400)
    name = Path(upload.filename).name
    with tempfile.TemporaryDirectory(prefix="payercert-ui-") as folder:
        path = Path(folder) / name
        path.write_bytes(await upload.read())
        report = await asyncio.to_thread(validate_file, path, options)
        report.path = name
        lines = path.read_bytes().splitlines() if path.stat().st_size <= 20 * 1024 * 1024 else []
        if report.unusable:
            report.unusable = _in_page_terms(report.unusable.replace(str(path), name))
    return HTMLResponse(pages.validate_page(feeds, pages.findings_fragment(name, report, lines)))


def _validate_options(form: Any) -> Any:
    """What the validate page's form says about the file, as the validators take it."""
    from datetime import date

    from ..validators.engine import Options

    feed, _, kind = str(form.get("kind") or "").partition(":")
    as_of = str(form.get("as_of") or "")
    try:
        day = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise PayercertError(f"the payer's today {as_of!r} is not a date (YYYY-MM-DD)") from None
    return Options(feed=feed or None, kind=kind or None, as_of=day, all_errors=form.get("all_errors") == "1")


def _in_page_terms(message: str) -> str:
    """A validator's message with the command line's options named as this page's fields."""
    from ..validators.recognise import NAME_FEED_AND_KIND, NAME_KIND

    here = "name it in the Kind of file field"
    return message.replace(NAME_FEED_AND_KIND, here).replace(NAME_KIND, here)


# --- history and files -----------------------------------------------------------------------------
async def _history(request: Request, settings: Settings) -> Response:
    entries = read_runs(settings.history)
    for number, entry in enumerate(entries):
        if (Path(entry.get("reports", "")) / "certificate.json").is_file():
            entry["reports_url"] = f"/files/history/{number}"
    return HTMLResponse(pages.history_page(entries, str(settings.history)))


def _reports_root(settings: Settings, root: str, path: str) -> tuple[Path | None, str]:
    """What /files/ serves, and the path below it: the reports of the app's own runs
    (`/files/runs/...`), and of each run the history records (`/files/history/N/...`: the folder that
    run wrote, nothing beside it)."""
    if root == "runs":
        return settings.workdir.resolve(), path
    number, _, rest = path.partition("/")
    if root == "history" and number.isdigit():
        entries = read_runs(settings.history)
        if int(number) < len(entries):
            reports = Path(entries[int(number)].get("reports", ""))
            return (reports.resolve() if reports.is_absolute() else None), rest
    return None, path


async def _file(request: Request, settings: Settings) -> Response:
    """A report file: only below the root it names."""
    root, relative = _reports_root(settings, request.path_params["root"], request.path_params["path"])
    if root is not None:
        path = (root / relative).resolve()
        if path.is_relative_to(root) and path.is_file():
            return FileResponse(path)
    return PlainTextResponse("no such report file", status_code=404)
