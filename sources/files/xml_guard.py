"""GPX and TCX are XML: before any library parses one, its prolog is read with defusedxml and a document type
declaration is refused. Entities can only be declared there, so this closes entity bombs (billion laughs,
quadratic blow-up) and external entities (local files, URLs) whatever the parser behind; activity files
never need one. Only the prolog is read: the cost does not grow with the file."""

from __future__ import annotations

import io
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from sources.errors import FileRefused, Refusal


def root_element(data: bytes) -> str:
    """The local name of the document's root element."""
    try:
        for _event, element in iterparse(io.BytesIO(data), events=("start",), forbid_dtd=True):
            return str(element.tag).rsplit("}", 1)[-1]
    except DefusedXmlException:
        raise FileRefused(Refusal.HOSTILE, "XML with a document type declaration is not accepted") from None
    except (ParseError, ValueError, LookupError):  # LookupError: an encoding Python does not know
        raise FileRefused(Refusal.CORRUPT, "not a well-formed XML document") from None
    raise FileRefused(Refusal.CORRUPT, "not a well-formed XML document")
