"""Fuzzing the whole build: documents made of the demo corpus's sentences with hostile insertions.

Every generated document holds Chinese text, so every one must be in the graph; whatever the
insertions (URLs that run into the text, stray ``%``, e-mail addresses, control and invisible
characters, brackets and quotes, metadata labels with odd values, very long runs of one character,
lines in different encodings, odd sidecar values), the build must not raise, ``graph.ttl`` must parse
with both rdflib and Oxigraph's strict parser (which rejects any invalid IRI), the graph must conform
to the SHACL shapes, and the page must load in a browser without errors.

``ZHENGJI_FUZZ_EXAMPLES`` sets how many corpora the test builds (CI: the default below).
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rdflib import Graph

from zhengji_kg import load_rules
from zhengji_kg.kg.rdf import source_iri
from zhengji_kg.outputs.validate import validate
from zhengji_kg.outputs.viz import page_model, render_page
from zhengji_kg.pipeline.corpus import build_to

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("ZHENGJI_FUZZ_EXAMPLES", "40"))


def _demo_sentences() -> list[str]:
    """Sentences of our own demo corpus (UTF-8 files), each ending with its full stop."""
    found: list[str] = []
    for name in ("01-anji-county.txt", "02-heping-district.md"):
        text = (ROOT / "corpus" / name).read_text(encoding="utf-8")
        found += [s.strip() for s in re.findall(r"[^。！？\n]+[。！？]", text) if re.search(r"[\u4e00-\u9fff]{4}", s)]
    return found


SENTENCES = _demo_sentences()
_rules = functools.cache(load_rules)  # (not the session fixture: Hypothesis would print it with each failure)

_URL_CHARS = [*"abcxyz019-._~:/?#[]@!$&'()*+,;=%", *"政绩观。，；）】」“”", " ", "\u3000", "%E4", "%2", "%zz"]
urls = st.builds(
    lambda scheme, host, path, label: f"{label}{scheme}{host}/{path}",
    st.sampled_from(["http://", "https://", "HTTPS://", "ftp://", "https:/", "http://[", "https://user@"]),
    st.sampled_from(["www.example.gov.cn", "example.org:8080", "例子.中国", "", "[::1]", "a b.cn", "x%41.cn"]),
    st.lists(st.sampled_from(_URL_CHARS), max_size=30).map("".join),
    st.sampled_from(["", "原文链接：", "本文链接：", "出处：", "原文地址：", "文章来源：", "转载请注明出处："]),
)
percents = st.sampled_from(["16.37%", "%", "%。", "100％", "%E4%B8%AD", "%zz", "50%~60%", "%%"])
emails = st.builds(
    lambda user, host: f"{user}@{host}",
    st.sampled_from(["zhengji", "a.b-c", "组织部", "x+y", ""]),
    st.sampled_from(["example.gov.cn", "mail.example.org", "例子.cn", "", "x"]),
)
controls = st.lists(
    st.sampled_from(
        [
            "\x00",
            "\x01",
            "\x0b",
            "\x0c",
            "\x1b",
            "\x7f",
            "\x85",
            "\x9c",
            "\u200b",
            "\u200c",
            "\u200d",
            "\u200e",
            "\u200f",
            "\u202a",
            "\u202e",
            "\u2066",
            "\u2069",
            "\u2028",
            "\u2029",
            "\ufeff",
            "\ufffe",
            "\ue000",
            "\r",
        ]
    ),
    min_size=1,
    max_size=4,
).map("".join)
brackets = st.sampled_from([*"《》“”‘’「」『』【】（）()[]{}<>\"'`〔〕", "<script>", "]]>", "-->", "\\", "\\u"])
metadata = st.builds(
    lambda label, value: f"\n{label}{value}\n",
    st.sampled_from(["发布时间：", "发布日期：", "来源：", "作者：", "原文链接：", "出处：", "文号：", "责任编辑："]),
    st.one_of(
        st.text(max_size=30),
        st.sampled_from(["9999-99-99", "2024年13月45日", "http://", "《》", "中组发〔2024〕号", "  ", "javascript:x"]),
    ),
)
runs = st.builds(lambda ch, n: ch * n, st.sampled_from(list("啊。，a %\n—…的《")), st.integers(50, 3000))
noise = st.one_of(urls, percents, emails, controls, brackets, metadata, runs, st.text(max_size=12))


@st.composite
def documents(draw) -> tuple[str, str, bytes, bytes | None]:
    """(file name, the text as written, its bytes, a sidecar's bytes or None)."""
    body = draw(st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=6))
    text = "".join(body)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(noise) + text[at:]
    # one demo sentence on a line of its own, untouched: the document surely has Chinese text to keep
    text = draw(st.sampled_from(SENTENCES)) + "\n" + text
    kind = draw(st.sampled_from(["txt", "txt", "md", "html"]))
    if kind == "html":
        head = f"<head><meta charset='utf-8'><title>{text[:20]}</title></head>"
        text = f"<html>{head}<body><div>{text}</div></body></html>"
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "gb18030", "utf-16", "big5", "mixed"]))
    if kind == "html":
        encoding = "utf-8"
    if encoding == "mixed":  # lines of a file pasted together from files in different encodings
        lines = text.split("\n")
        raw = b"\n".join(line.encode(draw(st.sampled_from(["utf-8", "gb18030"])), errors="replace") for line in lines)
    else:
        if encoding == "big5":  # a Big5 file holds traditional characters (those Big5 lacks become "?")
            text = to_traditional(text)
        raw = text.encode(encoding, errors="replace")
    sidecar = None
    if draw(st.booleans()):
        fields = draw(
            st.dictionaries(
                st.sampled_from(["title", "date", "publisher", "author", "url", "place"]),
                st.text(max_size=20) | st.sampled_from(["https://例子.cn/a b", "http://x/%zz", "<>", "mailto:a@b"]),
                max_size=4,
            )
        )
        sidecar = yaml.safe_dump(fields, allow_unicode=True).encode("utf-8")
    return kind, text, raw, sidecar


