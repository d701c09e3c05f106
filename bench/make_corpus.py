"""Write a benchmark corpus: N documents recombined from the paragraphs of a source corpus.

    python bench/make_corpus.py 10000 -o bench/corpus      # about 50 MB

Each document takes a title line and a run of paragraphs drawn (with a fixed seed) from the cleaned
source documents, and swaps every administrative place it names for another real division of the
same level from the gazetteer, consistently within the document. Mention and relation density thus
stay those of real text while the place and organization names (四川省委组织部 → 湖南省委组织部) vary
as they would across a national corpus. The result is not committed: the benchmark makes it.

The source documents are the ones ``bench/sources.tsv`` lists, each with the SHA-256 of its bytes — not
whatever ``../shared/corpus`` and ``corpus/`` hold today — so that the corpus of N documents stays the same
when those folders grow, and figures of two releases compare. A listed file that is missing or changed is
an error (the corpus would not be the one measured before); ``--write-manifest`` lists the sources anew,
deliberately. ``corpus_digest`` names a generated corpus: ``run.py`` prints it beside the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# where the manifest's paths are rooted: "shared:corpus/seeds/…" is ../shared/corpus/seeds/…
ROOTS = {"shared": HERE.parent.parent / "shared", "repo": HERE.parent}
DEFAULT_SOURCES = (ROOTS["shared"] / "corpus", ROOTS["repo"] / "corpus")
MANIFEST = HERE / "sources.tsv"


class ManifestError(Exception):
    """The sources the manifest lists are not all there as they were."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _labelled(path: Path) -> str:
    for label, root in ROOTS.items():
        if path.resolve().is_relative_to(root.resolve()):
            return f"{label}:{path.resolve().relative_to(root.resolve()).as_posix()}"
    raise ManifestError(f"{path}: under neither ../shared nor this repository")


def write_manifest(sources: list[Path], manifest: Path = MANIFEST) -> int:
    """List every document under ``sources`` with its SHA-256 in ``manifest``; return how many."""
    from zhengji_kg.ingest import iter_corpus_files

    # in the order a build reads them (the paragraphs are drawn by index: the order is part of the corpus)
    rows = [
        (_labelled(f), _sha256(f), f"{root.name}") for f, root in iter_corpus_files([s for s in sources if s.is_dir()])
    ]
    if not rows:
        raise ManifestError(f"no source documents under {', '.join(map(str, sources))}")
    lines = [
        "# bench/make_corpus.py's source documents: path (shared: ../shared, repo: this repository), "
        "SHA-256 of the bytes, corpus root; in the order read"
    ]
    lines += ["\t".join(r) for r in rows]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(rows)


def manifest_files(manifest: Path = MANIFEST) -> list[tuple[Path, Path]]:
    """The (file, corpus root) pairs the manifest lists, each checked against its SHA-256."""
    out, problems = [], []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, digest, root_name = line.split("\t")
        label, rel = name.split(":", 1)
        path = ROOTS[label] / rel
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        if _sha256(path) != digest:
            problems.append(f"{name}: changed")
            continue
        root = next(p for p in path.parents if p.name == root_name)
        out.append((path, root))
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise ManifestError(
            f"{manifest.name} lists {len(problems)} source(s) not as they were ({shown}): the corpus would not "
            "be the one measured before. Restore them, or list the sources anew with --write-manifest "
            "(figures then compare only with runs on the new list)."
        )
    return out


def source_paragraphs(files: list[tuple[Path, Path]]) -> list[str]:
    """The cleaned paragraphs (≥ 20 characters) of every readable document of ``files`` (file, root)."""
    from zhengji_kg.ingest import IngestError, read_document

    out: list[str] = []
    for f, root in files:
        try:
            doc = read_document(f, root)
        except IngestError:
            continue
        out.extend(p.strip() for p in doc.text.split("\n") if len(p.strip()) >= 20)
    if not out:
        raise ManifestError("no source documents could be read")
    return out


