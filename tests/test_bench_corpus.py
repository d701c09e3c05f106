"""The benchmark's corpus is made from the sources bench/sources.tsv lists, so that it does not change
when ../shared grows: an extra file is ignored, a changed or missing one is an error."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import make_corpus as mc  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not SHARED.is_dir(), reason="needs ../shared/corpus beside the repository")


@pytest.fixture
def roots(tmp_path: Path, monkeypatch) -> dict[str, Path]:
    """Copies of ../shared and of the repository's corpus/, as the manifest's roots."""
    shared, repo = tmp_path / "shared", tmp_path / "repo"
    shutil.copytree(SHARED, shared / "corpus")
    shutil.copytree(ROOT / "corpus", repo / "corpus")
    monkeypatch.setattr(mc, "ROOTS", {"shared": shared, "repo": repo})
    return {"shared": shared, "repo": repo}


def test_the_shipped_manifest_lists_todays_sources() -> None:
    files = mc.manifest_files()
    assert len(files) > 50 and all(f.is_file() for f, _root in files)


def test_a_new_source_file_leaves_the_corpus_as_it_was(roots, tmp_path: Path) -> None:
    mc.make_corpus(40, tmp_path / "a")
    (roots["shared"] / "corpus" / "web" / "w999.txt").write_text(
        "新增的一篇文章，讲述某地建立干部实绩档案的做法。\n" * 3
    )
    mc.make_corpus(40, tmp_path / "b")
    assert mc.corpus_digest(tmp_path / "a") == mc.corpus_digest(tmp_path / "b")
    # while a corpus of every file there now is another one
    files = [(f, r) for f, r in mc.manifest_files()] + [
        (roots["shared"] / "corpus" / "web" / "w999.txt", roots["shared"] / "corpus")
    ]
    mc.make_corpus(40, tmp_path / "c", files)
    assert mc.corpus_digest(tmp_path / "c") != mc.corpus_digest(tmp_path / "a")


def test_a_changed_or_missing_source_is_an_error(roots, tmp_path: Path) -> None:
    listed = [f for f, _r in mc.manifest_files()]
    with open(listed[0], "a", encoding="utf-8") as fh:
        fh.write("多了一行。\n")
    listed[1].unlink()
    with pytest.raises(mc.ManifestError, match=r"2 source\(s\) not as they were .*changed.*missing"):
        mc.make_corpus(5, tmp_path / "x")
    assert not (tmp_path / "x").exists()
