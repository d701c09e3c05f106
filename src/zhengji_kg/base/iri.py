"""IRIs that are valid where they are made: links as Chinese text writes them, and path segments.

Two kinds of IRI enter the graph. Instance IRIs are minted from labels and document names
(``rdf.mint``): every character an IRI may not hold is percent-encoded by ``encode_segment``, so any
label gives a valid IRI. Links come from the documents themselves — a ``原文链接：`` line, a page's
``og:url``, a sidecar's ``url:`` — and are checked by ``to_iri``: normalised to a valid absolute IRI or
refused (``None``), never passed on as written. Validity is decided by Oxigraph's IRI parser, the same
one that reads the Turtle back (RFC 3987), not by a second reading of the RFC kept here.

In Chinese text a link is followed by the sentence without a space (``…/51847.html。各地要…``). A link
found in text (``URL_PATTERN``) therefore ends where URL characters end: at CJK characters, full-width
punctuation, whitespace or quotes — except that a whole path segment or query value written in Chinese
(``/item/正确政绩观``, ``?q=政绩观``) is part of it — and not on a final ``.``, ``,``, ``;``, ``:``,
``!``, ``?`` or ``)``, which belong to the sentence.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

import pyoxigraph as ox

# characters that may not stand bare in a path segment of an instance IRI (delimiters and the like)
_UNSAFE = frozenset(" <>\"{}|\\^`%#?[]@!$&'()*+,;=")

_ASCII = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"  # what RFC 3986 lets a URI hold
_LAST = r"[A-Za-z0-9\-_~/#=&%+@$*\]]"  # what it may end with in running text (not . , ; : ! ? ' ( ))
_HAN = r"[\u3400-\u4dbf\u4e00-\u9fff]"
# a link as written in running text; a Chinese run is part of it only as a whole segment or value
URL_PATTERN = rf"https?://(?:{_ASCII}*{_LAST})(?:(?<=[/=]){_HAN}+(?:{_ASCII}*{_LAST})?)*"
URL_IN_TEXT = re.compile(URL_PATTERN)

LINK_SCHEMES = ("http", "https", "ftp")
_NOT_IN_IRI = frozenset(' <>"{}|\\^`')  # ASCII characters an IRI never holds bare
_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")  # a % that does not start a valid escape


# RFC 3987 ``ucschar``: the non-ASCII code points an IRI may hold bare outside its query. Not in it: the
# private-use planes (``iprivate``, allowed in a query only), the noncharacters at the end of every plane
# and all of plane 14 below U+E1000 (tags and the ideographic variation selectors U+E0100–E01EF, which
# documents with rare characters carry)
_UCSCHAR = (
    (0xA0, 0xD7FF),
    (0xF900, 0xFDCF),
    (0xFDF0, 0xFFEF),
    *((plane << 16, (plane << 16) | 0xFFFD) for plane in range(1, 14)),
    (0xE1000, 0xEFFFD),
)


def ok_in_segment(ch: str) -> bool:
    """Whether ``ch`` may stand as it is in a path segment of an IRI we mint: RFC 3987 ``iunreserved`` and
    the sub-delimiters we do not use as such, less the characters ``_UNSAFE`` reserves and the separators,
    controls and unassigned code points that a reader could not see or that a later Unicode may change."""
    o = ord(ch)
    if o < 0x21 or o == 0x7F or ch in _UNSAFE:
        return False
    if o < 0x7F:
        return True
    if not any(lo <= o <= hi for lo, hi in _UCSCHAR):
        return False
    return unicodedata.category(ch)[0] not in "ZC"  # separators, format marks, unassigned: never bare


def _escaped(ch: str) -> str:
    return "".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass"))


def encode_segment(seg: str) -> str:
    """A path segment with every character an IRI segment may not hold as it is percent-encoded
    (``/`` too: a segment never splits); the empty segment becomes ``%20`` so that it stays one."""
    return "".join(ch if ok_in_segment(ch) and ch != "/" else _escaped(ch) for ch in seg) or "%20"


def is_iri(value: str) -> bool:
    """Whether ``value`` is a valid absolute IRI (Oxigraph's parser decides)."""
    try:
        ox.NamedNode(value)
    except ValueError:
        return False
    return True


def to_iri(value: str) -> str | None:
    """A link as a document gives it → a valid absolute ``http``/``https``/``ftp`` IRI, or ``None``.

    Surrounding space, quotes and angle brackets go; characters no IRI holds (space, ``<>"{}|\\^```,
    controls, invisible marks) and a ``%`` that does not start an escape are percent-encoded; Chinese
    characters stay (an IRI may hold them). ``None`` for what is not a link to a place on the web: no
    such scheme, no host, or still not an IRI after that (a broken ``[`` host, say).
    """
    text = value.strip().strip("<>《》“”\"'「」『』").strip()
    if not text or len(text) > 4096:
        return None
    try:
        parts = urlsplit(text)
    except ValueError:  # an unbalanced [ in the host
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    text = parts.scheme.lower() + text[len(parts.scheme) :]
    # what a segment may hold stays, and so do the delimiters a whole link uses (?#&=…); % is seen to below
    out = "".join(_escaped(ch) if ch in _NOT_IN_IRI or not (ok_in_segment(ch) or ch in _UNSAFE) else ch for ch in text)
    out = _ESCAPE.sub("%25", out)
    return out if is_iri(out) else None