def corpus_digest(folder: Path) -> str:
    """A short name for a generated corpus: the SHA-256 of its files' names and bytes, in order. Two runs
    measured the same corpus exactly when these are equal."""
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*.txt")):
        h.update(f.relative_to(folder).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def _swap_places(text: str, rng: random.Random, by_level: dict[str, list], chosen: dict[str, str]) -> str:
    """Replace each full gazetteer name in ``text`` by another division of the same level."""
    from zhengji_kg.base.gazetteer import gazetteer
    from zhengji_kg.extract.places import _scan

    g = gazetteer()
    parts, last = [], 0
    for start, end, name, codes in _scan(text):
        d = g.divisions[codes[0]]
        if name != d.name:  # short forms (浙江) stay: swapping them would leave the full form inconsistent
            continue
        if name not in chosen:
            chosen[name] = rng.choice(by_level[d.level]).name
        parts += [text[last:start], chosen[name]]
        last = end
    return "".join(parts) + text[last:]


def make_corpus(
    n: int, out: Path, files: list[tuple[Path, Path]] | None = None, seed: int = 20261122, size: int = 3300
) -> int:
    """Write ``n`` documents of about ``size`` bytes into ``out`` from ``files`` (file, root; default: the
    manifest's); return the bytes written."""
    from zhengji_kg.base.gazetteer import gazetteer

    paragraphs = source_paragraphs(manifest_files() if files is None else files)
    by_level: dict[str, list] = {}
    for d in gazetteer().divisions.values():
        if len(d.name) >= 3:
            by_level.setdefault(d.level, []).append(d)
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    total = 0
    for i in range(n):
        chosen: dict[str, str] = {}
        body: list[str] = []
        length = 0
        start = rng.randrange(len(paragraphs))
        while length < size:  # runs of consecutive paragraphs keep a document's topic together
            if rng.random() < 0.3:
                start = rng.randrange(len(paragraphs))
            para = _swap_places(paragraphs[start % len(paragraphs)], rng, by_level, chosen)
            body.append(para)
            length += len(para.encode("utf-8"))
            start += 1
        title = body[0][:24].rstrip("，。、；：")
        text = f"{title}\n日期：{2020 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}\n\n" + "\n\n".join(body) + "\n"
        data = text.encode("utf-8")
        sub = out / f"{i // 1000:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"doc{i:05d}.txt").write_bytes(data)
        total += len(data)
    return total


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", nargs="?", type=int, default=10_000, help="number of documents (default 10000)")
    ap.add_argument(
        "-o", "--out", type=Path, default=HERE / "corpus-10000", help="output folder (default bench/corpus-10000)"
    )
    ap.add_argument(
        "--source",
        type=Path,
        action="append",
        help="read every document of this folder instead of the manifest's (repeatable; figures then do not "
        "compare with the manifest's corpus)",
    )
    ap.add_argument(
        "--write-manifest",
        action="store_true",
        help="list the documents of ../shared/corpus and corpus/ (or --source) in bench/sources.tsv, and stop",
    )
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument(
        "--size", type=int, default=3300, help="bytes per document at least (default 3300; about 5 KB on average)"
    )
    args = ap.parse_args(argv)
    try:
        if args.write_manifest:
            count = write_manifest(args.source or list(DEFAULT_SOURCES))
            print(f"{count} source documents → {MANIFEST}")
            return
        if args.source:
            from zhengji_kg.ingest import iter_corpus_files

            files = list(iter_corpus_files([s for s in args.source if s.is_dir()]))
        else:
            files = None
        total = make_corpus(args.n, args.out, files, args.seed, args.size)
    except ManifestError as exc:
        sys.exit(f"make_corpus: {exc}")
    print(f"{args.n} documents, {total / 1e6:.1f} MB → {args.out} (corpus {corpus_digest(args.out)})")


if __name__ == "__main__":
    main()
