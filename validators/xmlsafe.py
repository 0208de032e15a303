"""XML parsed defensively: no DTD, no entity, no network, ever (SOAP 1.2 Part 1, 5: no DTD)."""
from __future__ import annotations

from lxml import etree


class XmlRefused(ValueError):
    """The bytes are not XML we read: malformed, or carrying a DTD or an entity."""


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_blank_text=False, strip_cdata=False)


def parse_xml(data: bytes) -> etree._Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XmlRefused("document type declaration refused (SOAP 1.2 forbids a DTD)")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(f"not well-formed XML ({str(exc).splitlines()[0]})") from None
    if root.getroottree().docinfo.doctype:
        raise XmlRefused("document type declaration refused (SOAP 1.2 forbids a DTD)")
    return root
