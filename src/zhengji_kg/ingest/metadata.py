"""Metadata of a document that no format carries reliably: dates in the forms Chinese texts write them, a
title guessed from the first lines, and the sidecar ``NAME.meta.yaml`` that overrides both."""

from __future__ import annotations

import re

import yaml

from ..dates import parse_date
from ..resources import load_yaml
from .base import IngestError


def normalise_date(value: str) -> str | None:
    """'2024-10-29', '2026/2/26 20:48', '2024年10月29日', '二〇二四年九月', '2024' → its ISO form as precise as
    it is written (2024-10-29, 2024-09, 2024), or None (``dates.parse_date``)."""
    value = value.strip()
    if _YEAR_ALONE.fullmatch(value):
        value += "年"
    d = parse_date(value)
    return d.iso() if d else None


_YEAR_ALONE = re.compile(r"\d{4}")


def guess_title(text: str) -> str | None:
    for line in text.split("\n")[:3]:
        line = line.strip().strip('《》“”"')
        if 4 <= len(line) <= 60 and not re.search(r"[。！？!?]$", line):
            return line
    return None


def parse_sidecar(name: str, raw: bytes | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        data = load_yaml(raw.decode("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise IngestError(f"sidecar {name} is not valid UTF-8 YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise IngestError(f"sidecar {name} must be a mapping of field: value")
    return {str(k): str(v) for k, v in data.items() if v is not None}
