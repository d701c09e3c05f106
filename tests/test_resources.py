"""The files read at run time come through the package (importlib.resources): in a checkout that is the
top-level ontology/ and queries/ folders themselves; from a zip archive, a real file the libraries can open."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from zhengji_kg.base.resources import as_path, ontology_path, package_dir

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["rules.yaml", "lexicon.yaml", "boilerplate.yaml", "shapes.ttl", "zhengji.ttl"])
def test_ontology_files_are_the_repositorys(name: str) -> None:
    path = ontology_path(name)
    assert isinstance(path, Path)
    assert path.read_bytes() == (ROOT / "ontology" / name).read_bytes()


def test_only_known_folders() -> None:
    with pytest.raises(ValueError, match="no package data folder"):
        package_dir("corpus")


def test_a_file_inside_a_zip_becomes_a_real_file(tmp_path: Path) -> None:
    archive = tmp_path / "pkg.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zhengji_kg/ontology/rules.yaml", "version: 1\n")
    item = zipfile.Path(archive, "zhengji_kg/ontology/rules.yaml")
    path = as_path(item)
    assert isinstance(path, Path) and path.is_file()
    assert path.read_text(encoding="utf-8") == "version: 1\n"
    assert as_path(path) is path  # an ordinary file is used where it is
