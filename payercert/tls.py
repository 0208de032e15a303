"""A throwaway certificate authority for the local simulators.

The server key never touches disk (the SSL context is built in memory); only the CA
certificate, which is public, is written so that curl, browsers and other clients can trust it.
"""

from __future__ import annotations

import ssl
import tempfile
import warnings
from functools import cached_property
from pathlib import Path

import trustme


class LocalCA:
    def __init__(self, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")):
        self._ca = trustme.CA(organization_name="payercert local simulator CA")
        self._server = self._ca.issue_cert(*hosts)
        self._dir = tempfile.TemporaryDirectory(prefix="payercert-ca-")

    @cached_property
    def ca_path(self) -> Path:
        path = Path(self._dir.name) / "payercert-local-ca.pem"
        self._ca.cert_pem.write_to_path(str(path))
        return path

    def server_context(self, minimum: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if minimum < ssl.TLSVersion.TLSv1_2:  # a fault profile's server: let OpenSSL accept the old protocol
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                ctx.minimum_version = minimum
        else:
            ctx.minimum_version = minimum
        self._server.configure_cert(ctx)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self._ca.configure_trust(ctx)
        return ctx

    def issue(self, *hosts: str, not_after=None) -> trustme.LeafCert:
        """Another leaf certificate (e.g. an expired one, for the transport tests)."""
        kwargs = {"not_after": not_after} if not_after else {}
        return self._ca.issue_cert(*hosts, **kwargs)

    def cleanup(self) -> None:
        self._dir.cleanup()
