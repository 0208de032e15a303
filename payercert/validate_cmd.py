"""`payercert validate`: files in, findings out, exit code by the worst outcome."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from payercert.validators import render
from payercert.validators.engine import Options, validate_file
from payercert.validators.ruleset import load_reference_data

from .errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, PayercertError
from .inputs import expand

if TYPE_CHECKING:
    from rich.console import Console


def run_validate(
    paths: list[Path],
    *,
    feed: str | None,
    kind: str | None,
    as_of: date | None,
    all_errors: bool,
    fmt: str,
    data: Path | None,
    readings: dict[str, str],
    console: Callable[[], Console],
    signature: str | None = None,
    public_key: Path | None = None,
    request: Path | None = None,
    kind_options: dict[str, str] | None = None,
    jobs: int = 0,
    scheduler: str | None = None,
) -> int:
    reference = _reference_data(data) if data else None
    if request is not None and not request.is_file():
        raise PayercertError(f"--request {request}: no such file")
    opts = Options(
        feed=feed,
        kind=kind,
        as_of=as_of,
        all_errors=all_errors,
        data=reference,
        readings=readings,
        signature=signature,
        public_key=public_key,
        companion=request,
        kind_options=kind_options or {},
        jobs=jobs,
    )
    with ExitStack() as stack:
        files = expand(paths, stack)
        if scheduler is not None:
            from .cluster import validate_on_cluster

            if any(name == "-" for _, name in files):
                raise PayercertError("--scheduler: the workers read files, not this process's standard input")
            found = validate_on_cluster([path.resolve() for path, _ in files], opts, scheduler)
        else:
            found = []
            for path, name in files:
                with _progress(path, name) as progress:
                    found.append(validate_file(path, replace(opts, progress=progress)))
        reports = []
        for (_path, name), report in zip(files, found, strict=True):
            report.unusable = report.unusable and report.unusable.replace(str(report.path), name)
            report.path = name
            reports.append(report)
    if fmt == "json":  # rich only colours it on a terminal: a pipe takes the text as it is
        console().print_json(render.as_json(reports)) if sys.stdout.isatty() else print(render.as_json(reports))
    elif fmt == "junit":
        print(render.as_junit(reports))
    elif fmt == "sarif":
        print(render.as_sarif(reports))
    else:
        render.as_table(reports, console())
    if any(r.unusable for r in reports):
        return EXIT_USAGE
    return EXIT_FINDINGS if any(r.errors for r in reports) else EXIT_OK


PROGRESS_FROM = 32 << 20  # a smaller file is read before a bar would be worth drawing


@contextmanager
def _progress(path: Path, name: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on the terminal (stderr) while a large file is read: bytes done, rate, time
    left. Nothing when stderr is not a terminal (a CI log) or the file is small."""
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if not sys.stderr.isatty() or size < PROGRESS_FROM:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"validating {name}", total=size)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _reference_data(path: Path) -> dict:
    try:
        return load_reference_data(path)
    except FileNotFoundError:
        raise PayercertError(f"--data {path}: no such file") from None
    except Exception as exc:  # YAML syntax and shape errors: one line
        raise PayercertError(f"--data {path}: {str(exc).splitlines()[0]}") from None
