"""Metadata of a document that no format carries reliably: dates in the forms Chinese texts write them, a
title guessed from the first lines, and the sidecar ``NAME.meta.yaml`` that overrides both."""

from __future__ import annotations

import re
from datetime import date

import yaml

from ..resources import load_yaml
from .base import IngestError


def normalise_date(value: str) -> str | None:
    """'2024-10-29', '2026/2/26 20:48', '2024年10月29日' → ISO date, or None."""
    m = re.search(r"(\d{4})\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})", value)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


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
