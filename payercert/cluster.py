"""`payercert validate --scheduler tcp://HOST:PORT`: a day's files spread over a Dask distributed
cluster (the optional `cluster` extra: `pip install 'payercert[cluster]'`).

Each file is validated whole by one worker, exactly as `validate_file` validates it here (one
process: a worker's cores are the cluster's to share out, one task each), and the reports come
back in the order the files were named, so the findings and the summary are those of a local run.
The workers read the files at the paths given: the files must be on storage every worker mounts
at the same path, and every worker needs the same payercert.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from payercert.validators.engine import Options, validate_file
from payercert.validators.findings import FileReport

from .errors import PayercertError

CONNECT_TIMEOUT_S = 10  # a scheduler that is up answers at once; this covers a busy network


def validate_on_cluster(paths: list[Path], opts: Options, scheduler: str) -> list[FileReport]:
    """The report of each file, in order, each validated by a worker of the cluster at `scheduler`."""
    try:
        from distributed import Client
    except ImportError:
        raise PayercertError(
            "--scheduler needs Dask distributed: pip install 'payercert[cluster]' (here and on every worker)"
        ) from None
    one_process = replace(opts, jobs=1, progress=None)
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PayercertError(f"--scheduler {scheduler}: cannot reach the Dask scheduler ({reason})") from None
    with client:
        if not client.scheduler_info().get("workers"):
            raise PayercertError(f"--scheduler {scheduler}: the cluster has no worker")
        futures = client.map(validate_file, paths, [one_process] * len(paths), pure=False)
        return list(client.gather(futures))
