"""Per-document work counted in machine instructions: a figure the machine's drift does not move.

    python bench/instructions.py                       # 100 documents of bench/corpus-2000
    python bench/instructions.py --against v0.6.1      # and the same for another revision, side by side
    python bench/instructions.py --against A --against B   # several revisions (e.g. before and after a move)

Timings on a shared machine drift by ±10 % over minutes — more than most changes to the extractors — so
two timed runs of one tree can disagree by more than two trees do. Here each side runs under Valgrind
(``cachegrind``, no cache simulation), which counts the instructions a process executes: the same code on
the same documents gives the same count, to a few parts in a million, whatever else the machine does.

Measured, each in a process of its own (all at once, one per core):

- **ours**: ``process_source`` — read, extract, the document's own Turtle: what a build's worker does for
  each file — over ``--docs`` documents, after ``--warm`` others (dictionaries, automata and first-use
  caches loaded), minus the same process stopped after the warm-up: instructions per document;
- **jieba**: ``jieba.lcut`` (accurate mode, HMM on — ``run.py``'s reference) over the decoded text of the
  same documents, counted the same way;
- with ``--against REV`` (once or more): ``ours`` again in a worktree of that revision (``git worktree``,
  removed after).

It prints instructions per document and their ratio, jieba / ours — the same sense as ``run.py``'s ratio
to jieba (2.0 means twice jieba's speed), with instructions for seconds. Instructions are not time (a
cache miss costs more than an add), so the timed ratio of ``run.py`` stays the figure an issue is judged
by; this one says whether a change made the work smaller. Needs ``valgrind`` on the PATH; each side runs
about 40× slower than natively (100 documents: a minute or two).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def _files(corpus: Path) -> list[Path]:
    """The corpus's files in a fixed order (names sorted), as the benchmark reads them."""
    return sorted((f for f in corpus.rglob("*") if f.is_file() and not f.name.startswith(".")), key=str)


def child(side: str, corpus: Path, warm: int, docs: int) -> None:
    """What runs under Valgrind: the warm-up, then ``docs`` documents (none for the baseline count)."""
    files = _files(corpus)
    warm_files, measured = files[:warm], files[warm : warm + docs]
    if side == "jieba":
        import logging

        import jieba

        from zhengji_kg.ingest import SourceFile, parse_source

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        # decoded before the count starts to matter: the reference is the segmentation alone
        texts = [parse_source(SourceFile(f.name, f.read_bytes())).text for f in warm_files + measured]
        for text in texts[:warm]:
            jieba.lcut(text)
        for text in texts[warm:]:
            jieba.lcut(text)
        return
    from zhengji_kg import load_rules
    from zhengji_kg.ingest import SourceFile

    try:
        from zhengji_kg.pipeline.worker import process_source
    except ImportError:  # a revision from before the layers (issue 30, 0.5.0 and earlier) kept it in pipeline.py
        process_source = importlib.import_module("zhengji_kg.pipeline").process_source

    rules = load_rules()
    sources = [SourceFile(f.name, f.read_bytes()) for f in warm_files + measured]
    for src in sources[:warm]:
        process_source(src, rules, turtle=True)
    for src in sources[warm:]:
        result = process_source(src, rules, turtle=True)
        if result.error:
            raise SystemExit(f"{src.name}: {result.error}")


def count(side: str, src: Path, corpus: Path, warm: int, docs: int) -> int:
    """Instructions the child process executes (Valgrind's ``I refs``)."""
    env = dict(os.environ, PYTHONPATH=str(src), PYTHONHASHSEED="0")
    cmd = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        side,
        "--corpus",
        str(corpus),
        "--warm",
        str(warm),
        "--docs",
        str(docs),
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    found = _REFS.search(done.stderr)
    if done.returncode != 0 or not found:
        tail = "\n".join(done.stderr.strip().splitlines()[-8:])
        raise SystemExit(f"{side} ({src}): the counted run failed (exit {done.returncode}):\n{tail}")
    return int(found.group(1).replace(",", ""))


@contextlib.contextmanager
def worktree(rev: str):
    """A checkout of ``rev`` in a temporary folder, removed afterwards."""
    where = Path(tempfile.mkdtemp(prefix="zjb-rev-"))
    path = where / "tree"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), rev], check=True, capture_output=True
    )
    try:
        yield path
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False, capture_output=True
        )
        shutil.rmtree(where, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=None, help="corpus folder (default bench/corpus-2000, generated)")
    ap.add_argument("--docs", type=int, default=100, help="documents counted (default 100)")
    ap.add_argument("--warm", type=int, default=40, help="documents read first, not counted (default 40)")
    ap.add_argument(
        "--against",
        metavar="REV",
        action="append",
        default=[],
        help="also count a git revision of this repository (tag, commit); may be given more than once",
    )
    ap.add_argument("--child", choices=("ours", "jieba"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    corpus = args.corpus or HERE / "corpus-2000"
    if args.child:
        child(args.child, corpus, args.warm, args.docs)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not on the PATH (Debian: apt install valgrind); nothing counted")
    if not corpus.is_dir():
        subprocess.run([sys.executable, str(HERE / "make_corpus.py"), "2000", "-o", str(corpus)], check=True)
    if len(_files(corpus)) < args.warm + args.docs:
        raise SystemExit(f"{corpus}: fewer than {args.warm + args.docs} files (--warm + --docs)")

    with contextlib.ExitStack() as stack:
        trees = {"ours": ROOT / "src"}
        for rev in args.against:
            trees[rev] = stack.enter_context(worktree(rev)) / "src"
        runs = [
            (label, side, src, n)
            for label, src in [*trees.items(), ("jieba", ROOT / "src")]
            for side in ["jieba" if label == "jieba" else "ours"]
            for n in (0, args.docs)
        ]
        print(
            f"counting {args.docs} documents of {corpus} after {args.warm} (Valgrind; {len(runs)} runs, "
            f"{os.cpu_count()} at a time) …",
            flush=True,
        )
        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            counts = dict(
                zip(
                    [(label, n) for label, _s, _p, n in runs],
                    pool.map(lambda r: count(r[1], r[2], corpus, args.warm, r[3]), runs),
                    strict=True,
                )
            )
    per_doc = {label: (counts[(label, args.docs)] - counts[(label, 0)]) / args.docs for label in [*trees, "jieba"]}
    print(f"counted in {time.perf_counter() - t:.0f} s")
    print(f"{'':12s} {'instructions/doc':>18s}  {'jieba / it':>10s}")
    for label, n in per_doc.items():
        ratio = per_doc["jieba"] / n
        print(f"{label:12s} {n / 1e6:15.1f} M  {ratio:9.2f}×")
    for rev in args.against:
        print(f"ours / {rev}: {per_doc['ours'] / per_doc[rev]:.3f}")
    for older, newer in itertools.pairwise(args.against):
        print(f"{newer} / {older}: {per_doc[newer] / per_doc[older]:.3f}")


if __name__ == "__main__":
    main()
