"""What every reader returns, and the one error a document that cannot be read raises."""

from __future__ import annotations

from dataclasses import dataclass, field


class IngestError(Exception):
    """A document that cannot be read; the message says why, in one line."""


@dataclass
class Extracted:
    """A reader's result: the document's text (evidence offsets index it, after the shared cleaning), the
    metadata the format itself carries, and what had to be mended to read it.

    ``metadata`` wins over what the text's own lines say (来源：…, 发布时间：…); ``defaults`` is used only
    where neither that nor the text says anything (a PDF's creation date is the file's, not the
    document's)."""

    text: str
    metadata: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    defaults: dict[str, str] = field(default_factory=dict)
