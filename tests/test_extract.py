"""Extractors and relation rules on sentences written for these tests."""

from __future__ import annotations

import pytest


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


def test_names_stop_at_verbs_that_take_them(run) -> None:
    # a head that modifies (制度保障) ends no name, and 提供 takes an object: the concept stays
    doc = run("各地要为践行正确政绩观提供制度保障。")
    assert keys(doc, "mechanism") == []
    assert "正确政绩观" in keys(doc, "concept")
    # 用 opening a clause (a headline) takes the name; inside a clause it may be part of one
    assert keys(run("安溪：用干部考核数据库引导干部创实绩"), "mechanism") == ["干部考核数据库"]
    assert keys(run("健全领导干部履职用权风险提示机制。"), "mechanism") == ["领导干部履职用权风险提示机制"]


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
    from zhengji_kg.extract.modality import modality

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
    assert derived[("中共辽宁省委组织部", "basedIn", "辽宁省")].sentence.text == third
    assert second not in {r.sentence.text for r in doc.derived}
    assert doc.place_codes["浙江省"] == "330000"


# ---- how real web documents write names (issue 18): each a general form, on sentences of our own


def test_references_back_resolve_or_go(run) -> None:
    doc = run("县里建立了乡村振兴专项工作机制。此后，这一专项工作机制每季度召开会议。")
    refs = [m for m in doc.mentions if m.rule == "mechanism.reference"]
    assert [(m.surface, m.key) for m in refs] == [("专项工作机制", "乡村振兴专项工作机制")]
    assert keys(run("这一机制让干部放下了包袱，一种机制难以包办一切。"), "mechanism") == []


def test_self_reference_is_the_document_regulation(run) -> None:
    doc = run(
        "某市干部担当作为容错免责实施办法（试行）\n"
        "第一条 为落实“三个区分开来”要求，制定本实施办法。\n本实施办法自印发之日起施行。"
    )
    assert keys(doc, "mechanism") == ["某市干部担当作为容错免责实施办法"]
    assert len([m for m in doc.mentions if m.rule == "mechanism.self-reference"]) == 3  # heading + twice 本实施办法
    assert rels(doc, "implements") == [("某市干部担当作为容错免责实施办法", "implements", "三个区分开来")]
    # a regulation issued in a notice: the title in 《》; its bodies on a line of their own issued it
    doc = run("中共湖州市委  湖州市人民政府\n印发《湖州市容错免责办法（试行）》的通知\n第一条 制定本办法。")
    assert ("湖州市容错免责办法", "establishedBy", "湖州市人民政府") in rels(doc)
    assert ("湖州市容错免责办法", "practicedIn", "湖州市") in rels(doc)


def test_name_starts(run) -> None:
    assert keys(run("问题的根子源于干部考核机制扭曲。"), "mechanism") == ["干部考核机制"]
    assert keys(run("实行各部门各单位年度目标量化考核奖惩机制。"), "mechanism") == ["年度目标量化考核奖惩机制"]
    assert keys(run("完善领导班子和领导干部分级分类考核评价体系。"), "mechanism") == ["分级分类考核评价体系"]
    assert keys(run("健全激励和容错纠错机制。"), "mechanism") == ["容错纠错机制", "激励机制"]
    assert keys(run("健全激励和约束机制。"), "mechanism") == ["激励和约束机制"]  # one name: a single word each
    assert keys(run("一名干部要同时应付5个政务平台。"), "mechanism") == []  # counted: a common noun
    assert keys(run("在国家治理体系中，乡镇处在末梢。"), "mechanism") == []


def test_place_scoping_a_name(run) -> None:
    doc = run("湖州“村务准入清单”的做法值得推广。")
    assert keys(doc, "mechanism") == ["村务准入清单"]
    assert rels(doc, "practicedIn") == [("村务准入清单", "practicedIn", "湖州市")]
    # a regulation's name keeps its place
    assert keys(run("湖州市出台《湖州市容错免责办法》。"), "mechanism") == ["湖州市容错免责办法"]


