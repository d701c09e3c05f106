"""Extractors and relation rules on sentences written for these tests."""

from __future__ import annotations


def keys(doc, etype):
    return sorted({m.key for m in doc.mentions if m.type == etype})


def rels(doc, pred=None):
    return sorted(
        (r.subject[1], r.predicate, r.object[1])
        for r in doc.relations
        if r.predicate != "relatedTo" and (pred is None or r.predicate == pred)
    )


def test_lexicon_longest_alias_wins(run) -> None:
    doc = run("全县干部要树立和践行正确政绩观。")
    assert [(m.surface, m.key) for m in doc.mentions] == [("树立和践行正确政绩观", "正确政绩观")]


def test_mechanism_left_boundary(run) -> None:
    doc = run("今年我们探索建立重大项目事项容错申报备案机制，并持续完善干部履职积分管理办法。")
    assert keys(doc, "mechanism") == ["容错申报备案机制", "干部履职积分管理办法"]


def test_coordination_expands_names(run) -> None:
    doc = run("完善容错免责和澄清保护机制。")
    assert keys(doc, "mechanism") == ["容错免责机制", "澄清保护机制"]
    doc = run("建立健全干部担当作为激励和保护机制。")  # one word after 和 shares the left part: one name
    assert keys(doc, "mechanism") == ["干部担当作为激励和保护机制"]
    doc = run("建立分类考核、实绩公示、跟踪问效等工作机制。")
    assert keys(doc, "mechanism") == ["分类考核机制", "实绩公示机制", "跟踪问效机制"]


def test_generic_heads_rejected(run) -> None:
    doc = run("要健全工作机制，形成长效机制，完善体制机制。")
    assert keys(doc, "mechanism") == []


def test_quoted_practice_and_phase_slogan(run) -> None:
    doc = run("区里推出“擂台比武”实践锻炼机制，推行年初定目标、年中晒进度、年底比实绩的做法。")
    assert "擂台比武实践锻炼机制" in keys(doc, "mechanism")
    assert "年初定目标、年中晒进度、年底比实绩" in keys(doc, "mechanism")
    m = next(m for m in doc.mentions if m.key == "擂台比武实践锻炼机制")
    assert "擂台比武" in m.aliases


def test_concept_inside_mechanism_is_not_a_mention(run) -> None:
    doc = run("我市健全容错纠错机制。")
    assert keys(doc, "concept") == [] and keys(doc, "mechanism") == ["容错纠错机制"]


def test_metaphor_is_not_a_concept(run) -> None:
    doc = run("政绩观是干部的“定盘星”，要坚持“四下基层”。")
    assert keys(doc, "concept") == ["四下基层", "政绩观"]


def test_places_resolved_by_parent_and_left_unresolved(run) -> None:
    doc = run("天津市和平区推行干部实绩档案。")
    place = {m.surface: (m.key, m.code) for m in doc.mentions if m.type == "place"}
    assert place["和平区"] == ("天津市和平区", "120101")
    doc = run("和平区推行干部实绩档案。")
    place = {m.surface: (m.key, m.code) for m in doc.mentions if m.type == "place"}
    assert place["和平区"] == ("和平区", "")  # 天津 or 沈阳? not guessed


def test_place_short_forms_and_negatives(run) -> None:
    doc = run("习近平同志在浙江工作时提出“千万工程”。和平与发展仍是时代主题。")
    assert keys(doc, "place") == ["浙江省"]


def test_anonymised_places(run) -> None:
    doc = run("XX县和某市都建立了干部实绩档案，某些地方还在观望。")
    anon = sorted(m.key for m in doc.mentions if m.subtype == "anonymised")
    assert anon == ["XX县", "某市"]


def test_organizations(run) -> None:
    doc = run("按照市政协党组的部署，中共山东省委组织部和县纪委监委联合调研，组织部门配合。")
    assert keys(doc, "organization") == ["中共山东省委组织部", "县纪委监委", "市政协党组"]


def test_province_inside_organization_name(run) -> None:
    doc = run("辽宁省委组织部印发通知。")
    assert "辽宁省" in keys(doc, "place")


def test_implements_rules(run) -> None:
    doc = run("精准落实“三个区分开来”要求，探索建立容错申报备案机制，完善澄清保护和诬告查处机制。")
    assert rels(doc, "implements") == [
        ("容错申报备案机制", "implements", "三个区分开来"),
        ("澄清保护机制", "implements", "三个区分开来"),
        ("诬告查处机制", "implements", "三个区分开来"),
    ]
    assert rels(run("三个区分开来很重要。我们建立了容错申报备案机制。"), "implements") == []


