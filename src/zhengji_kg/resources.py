"""Where the ontology, lexicon and rules live: ``ontology/`` beside the package (shipped with it)."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def ontology_dir() -> Path:
    """The ``ontology/`` folder: inside the installed package, which links to the repository's folder."""
    for candidate in (_PKG / "ontology", _PKG.parent.parent / "ontology"):
        if (candidate / "zhengji.ttl").is_file():
            return candidate
    raise FileNotFoundError("ontology/ folder not found next to the zhengji_kg package")


def ontology_path(name: str) -> Path:
    return ontology_dir() / name
