"""Metadata of a document that no format carries reliably: dates in the forms Chinese texts write them, a
title guessed from the first lines, and the sidecar ``NAME.meta.yaml`` that overrides both."""

from __future__ import annotations

import email.utils
import re

import yaml

from zhengji_kg.base.dates import parse_date
from zhengji_kg.base.resources import load_yaml
from zhengji_kg.ingest.base import IngestError


def normalise_date(value: str) -> str | None:
    """'2024-10-29', '2026/2/26 20:48', '2024年10月29日', '二〇二四年九月', '2024' → its ISO form as precise as
    it is written (2024-10-29, 2024-09, 2024), or None (``dates.parse_date``)."""
    value = value.strip()
    if _YEAR_ALONE.fullmatch(value):
        value += "年"
    elif _COMPACT.fullmatch(value):  # 20240618, as some CMSs write their meta tags
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    elif _RFC_2822.match(value):  # Tue, 18 Jun 2024 08:00:00 +0800, as feeds and some meta tags write it
        try:
            return email.utils.parsedate_to_datetime(value).date().isoformat()
        except (TypeError, ValueError):
            return None
    d = parse_date(value)
    return d.iso() if d else None


_YEAR_ALONE = re.compile(r"\d{4}")
_COMPACT = re.compile(r"(19|20)\d{6}")
_RFC_2822 = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s")


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