@functools.cache
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    return _s2t().convert(text)


def _write(folder: Path, docs: list[tuple[str, str, bytes, bytes | None]]) -> list[str]:
    folder.mkdir(parents=True)
    ids = []
    for i, (kind, _text, raw, sidecar) in enumerate(docs):
        (folder / f"d{i}.{kind}").write_bytes(raw)
        if sidecar is not None:
            (folder / f"d{i}.meta.yaml").write_bytes(sidecar)
        ids.append(f"d{i}")
    return ids


def _check_build(folder: Path, ids: list[str]) -> Path:
    """Build ``folder``; check what every fuzzed corpus must satisfy; return the page's path."""
    out = folder.parent / "out"
    kg, ttl = build_to([folder], out / "graph.ttl", _rules(), jobs=1)
    html = render_page(page_model(kg, title="fuzz"))
    ttl.commit()
    (out / "graph.html").write_text(html, encoding="utf-8")
    assert kg.report is not None
    assert kg.report.skipped == [], kg.report.skipped
    data = (out / "graph.ttl").read_bytes()
    strict = ox.Store()
    strict.load(data, format=ox.RdfFormat.TURTLE)  # raises on any invalid IRI or literal
    g = Graph().parse(data=data.decode("utf-8"), format="turtle")
    for doc_id in ids:
        assert (source_iri(doc_id), None, None) in g, f"{doc_id} is not in the graph"
    conforms, report = validate(g)
    assert conforms, report
    return out / "graph.html"


FUZZ = settings(
    max_examples=EXAMPLES,
    # shrinking a failing corpus can take many minutes: ZHENGJI_FUZZ_SHRINK=0 reports the first one found
    phases=[p for p in Phase if p is not Phase.shrink or os.environ.get("ZHENGJI_FUZZ_SHRINK", "1") != "0"],
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


@FUZZ
@given(docs=st.lists(documents(), min_size=1, max_size=3))
def test_fuzzed_corpus_builds_and_conforms(tmp_path_factory, docs) -> None:
    folder = tmp_path_factory.mktemp("fuzz") / "corpus"
    _check_build(folder, _write(folder, docs))


@pytest.mark.browser
@settings(FUZZ, max_examples=max(3, EXAMPLES // 8))
@given(docs=st.lists(documents(), min_size=1, max_size=3))
def test_fuzzed_corpus_page_loads(browser, open_page, tmp_path_factory, docs) -> None:
    folder = tmp_path_factory.mktemp("fuzzpage") / "corpus"
    page, errors = open_page(browser, _check_build(folder, _write(folder, docs)), settle=0)
    page.context.close()
    assert errors == []
