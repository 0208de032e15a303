"""Defensive XML parsing: a document type declaration is refused, nothing is ever fetched or expanded.

`parse_xml(data)` returns the lxml root element of a well-formed document without a DTD. A DOCTYPE
(internal subset, entity declarations, an external DTD) raises `XMLForbidden` before lxml sees the
bytes: the scan is done by expat through defusedxml, which stops at the declaration, so an entity
bomb is never expanded and an external entity or DTD is never opened. lxml then parses with
entities unresolved, no network and no DTD loading, as a second guard. Broken XML raises
`XMLMalformed` with the line and column. Both errors carry a one-line message.
"""

from __future__ import annotations

import xml.parsers.expat

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET
from lxml import etree

MAX_BYTES = 16 * 1024 * 1024  # a CORE message is at most 4 MB (whole HTTP message); far above any legitimate envelope


class XMLProblem(ValueError):
    """XML that cannot be read safely; `location` is `xml:DOCTYPE` or `line L:C`."""

    def __init__(self, message: str, location: str | None = None, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.location = location
        self.line = line
        self.column = column


class XMLForbidden(XMLProblem):
    """The document declares a DTD (internal subset, entities or an external reference)."""


class XMLMalformed(XMLProblem):
    """The document is not well-formed XML."""


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    strip_cdata=False,
    remove_comments=False,
)


def parse_xml(data: bytes) -> etree._Element:
    """The root element of `data`, or `XMLForbidden` / `XMLMalformed`."""
    if len(data) > MAX_BYTES:
        raise XMLMalformed(f"XML document of {len(data)} bytes is larger than {MAX_BYTES} bytes")
    _refuse_dtd(data)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (None, None)
        raise XMLMalformed(
            f"not well-formed XML: {exc.msg.splitlines()[0] if exc.msg else exc}", f"line {line}:{column}", line, column
        ) from None
    except ValueError as exc:  # e.g. a str with an encoding declaration
        raise XMLMalformed(f"not well-formed XML: {exc}") from None
    if root is None:
        raise XMLMalformed("empty XML document")
    docinfo = root.getroottree().docinfo
    doctype = docinfo.doctype  # type: ignore[union-attr]  # lxml's DocInfo has it; lxml-stubs leave it out
    if doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XMLForbidden("the XML declares a DTD; DTDs and entities are refused", "xml:DOCTYPE")
    return root


def _refuse_dtd(data: bytes) -> None:
    """Stop at the first DOCTYPE or entity declaration, before anything is expanded."""
    try:
        SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XMLForbidden(
            f"the XML declares a DTD or entity ({type(exc).__name__}); DTDs and entities are refused", "xml:DOCTYPE"
        ) from None
    except (SafeET.ParseError, xml.parsers.expat.ExpatError) as exc:
        line, column = getattr(exc, "position", (None, None))
        raise XMLMalformed(
            f"not well-formed XML: {str(exc).splitlines()[0]}", f"line {line}:{column}", line, column
        ) from None
