"""The files the program reads at run time — the ontology folder (rules, lexicon, shapes, boilerplate),
the canned queries and the page template — found through ``importlib.resources``.

They are package data of ``zhengji_kg``: in a checkout, ``src/zhengji_kg/ontology`` and
``src/zhengji_kg/queries`` are links to the repository's top-level ``ontology/`` and ``queries/`` (one copy
to edit), and the wheel and the sdist carry the files themselves. Reading through the package, never
through a path of the checkout, is what lets an installed wheel, a Dask worker and an editable install
find the same files.
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

# folders of package data and a file each must hold: a checkout whose links were not made (git on a
# system without symbolic links writes a text file instead) falls back to the repository's folder
_FOLDERS = {"ontology": "zhengji.ttl", "queries": "where-practiced.rq"}
_open = ExitStack()
atexit.register(_open.close)


def package_dir(name: str) -> Traversable:
    """A folder of package data: ``ontology`` or ``queries`` (the page template is read by Jinja's PackageLoader)."""
    if name not in _FOLDERS:
        raise ValueError(f"no package data folder {name!r}")
    package = resources.files("zhengji_kg")
    folder = package / name
    if (folder / _FOLDERS[name]).is_file():
        return folder
    checkout = Path(str(package)).parent.parent / name
    if (checkout / _FOLDERS[name]).is_file():
        return checkout
    raise FileNotFoundError(
        f"the {name}/ files of zhengji_kg are missing from its installation ({folder}); reinstall the package"
        " (pip install --force-reinstall zhengji-kg)"
    )


def as_path(item: Traversable) -> Path:
    """A file system path for a package file: the file itself in an ordinary installation, a temporary
    copy (kept until the process ends) where the package sits in a zip archive."""
    if isinstance(item, Path):
        return item
    return _open.enter_context(resources.as_file(item))


def ontology_path(name: str) -> Path:
    """One file of the ontology folder (``rules.yaml``, ``lexicon.yaml``, ``shapes.ttl`` …)."""
    return as_path(package_dir("ontology") / name)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` through libyaml when PyYAML has it (its wheels do): the same data, about ten
    times faster — the lexicon and rules are read at the start of every build."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