def test_named_practices(run, decide) -> None:
    doc = run("嘉兴市推出的“村情通”让群众少跑腿。这几年“放管服”改革也在深化。")
    assert keys(doc, "mechanism") == ["放管服", "村情通"]
    assert rels(doc, "practicedIn") == [("村情通", "practicedIn", "嘉兴市")]
    assert keys(run("闽东推进“千村示范”工程。"), "mechanism") == ["千村示范工程"]
    # what a man says is not an arrangement
    assert keys(decide("他常说“马上就办”，又说“形象工程”害人。"), "mechanism") == []
    # a practice called by its kind (做法, 经验) after the quote; a bad practice of the lexicon is none
    assert keys(run("蒿口镇则探索“绿色积分”做法。"), "mechanism") == ["绿色积分"]
    assert keys(run("这种“一刀切”做法要不得。"), "mechanism") == []


def test_points_and_stations_set_up_for_the_work(run) -> None:
    # standing points and stations are arrangements by their head, as 机制 and 清单 are; alone they name none
    assert keys(run("在龙泉镇设立基层减负联系点，开通反映渠道。"), "mechanism") == ["基层减负联系点"]
    assert keys(run("县里建起干部关爱驿站，为受处分干部解开心结。"), "mechanism") == ["干部关爱驿站"]
    # a verb of opening is no part of the name it opens
    assert keys(run("开通“减负直通车”，基层问题直接上报。"), "mechanism") == ["减负直通车"]
    assert keys(run("全县设立了12个联系点。"), "mechanism") == []


def test_bodies_and_places_of_web_copies(run) -> None:
    doc = run("在中共湖州市委全会上，湖州市委组织部作了发言。")
    assert keys(doc, "organization") == ["中共湖州市委", "中共湖州市委组织部"]
    doc = run("某某市人力资源和社会保障局（以下简称市人社局）负责解释。市人社局定期通报。")
    assert keys(doc, "organization") == ["某某市人力资源和社会保障局"]
    assert keys(run("省审计厅和温岭市金融办都来了，审计局的同志也来了。"), "organization") == [
        "温岭市金融办",
        "省审计厅",
    ]
    assert keys(run("中国西藏网\n一个个新城区拔地而起。"), "place") == []
    doc = run("北京市委办公厅印发通知。")
    assert {a for m in doc.mentions if m.type == "place" for a in m.aliases} == {"北京"}


def test_modality_belongs_to_its_clause(run) -> None:
    doc = run("德清县推行干部实绩档案，坚决反对形象工程，探索建立容错纠错机制。")
    moods = {(r.subject[1], r.object[1]): r.modality for r in doc.relations if r.predicate == "practicedIn"}
    assert moods[("容错纠错机制", "湖州市德清县")] == "reported"
    assert moods[("干部实绩档案", "湖州市德清县")] == "reported"
    concept = next(m for m in doc.mentions if m.key == "形象工程")
    assert concept.modality == "criticised"
    assert next(m for m in run("这个县从来没有搞形象工程。").mentions).modality == "reported"
    assert next(m for m in run("决不搞形象工程。").mentions).modality == "forbidden"
    doc = run("安吉县要坚持问题导向，建立干部实绩档案。")
    assert next(r for r in doc.relations if r.predicate == "practicedIn").modality == "required"
    doc = run("湖州市不搞形象工程，坚持推行干部实绩档案。")  # the 不搞 is toward 形象工程, not the archive
    assert next(r for r in doc.relations if r.predicate == "practicedIn").modality == "reported"


def test_every_division_has_a_gb_t_2260_code() -> None:
    """The package's table holds "资料暂缺" as 台湾省's code; a code that is not six digits fails the shapes
    (`zj:adminCode` pattern) and so `validate` of any build that names the place."""
    from zhengji_kg.base.gazetteer import Gazetteer

    divisions = Gazetteer().divisions
    assert all(len(code) == 6 and code.isdigit() for code in divisions), [c for c in divisions if not c.isdigit()]
    assert divisions["710000"].name == "台湾省"


def test_paired_notions_by_their_frame(run) -> None:
    """Two notions of one head set against each other are notions whatever their modifiers; everyday words
    of the head are not."""
    doc = run("评价一个班子，既看近绩、又看远绩，不能重硬绩轻软绩。")
    assert keys(doc, "concept") == ["硬绩", "软绩", "近绩", "远绩"]
    assert rels(doc, "contrastsWith") == [("硬绩", "contrastsWith", "软绩"), ("近绩", "contrastsWith", "远绩")]
    assert keys(run("他的业绩与成绩都不错，要看政绩也要看作风。"), "concept") == []


