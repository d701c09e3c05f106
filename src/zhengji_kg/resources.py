"""Where the ontology, lexicon and rules live: ``ontology/`` beside the package (shipped with it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_PKG = Path(__file__).resolve().parent


def ontology_dir() -> Path:
    """The ``ontology/`` folder: inside the installed package, which links to the repository's folder."""
    for candidate in (_PKG / "ontology", _PKG.parent.parent / "ontology"):
        if (candidate / "zhengji.ttl").is_file():
            return candidate
    raise FileNotFoundError("ontology/ folder not found next to the zhengji_kg package")


def ontology_path(name: str) -> Path:
    return ontology_dir() / name


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` through libyaml when PyYAML has it (its wheels do): the same data, about ten
    times faster — the lexicon and rules are read at the start of every build."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
