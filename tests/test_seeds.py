"""End to end on the five real seed documents (../shared): a clean graph that conforms (the gold scores: test_gold)."""

from __future__ import annotations

import re

from zhengji_kg.outputs.validate import validate

BOILERPLATE = [
    "廉政法制网",
    "文鼎文库",
    "第一文库",
    "中农兴业",
    "政讯通",
    "砖塔胡同",
    "新闻大厦",
    "会员分享",
    "免责声明",
    "下载",
    "预览",
    "联系电话",
    "wentop",
    "xiezuozhinan",
    "lndj",
    "163.com",
]


def test_seed_graph_is_clean_and_conforms(seeds_kg) -> None:
    labels = [k for _, k in seeds_kg.entities] + [a for r in seeds_kg.entities.values() for a in r.labels]
    for label in labels:
        assert not any(b in label for b in BOILERPLATE), label
        assert not re.search(r"\d{5,}|—\d+—", label), label
    ok, report = validate(seeds_kg.rdf())
    assert ok, report


def test_page_split_does_not_split_words(seeds_kg) -> None:
    doc = next(d for i, d in seeds_kg.documents.items() if i.startswith("001"))
    assert "党性是立身" in doc.text and "政治执行力" in doc.text
    doc0 = next(d for i, d in seeds_kg.documents.items() if i.startswith("000"))
    assert "正确的政绩观" in doc0.text and "—2—" not in doc0.text


def test_metadata_detected(seeds_kg) -> None:
    meta = next(m for i, m in seeds_kg.sources.items() if i.startswith("003"))
    assert meta["date"] == "2024-10-29" and meta["publisher"] == "中共辽宁省委组织部"
    from urllib.parse import urlparse

    url = urlparse(meta["url"])
    assert url.scheme == "https" and url.netloc.endswith("lndj.gov.cn")