def test_a_quoted_notion_inside_a_name_is_a_mention(run) -> None:
    """Quoted inside a mechanism's name, a notion is written as a unit of its own: both are mentions."""
    doc = run("该县出台落实“三个区分开来”工作指引。")
    assert keys(doc, "mechanism") == ["三个区分开来工作指引"] and keys(doc, "concept") == ["三个区分开来"]
    assert keys(run("该县出台落实三个区分开来工作指引。"), "concept") == []  # unquoted: the name's part


def test_a_title_holds_the_names_inside_it(run) -> None:
    """A document's title, with or without 《》, is one mechanism and the arrangement named inside it another;
    a cut of the title that ends where it ends is no name of its own."""
    doc = run("镇党委下发了关于进一步完善村干部实绩档案制度的实施办法，各村抓好落实。")
    assert keys(doc, "mechanism") == ["关于进一步完善村干部实绩档案制度的实施办法", "村干部实绩档案制度"]
    doc = run("区委印发《关于健全干部容错免责机制的意见》。")
    assert keys(doc, "mechanism") == ["关于健全干部容错免责机制的意见", "干部容错免责机制"]


def test_quoted_practices_made_the_vehicle_of_the_work(run) -> None:
    doc = run("这个镇以“院坝夜话”“支部擂台”为抓手，考核采取“一述三评”的方式。")
    assert keys(doc, "mechanism") == ["一述三评", "支部擂台", "院坝夜话"]
    assert keys(run("以“实干”为荣。"), "mechanism") == []


def test_a_name_begins_at_its_place_on_a_garbled_page(run) -> None:
    """Characters no dictionary knows before a place (a page decoded wrongly) are not part of the name."""
    doc = run("嗑睖犯枫夕细瓜州县村干部考核管理办法（试行）")
    assert keys(doc, "mechanism") == ["瓜州县村干部考核管理办法"]


def test_setting_up_verbs_bodies_acting_together_and_townships_under_their_county(run) -> None:
    doc = run("桐乡市某村首创“三治融合”基层治理模式。")
    assert keys(doc, "mechanism") == ["三治融合基层治理模式"]  # 首创 sets it up: not part of the name
    doc = run("省纪委监委联合省委组织部出台《关于为受到失实举报的干部澄清正名的办法》。")
    assert [o for _s, _p, o in rels(doc, "establishedBy")] == ["省委组织部", "省纪委监委"]
    doc = run("乐清市柳市镇党委探索实行积分制。")
    assert "乐清市柳市镇" in keys(doc, "place")


def test_a_parent_written_into_one_word_with_its_child(run) -> None:
    """jieba keeps 上海浦东新区 as one word: the city's short form before a division it contains is a place,
    and the gazetteer's district is not taken for a local place of the same end."""
    doc = run("上海浦东新区张江镇推行“一网通办”。")
    assert keys(doc, "place") == ["上海市", "上海市浦东新区", "浦东新区张江镇"]
    assert keys(run("这项改革被写入了省委一号文件，印发了关爱干部的若干措施。"), "mechanism") == [
        "关爱干部的若干措施",
        "省委一号文件",
    ]


def test_implements_by_a_vehicle_or_around_a_notion(run) -> None:
    doc = run("该区以干部实绩档案为抓手，推动树立和践行正确政绩观。")
    assert rels(doc, "implements") == [("干部实绩档案", "implements", "正确政绩观")]
    doc = run("围绕为基层减负，县里建立了督查检查考核计划管理制度。")
    assert rels(doc, "implements") == [("督查检查考核计划管理制度", "implements", "为基层减负")]


def test_a_verb_that_opens_a_county_name_after_a_body(run) -> None:
    """会同 is a county of Hunan and the verb "together with": right after a body's name it is the verb."""
    doc = run("容错免责工作由县纪委监委会同县委组织部负责组织实施。")
    assert keys(doc, "place") == [] and keys(doc, "organization") == ["县委组织部", "县纪委监委"]
    assert keys(run("本目录由县编委办公室会同县司法局进行解释。"), "place") == []
    assert keys(run("湖南省怀化市会同县出台干部容错免责清单。"), "place") == ["怀化市", "怀化市会同县", "湖南省"]
    assert keys(run("县委组织部建立容错免责案例库，定期发布典型案例。"), "mechanism") == ["容错免责案例库"]


