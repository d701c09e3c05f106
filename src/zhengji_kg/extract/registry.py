"""The extractors by rule ``kind``: each module of ``extract`` registers its own (``@register("regex")``),
and ``candidate_mentions`` runs the one a rule names — a module of its own, below the extractors and the
step that runs them, so that neither imports the other to reach it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from zhengji_kg.base.model import Document, Mention
from zhengji_kg.extract.context import Context

Extractor = Callable[[Document, dict, Context], Iterable[Mention]]
REGISTRY: dict[str, Extractor] = {}


def register(kind: str) -> Callable[[Extractor], Extractor]:
    def deco(fn: Extractor) -> Extractor:
        REGISTRY[kind] = fn
        return fn

    return deco
