"""Write a benchmark corpus: N documents recombined from the paragraphs of a source corpus.

    python bench/make_corpus.py 10000 -o bench/corpus      # about 50 MB

Each document takes a title line and a run of paragraphs drawn (with a fixed seed) from the cleaned
source documents, and swaps every administrative place it names for another real division of the
same level from the gazetteer, consistently within the document. Mention and relation density thus
stay those of real text while the place and organization names (四川省委组织部 → 湖南省委组织部) vary
as they would across a national corpus. The result is not committed: the benchmark makes it.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCES = (HERE.parent.parent / "shared" / "corpus", HERE.parent / "corpus")


def source_paragraphs(sources: list[Path]) -> list[str]:
    """The cleaned paragraphs (≥ 20 characters) of every readable document under ``sources``."""
    from zhengji_kg.ingest import IngestError, iter_corpus_files, read_document

    out: list[str] = []
    for f, root in iter_corpus_files([s for s in sources if s.is_dir()]):
        try:
            doc = read_document(f, root)
        except IngestError:
            continue
        out.extend(p.strip() for p in doc.text.split("\n") if len(p.strip()) >= 20)
    if not out:
        sys.exit(f"no source documents under {', '.join(map(str, sources))}")
    return out


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


def make_corpus(n: int, out: Path, sources: list[Path], seed: int = 20261122, size: int = 3300) -> int:
    """Write ``n`` documents of about ``size`` bytes into ``out``; return the bytes written."""
    from zhengji_kg.base.gazetteer import gazetteer

    paragraphs = source_paragraphs(sources)
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
    ap.add_argument("--source", type=Path, action="append", help="source corpus folder (repeatable)")
    ap.add_argument("--seed", type=int, default=20261122)
    ap.add_argument(
        "--size", type=int, default=3300, help="bytes per document at least (default 3300; about 5 KB on average)"
    )
    args = ap.parse_args(argv)
    total = make_corpus(args.n, args.out, args.source or list(DEFAULT_SOURCES), args.seed, args.size)
    print(f"{args.n} documents, {total / 1e6:.1f} MB → {args.out}")


if __name__ == "__main__":
    main()