def test_a_citys_short_form_before_its_own_division(run) -> None:
    """南通, 金华, 嘉兴 are no places to jieba's dictionary (nz, nr): alone they are not taken, right before
    one of their own divisions they are."""
    assert keys(run("江苏南通崇川区推行“擂台比武”实践锻炼机制。"), "place") == ["南通市", "南通市崇川区", "江苏省"]
    assert keys(run("南通的干部都很能干。"), "place") == []
    assert keys(run("嘉兴南湖区建立干部实绩档案。"), "place") == ["嘉兴市", "嘉兴市南湖区"]


def test_names_beside_names_and_quotations(run) -> None:
    # a name with a head of its own left of 与 is a name of its own, not a shared left part
    doc = run("下一步将把干部实绩档案与干部考核评价机制衔接起来。")
    assert keys(doc, "mechanism") == ["干部实绩档案", "干部考核评价机制"]
    # a verb of setting up right before a quoted name takes the name; another verb may be the name's own
    assert keys(run("镇里则试行“一线工作法”，要求干部每周驻村。"), "mechanism") == ["一线工作法"]
    assert keys(run("全县推行作风检视“红+黄”两清单。"), "mechanism") == ["作风检视红+黄两清单"]
    # a name may say how often (每日一评机制)
    assert keys(run("县里建立了每日一评机制。"), "mechanism") == ["每日一评机制"]


def test_places_after_their_parent(run) -> None:
    # right after its county or district a town may be named with common words; a town and its village
    # written as one run are two places; a common word of the dictionary is no place however placed
    assert "吴兴区织里镇" in keys(run("湖州市吴兴区织里镇推行积分制。"), "place")
    doc = run("桐乡市大麻镇海华村推出议事会。")
    assert {"桐乡市大麻镇", "桐乡市大麻镇海华村"} <= set(keys(doc, "place"))
    assert [m.surface for m in doc.mentions if m.type == "place" and m.rule == "place.local"] == ["大麻镇", "海华村"]
    assert keys(run("北京市大兴区新农村建设加快。"), "place") == ["北京市", "北京市大兴区"]
    for common in ("安吉县特色小镇建设成效明显。", "安吉县重点镇和中心村先行先试。", "安吉县部分村还没有建立制度。"):
        assert keys(run(common), "place") == ["湖州市安吉县"], common
    assert "布尔陶亥苏木" in keys(run("在布尔陶亥苏木，干部下沉一线。"), "place")
    # the same name alone elsewhere in the document is that place; alone everywhere, it is none
    doc = run("桐庐县分水镇创新推出积分制。分水镇还率先试点，效果明显。")
    assert [(m.surface, m.key) for m in doc.mentions if m.rule == "place.local"] == [("分水镇", "桐庐县分水镇")] * 2
    assert keys(run("示范镇还将推行清单。特色小镇建设加快。"), "place") == []


def test_township_bodies(run) -> None:
    assert keys(run("会议由镇党委召集，区委考核办列席。"), "organization") == ["区委考核办", "镇党委"]
    assert keys(run("由乡镇纪委、村务监督委员会共同见证。"), "organization") == []


def test_places_of_common_words_in_a_frame_that_says_so(run) -> None:
    # a town or village named with common words, standing alone: a place where a frame says so (a word of
    # place before it, a body of the place or a count of such places after it), under its own rule id
    doc = run("在石磨镇，干部下沉一线。组织柿子村等8个村议事；砖瓦镇推行“晒绩单”制度。")
    common = sorted(m.surface for m in doc.mentions if m.rule == "place.local-common")
    assert common == ["柿子村", "石磨镇"]  # (砖瓦镇推行…: a kind of town does that as readily)
    for none in (
        "干部们定期到边境村走访慰问。",
        "在空心村治理中，县里建立了问题台账。",
        "电商村率先推出“网格直播”做法。",
        "县里建立了空心村整治台账。",
        "干部晚上进村走访。",
        "干部到联系村开展走访。",
        "当地是工业重镇推行改革。",
        "全县苏木镇、嘎查村全覆盖。",
    ):
        assert keys(run(none), "place") == [], none
    # the town found so is the parent of the village written after it
    doc = run("在茶园铺镇大柳村，村党总支建立“家底台账”。")
    assert "茶园铺镇大柳村" in keys(doc, "place")


