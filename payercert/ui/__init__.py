"""`payercert ui`: pick, run, watch and read certifications in a browser, validate files, and see
the verdicts of past runs. Served on 127.0.0.1 with a random token, nothing loaded from outside."""

from __future__ import annotations

import secrets
import socket
import tempfile
import threading
import webbrowser
from pathlib import Path

from rich.console import Console


def serve(
    *, port: int, workdir: Path | None, history: Path, config: Path | None, open_browser: bool, console: Console
) -> int:
    import uvicorn

    from .app import Settings, create_app

    token = secrets.token_urlsafe(24)
    with socket.socket() as probe:  # the port, chosen now, so the URL can be printed before serving
        probe.bind(("127.0.0.1", port))
        port = probe.getsockname()[1]
    folder = workdir or Path(tempfile.mkdtemp(prefix="payercert-ui-"))
    settings = Settings(token=token, workdir=folder, history=history, config=config, port=port)
    url = f"http://127.0.0.1:{port}/?token={token}"
    console.print(f"payercert ui: open [bold]{url}[/bold]", highlight=False, soft_wrap=True)
    console.print(f"runs are written to {folder}; Ctrl-C stops the app", highlight=False)
    if open_browser:
        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    server.run()
    return 0