def test_practiced_in_and_established_by(run) -> None:
    doc = run("江苏省南京市鼓楼区建立干部政绩档案。")
    assert rels(doc, "practicedIn") == [("干部实绩档案", "practicedIn", "南京市鼓楼区")]  # alias → canonical
    doc = run("省委组织部出台《干部实绩考核办法》。")
    assert rels(doc, "establishedBy") == [("干部实绩考核办法", "establishedBy", "省委组织部")]
    assert rels(run("学习外地做法，我们也要建立干部政绩档案，江苏省的经验值得借鉴。"), "practicedIn") == []


def test_contrasts(run) -> None:
    assert rels(run("既看显绩也看潜绩。"), "contrastsWith") == [("显绩", "contrastsWith", "潜绩")]
    assert rels(run("潜绩需要久久为功，显绩来得快。"), "contrastsWith") == []


def test_modality(run, rules) -> None:
    from zhengji_kg.relate import modality

    doc = run("严禁搞形象工程。坚决反对唯GDP论英雄。各地要推行干部政绩档案。江苏省南京市鼓楼区推行干部政绩档案。")
    moods = {}
    for m in doc.mentions:
        s = next(s for s in doc.sentences if s.start <= m.start < s.end)
        moods.setdefault(m.key, []).append(modality(s, m, rules))
    assert moods["形象工程"] == ["forbidden"]
    assert moods["唯GDP论英雄"] == ["criticised"]
    assert moods["干部实绩档案"] == ["required", "reported"]  # 要推行 vs. a place reporting what it did
    r = next(r for r in doc.relations if r.predicate == "practicedIn")
    assert r.modality == "reported"
    assert (
        "重要" not in str(rules.modality_cues)
        or modality(run("这是重要的干部实绩档案。").sentences[0], run("这是重要的干部实绩档案。").mentions[0], rules)
        == "reported"
    )


def test_news_report_paragraph(run) -> None:
    text = (
        "2023年以来，湖南省长沙市岳麓区建立健全“一人一档”干部实绩纪实制度，探索推行“红黑榜”晾晒机制和季度点评制度。\n"
        "区委组织部制定出台《干部担当作为容错纠错实施办法（试行）》。区委书记表示，绝不能搞“面子工程”。\n"
        "该区还建立了重点项目一线考察识别干部机制。"
    )
    doc = run(text)
    assert keys(doc, "mechanism") == [
        "一人一档干部实绩纪实制度",
        "季度点评制度",
        "干部担当作为容错纠错实施办法",
        "红黑榜晾晒机制",
        "重点项目一线考察识别干部机制",
    ]
    assert keys(doc, "organization") == ["区委组织部"]  # not 区委 of 区委书记
    assert ("重点项目一线考察识别干部机制", "practicedIn", "长沙市岳麓区") in rels(doc)  # 该区
    assert ("干部担当作为容错纠错实施办法", "establishedBy", "区委组织部") in rels(doc)


def test_two_issuers(run) -> None:
    doc = run("2019年，中办、国办印发《关于解决形式主义突出问题为基层减负的通知》。")
    assert rels(doc, "establishedBy") == [
        ("关于解决形式主义突出问题为基层减负的通知", "establishedBy", "中共中央办公厅"),
        ("关于解决形式主义突出问题为基层减负的通知", "establishedBy", "国务院办公厅"),
    ]


def test_places_inside_words_and_org_names(run) -> None:
    doc = run("四川省委组织部在全省推广凉山州建立的“一线考评”机制，推广安全生产经验。")
    assert keys(doc, "place") == ["凉山彝族自治州", "四川省"]  # not 广安 (推广安全)
    assert rels(doc, "practicedIn") == [("一线考评机制", "practicedIn", "凉山彝族自治州")]  # not 四川省


def test_derived_relations_carry_the_first_implying_sentence(run) -> None:
    """partOf / basedIn are known from the gazetteer, not stated; their evidence is the document's first
    sentence that names the child or anything below it — computed per document, in the worker."""
    doc = run("湖州市安吉县建立干部实绩档案。浙江省湖州市推行容错纠错机制。辽宁省委组织部印发通知。")
    first, second, third = (s.text for s in doc.sentences)
    derived = {(r.subject[1], r.predicate, r.object[1]): r for r in doc.derived}
    # 湖州市 ⊂ 浙江省 is implied already by 安吉县 in the first sentence, before 湖州市 itself is named alone
    assert derived[("湖州市安吉县", "partOf", "湖州市")].sentence.text == first
    assert derived[("湖州市", "partOf", "浙江省")].sentence.text == first
    assert derived[("辽宁省委组织部", "basedIn", "辽宁省")].sentence.text == third
    assert second not in {r.sentence.text for r in doc.derived}
    assert doc.place_codes["浙江省"] == "330000"