def test_places_whatever_the_cut(run) -> None:
    # right after its district a town's name opens where the district ends, though jieba cut across both
    # (屯留|区渔泽 style) and ran its unit into the body's word (镇党委): the parent and the body say where it is
    doc = run("甘肃省定西市安定区巉口镇党委召开会议。")
    assert "安定区巉口镇" in keys(doc, "place")
    assert keys(run("安吉县把每个村都纳入考核。"), "place") == ["湖州市安吉县"]
    assert keys(run("安吉县各街道都建立了台账。"), "place") == ["湖州市安吉县"]
    # the nearest place before the unit is the parent: a name never holds a place (浙江省|安吉县余|村 is none)
    assert keys(run("浙江省安吉县余村推行积分制。"), "place") == ["浙江省", "湖州市安吉县"]
    # a rare character jieba cannot class (彧) or a bound morpheme (坳) is a name's part, not a common word
    assert keys(run("在彧城街道，干部下沉一线。"), "place") == ["彧城街道"]
    # a name jieba does not know, run into the word of its unit (思|口镇 style): the stem cut alone is one
    # unknown word; common words are not (干部|进村)
    assert keys(run("蒿口镇则探索“潜绩积分”做法。"), "place") == ["蒿口镇"]
    for none in ("干部进村入户开展走访。", "推进古城镇保护利用。", "加快小城镇建设步伐。", "县里组织干部下乡镇调研。"):
        assert keys(run(none), "place") == [], none
    # a village after the town it points back to (该镇…村), a town after a town and 、
    assert keys(run("该乡青石坳村建立了台账。"), "place") == ["青石坳村"]
    assert keys(run("该镇石牛岭村建立了台账。"), "place") == ["石牛岭村"]
    assert keys(run("该镇把干部实绩写入档案。"), "place") == []
    assert keys(run("在龙泉镇、石磨镇设立联系点。"), "place") == ["石磨镇", "龙泉镇"]
    # a town and its village as one run longer than one name (龙源口镇桥林村), a verb morpheme opening a name (濯)
    assert {"青石坳镇", "青石坳镇桥林村"} <= set(keys(run("”青石坳镇桥林村党支部书记说。"), "place"))
    assert "濯水镇" in keys(run("区里派出考察组，到濯水镇古镇保护一线蹲点考察。"), "place")
    assert keys(run("全县村级组织牌子由平均每村17块压减到4块以内。"), "place") == []
    # a body named after a chain of places is also named by its own place (前川村党支部)
    doc = run("吉林省白山市抚松县松江河镇前川村党支部书记说。")
    assert [m.aliases[-1] for m in doc.mentions if m.type == "organization"] == ["前川村党支部"]


def test_places_a_mechanism_is_set_up_or_tried_in(run) -> None:
    # 在 + the places (a list) + a verb of setting up or trying: each place practises what the sentence names
    doc = run("县里建立“民情夜访”制度，在柏树镇、青杠乡等6个乡镇设立联络员。")
    assert ("民情夜访制度", "practicedIn", "柏树镇") in rels(doc, "practicedIn")
    assert ("民情夜访制度", "practicedIn", "青杠乡") in rels(doc, "practicedIn")
    doc = run("今年县委组织部在柏树镇、青杠乡试点推行干部实绩档案。")
    assert {o for _s, _p, o in rels(doc, "practicedIn")} >= {"柏树镇", "青杠乡"}
    # a place whose experience is learnt from (学习借鉴柏树镇经验) practises nothing
    assert rels(run("在学习借鉴柏树镇经验的基础上建立干部实绩档案。"), "practicedIn") == []
    # the places the next sentence makes its pilots
    doc = run("县委组织部探索推行“群众评绩”制度，每年由村民代表打分。柏树镇、青杠乡作为首批试点，已有两人被调整。")
    assert {o for _s, _p, o in rels(doc, "practicedIn")} >= {"柏树镇", "青杠乡"}
    # what is piloted is what the first sentence sets up, not another name after it
    doc = run("县委组织部探索推行“群众评绩”制度，评分占年度考核总分的三成。柏树镇、青杠乡作为首批试点。")
    assert {s for s, _p, _o in rels(doc, "practicedIn")} == {"群众评绩制度"}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # set up or improved according to the requirement, with or without a comma between
        ("下一步将按照“三个区分开来”的要求完善干部容错免责机制。", [("干部容错免责机制", "三个区分开来")]),
        ("县里将坚持“三个区分开来”，健全容错纠错机制，同时严肃查处诬告陷害行为。", [("容错纠错机制", "三个区分开来")]),
        # deciding later in its sentence according to it (予以容错): the mechanism's own decisions, not others'
        (
            "县里建立容错纠错会商制度，对先行先试出现失误的干部，按照“三个区分开来”原则予以容错。",
            [("容错纠错会商制度", "三个区分开来")],
        ),
        ("县里建立干部实绩档案，同时按照“三个区分开来”的要求开展了培训。", []),
        # the means that moves people toward the notion (通过…，引导…), what gives it its guarantee, its aim
        ("通过建立干部潜绩档案，引导干部树立和践行正确政绩观。", [("干部潜绩档案", "正确政绩观")]),
        ("干部潜绩档案为践行正确政绩观提供了制度保障。", [("干部潜绩档案", "正确政绩观")]),
        ("县委出台干部容错免责办法，旨在落实“三个区分开来”。", [("干部容错免责办法", "三个区分开来")]),
        ("县委出台干部容错免责办法，旨在保护干部，“三个区分开来”另有细则。", []),
    ],
)
def test_what_a_mechanism_serves(run, sentence: str, expected: list[tuple[str, str]]) -> None:
    assert rels(run(sentence), "implements") == [(m, "implements", c) for m, c in expected]


def test_a_mechanism_run_in_places(run) -> None:
    doc = run("干部潜绩档案已在柏树镇、青杠乡落地实施。")
    assert {o for _s, _p, o in rels(doc, "practicedIn")} == {"柏树镇", "青杠乡"}


def test_a_byline_under_the_title_issues_the_regulation(run) -> None:
    doc = run(
        "安吉县干部实绩档案管理办法（试行）\n（中共安吉县委组织部 2025年4月印发）\n\n"
        "第一条 为贯彻落实党中央部署，制定本办法。"
    )
    assert rels(doc, "establishedBy") == [("安吉县干部实绩档案管理办法", "establishedBy", "中共安吉县委组织部")]
    # the byline's date may be written in Chinese numerals, as a signature's is (base/dates.py reads both)
    doc = run(
        "安吉县干部实绩档案管理办法\n（中共安吉县委组织部 二〇二五年四月印发）\n\n第一条 为激励干部，制定本办法。"
    )
    assert rels(doc, "establishedBy") == [("安吉县干部实绩档案管理办法", "establishedBy", "中共安吉县委组织部")]
    # the department of society work (社会工作部) is a body of a level's committee
    assert keys(run("须经县委社会工作部审核后方可交办。"), "organization") == ["县委社会工作部"]


def test_a_preposition_run_into_a_name(run) -> None:
    # 在祥|周镇, 经万|良镇: the preposition is no part of the name; a slogan of parallel parts is no place
    assert "万良镇" in keys(run("经万良镇纪委核查属实。"), "place")
    assert keys(run("百县千镇万村高质量发展工程深入实施。驻镇帮镇扶村工作队进驻。"), "place") == []
    assert "祥周镇" in keys(run("在祥周镇，联福村推行“四单工作法”。"), "place")


def test_bodies_acting_with_others_and_bodies_of_places(run) -> None:
    # 会同 after a body's leading clause is the verb, not the county of Hunan
    doc = run("由丹棱县委组织部牵头，会同县纪委监委、县委督查室研究制定《干部实绩档案管理办法》。")
    assert "怀化市会同县" not in keys(doc, "place")
    assert {"县纪委监委", "县委督查室"} <= set(keys(doc, "organization"))
    assert ("干部实绩档案管理办法", "establishedBy", "中共丹棱县委组织部") in rels(doc, "establishedBy")
    doc = run("县委党校会同县委组织部编写《干部政绩观教育纲要》。")
    assert "中共会同县委组织部" not in keys(doc, "organization")
    # a place followed by 和 or 的 names no body with what follows
    assert "白塔镇和县林业局" not in keys(run("在白塔镇和县林业局先行试点。"), "organization")
    assert keys(run("白塔镇的青山社区党总支书记说。"), "organization") == ["青山社区党总支"]
    # short forms of the offices of a level's committee and government, and its research office
    assert keys(run("由县委办、县政府办负责督办。"), "organization") == ["县委办", "县政府办"]
    assert keys(run("县委办理了此事。"), "organization") == []
    assert keys(run("须经县委政策研究室审查。"), "organization") == ["县委政策研究室"]
    assert keys(run("经旗发展和改革委员会审核后入库。"), "organization") == ["旗发展和改革委员会"]


def test_a_verb_inside_a_name_a_setting_up_verb_takes(run) -> None:
    doc = run("县委督查室建立报表统筹审核机制。由县委编办牵头，梳理形成县乡两级权责对照清单。")
    assert keys(doc, "mechanism") == ["县乡两级权责对照清单", "报表统筹审核机制"]
    assert rels(doc, "establishedBy") == [
        ("县乡两级权责对照清单", "establishedBy", "县委编办"),
        ("报表统筹审核机制", "establishedBy", "县委督查室"),
    ]
    # a verb with no noun between it and the setting-up verb still ends the name
    assert keys(run("要建立健全推进机制。"), "mechanism") == []


def test_notions_set_against_each_other(run) -> None:
    doc = run("有的地方把“留痕”当成了“留绩”。要处理好“近功”与“远功”的关系。")
    assert {"留痕", "留绩", "近功", "远功"} <= set(keys(doc, "concept"))
    pairs = {tuple(sorted((s, o))) for s, _p, o in rels(doc, "contrastsWith")}
    assert {("留痕", "留绩"), ("近功", "远功")} <= pairs
    # without a notion's head on either side the pair is a figure of speech
    assert keys(run("有人把“文件厚”当作“工作实”。"), "concept") == []


def test_features_of_a_means_of_the_work_and_of_a_long_lexicon_term(rules) -> None:
    from zhengji_kg.base.model import Document
    from zhengji_kg.base.segment import split_sentences
    from zhengji_kg.extract import candidate_mentions

    text = "区里以“晒绩擂台”机制为抓手推动实干。领导干部自然资源资产离任审计全面推开。"
    doc = Document(id="f", path="f", text=text, original_text=text)
    doc.sentences = split_sentences(text)
    cands, feats = candidate_mentions(doc, rules)
    by_surface = {m.surface: f for m, f in zip(cands, feats, strict=True)}
    assert "mechanism.vehicle" in by_surface["晒绩擂台机制"]
    assert "mechanism.lexlong" in by_surface["领导干部自然资源资产离任审计"]
    assert not any("vehicle" in x for x in by_surface["领导干部自然资源资产离任审计"])


def test_a_passive_participle_opens_a_name(run) -> None:
    doc = run("同时建立被问责干部关爱回访机制，推行一次办结制度。")
    assert keys(doc, "mechanism") == ["一次办结制度", "被问责干部关爱回访机制"]


def test_a_numeral_opens_a_village_name_a_count_does_not(run) -> None:
    doc = run("在十八洞村调研。八一村党支部推行积分制。在五里村等3个村推开。")
    assert keys(doc, "place") == ["五里村", "八一村", "十八洞村"]
    for count in ("全县三个村试点。", "一村一品，一镇一业。", "在两个村试点。", "全县十村试点。"):
        assert keys(run(count), "place") == [], count


def test_what_a_second_reading_found(run) -> None:
    # 会同 is the verb after any word that is no place's parent nor a word before a place
    for verb in (
        "各乡镇会同县直部门建立问题整改台账。",
        "纪检监察机关会同县委组织部建立澄清正名机制。",
        "县委组织部要会同县纪委监委研究。",
    ):
        assert "怀化市会同县" not in keys(run(verb), "place"), verb
        assert "中共会同县委组织部" not in keys(run(verb), "organization"), verb
    for county in ("怀化市会同县推行干部实绩档案。", "在会同县，干部下沉。", "会同县委组织部建立档案。"):
        assert "怀化市会同县" in keys(run(county), "place"), county
    # 和 opens a name here (和谐社区)
    assert "白塔镇和谐社区党委" in keys(run("白塔镇和谐社区党委推出“红色物业”模式。"), "organization")
    assert keys(run("县委办了一件大实事。"), "organization") == []
    # a setting-up verb of its own heads a clause; 建立了 still takes the name after it
    assert "乡村推行积分制" not in keys(run("探索乡村推行积分制管理。"), "mechanism")
    assert keys(run("县委督查室建立了报表统筹审核机制。"), "mechanism") == ["报表统筹审核机制"]
