import json

import pytest

from kb.answers import ask, verify
from kb.evaluate import _accepted, answer_type, evaluate
from kb.features import question_pairs
from kb.query import asked_unit, counted_phrase, parse_query, question_kind
from kb.shapes import answer_dict, passage_citation, verdict_dict

from conftest import QUESTIONS


@pytest.mark.parametrize("question", ["美丽庭院示范村有多少个", "how many beautiful-courtyard demonstration sites"])
def test_the_courtyard_figure_is_answered_and_cited(snapshot, question):
    answer = ask(snapshot, question)
    assert answer.found and answer.text == "64个" and answer.value == 64 and answer.unit == "个"
    cited = passage_citation(answer.evidence.passage_id, snapshot)
    assert cited["paragraph"] == 49
    assert cited["section"][0] == "佛山妇联在家庭家教家风建设方面有新举措"
    doc = snapshot.document(cited["doc_id"])
    assert doc.text[answer.evidence.start:answer.evidence.end] == answer.evidence.text
    assert doc.text[answer.evidence.figure_start:answer.evidence.figure_end] == "64个"


def test_the_unit_asked_for_picks_the_figure(snapshot):
    assert ask(snapshot, "小额担保贷款共有多少名妇女获得").text == "128名"
    assert ask(snapshot, "小额担保贷款的资金有多少万元").text == "1268万元"


@pytest.mark.parametrize("question,figure", [("佛山有多少个儿童友好示范镇街？", "8个"), ("佛山有多少个儿童友好示范区？", "1个"),
                                             ("申报了多少个儿童友好示范基地？", "15个")])
def test_an_item_of_a_list_gets_its_own_figure(snapshot, question, figure):
    """示范区1个、示范镇街8个、示范基地15个: the words the list shares (儿童友好) stand only before the first."""
    answer = ask(snapshot, question)
    assert answer.found and answer.text == figure
    assert answer.evidence.text.startswith("培育示范带动引领，申报首批省级儿童友好示范区1个")


@pytest.mark.parametrize("claim,verdict,figure", [
    ("The women's federation system handled 4,308 petition cases.", "supported", "4308宗"),
    ("The women's federation system handled 5,000 petition cases.", "contradicted", "4308宗"),
    ("Foshan has 37 family service centres.", "supported", "37间"),
    ("128 women received small guaranteed loans worth 12.68 million yuan.", "supported", "128名"),
    ("More than 70 women entrepreneurs' enterprises were visited in 2022.", "supported", "70多家"),
])
def test_an_english_claim_is_checked_against_the_chinese_figures(snapshot, claim, verdict, figure):
    result = verify(snapshot, claim)
    assert result.verdict == verdict and result.evidence[0].figure == figure


def test_an_english_claim_the_review_does_not_speak_to_is_not_found(snapshot):
    result = verify(snapshot, "Foshan built 50 new kindergartens.")
    assert result.verdict == "not_found" and result.figures[0].figure == "50"


def test_a_qualifier_stays_with_the_figure(snapshot):
    answer = ask(snapshot, "发放创业就业资讯多少份")
    assert answer.text == "逾2.5万份" and answer.value == 25000 and answer.qualifier == "逾"


def test_disagreeing_sources_are_both_shown(snapshot):
    answer = ask(snapshot, "发动了多少支巾帼志愿服务队参与防疫支援")
    assert {answer.text} | {c.figure for c in answer.conflicts} == {"1208支", "1108支"}
    assert "disagree" in answer.note


@pytest.mark.parametrize("question", ["全市新建了多少所幼儿园", "How many kindergartens were opened?",
                                      "妇联的年度财政预算是多少"])
def test_what_the_corpus_does_not_say_is_not_answered(snapshot, question):
    answer = ask(snapshot, question)
    assert not answer.found and answer.text == "" and answer.value is None
    assert answer.passages  # the closest passages are still shown


def test_a_date_question_gets_the_date(snapshot):
    answer = ask(snapshot, "两个规划是什么时候正式颁布实施的")
    assert answer.kind == "date" and answer.text == "2022年7月下旬"


@pytest.mark.parametrize("question", ["妇女维权热线是多少", "妇女热线电话是多少？"])
def test_a_hotline_question_gets_the_number(snapshot, question):
    """The review says 12338妇女热线; 热线电话 is one word to jieba, which the text never writes
    (kb/features.py `word_parts` lets its part 热线 count)."""
    answer = ask(snapshot, question)
    assert answer.found and answer.kind == "identifier" and answer.text == "12338"
    assert "12338妇女热线" in answer.evidence.text


def test_a_count_asked_of_a_hotline_gets_the_count(snapshot):
    answer = ask(snapshot, "12338热线服务了多少人次？")
    assert answer.found and answer.kind == "quantity" and answer.text == "4644人次"


@pytest.mark.parametrize("question", ["市妇联主席是谁？", "佛山市妇联主席是谁？"])
def test_a_who_question_finds_the_name_in_a_photo_caption(snapshot, question):
    """The review names its chair only in photo captions, which rank below the five passages `ask`
    reads (kb/search.py KIND_WEIGHT): a question for a name reads on to the first passage with a
    name beside a role word (kb/answers.py `_read`), scored at its own cosine (kb/features.py)."""
    answer = ask(snapshot, question)
    assert answer.found and answer.kind == "person" and answer.text == "甘绮霞"
    assert snapshot.passages[answer.evidence.passage_id].kind == "caption"
    assert "妇联主席甘绮霞" in answer.evidence.text


def test_a_caption_is_scored_at_its_own_cosine_not_its_ranking_weight(snapshot):
    """The model learned on body text, where the ranking's score is the cosine; a caption's is
    halved for ranking only."""
    from kb.features import DECIMALS, NAMES, candidates_and_rows

    query = snapshot.parse("市妇联主席是谁？")
    caption = next(h for h in snapshot.search(query, k=50).hits if h.passage.kind == "caption" and h.vector_score)
    _, rows, _ = candidates_and_rows(snapshot, query, [caption])
    own = snapshot.passage_cosines([caption.passage], snapshot.question_vector(query))[caption.passage_id]
    assert rows[:, NAMES.index("cos_passage")] == pytest.approx(own, abs=0.5 * 10 ** -DECIMALS)  # features are rounded
    assert own == pytest.approx(2 * caption.vector_score, rel=1e-4)


def test_only_a_question_for_a_name_or_identifier_reads_past_the_first_passages(snapshot):
    from kb.answers import _read
    from kb.features import CANDIDATE_DEPTH

    for question, widened in [("市妇联主席是谁？", True), ("市妇联主席带队到哪里开展活动？", False)]:
        query = snapshot.parse(question)
        ranking = snapshot.search(query, k=20).hits
        read = _read(snapshot, query, ranking)
        assert read[:CANDIDATE_DEPTH] == ranking[:CANDIDATE_DEPTH]
        assert len(read) == CANDIDATE_DEPTH + widened

def test_question_analysis():
    assert question_kind("有多少名会员") == "quantity"
    assert question_kind("When were the plans issued?") == "date"
    assert question_kind("谁带队") == "person"
    # a hotline named in a question for a count: the count (多少人次, how many), not the number to dial
    assert question_kind("12338热线电话是多少") == question_kind("What is the hotline number?") == "identifier"
    assert question_kind("热线服务了多少人次") == question_kind("How many people did the hotline serve?") == "quantity"
    assert asked_unit("覆盖多少人次") == ("people", "人次")
    assert asked_unit("资金总额是多少") == ("money", "元")
    assert counted_phrase("申报了多少个省级儿童友好示范镇街") == ["省级", "儿童友好", "示范镇街"]
    assert counted_phrase("粉丝量突破了多少") == ["粉丝", "量"]


@pytest.mark.parametrize("question, family", [
    ("How many letters and visits cases were handled?", None),  # cases, not visits
    ("How many cases of letters and visits were handled?", None),
    ("How many people died of plague in Paris in 1466?", "people"),  # XQuAD: the verb ends the phrase
    ("How many married women were trained?", "people"),
    ("How many training sessions were held?", "sessions"),
    ("How many times more did the other nations have to pay for oil?", None),  # XQuAD: a ratio
])
def test_an_english_question_asks_for_the_unit_of_its_head_noun(question, family):
    assert asked_unit(question)[0] == family


def test_a_word_that_qualifies_the_counted_noun_does_not_pick_the_figure(snapshot):
    """"visits" qualifies cases: the 4308 cases handled, not the 2046 sessions of the next sentence."""
    answer = ask(snapshot, "How many letters and visits cases were handled?")
    assert answer.found and answer.text == "4308宗"


def test_question_words_are_cut_out_longest_first():
    """哪些 goes whole, not 哪 leaving 些 behind: and the same in every process (a set's order is not)."""
    assert "些镇" not in question_pairs(parse_query("妇女之家分布在哪些镇街？"))
    assert {"妇女", "镇街"} <= question_pairs(parse_query("妇女之家分布在哪些镇街？"))


@pytest.mark.parametrize("question, kind, unit", [
    ("全市建成了几座妇女儿童活动中心", "quantity", "座"),  # 几 before any measure word of kb/figures.py
    ("规格中有几种开机模式", "quantity", "种"),
    ("这是她的第几张专辑", "passage", None),  # an ordinal is not a count
    ("「Code Lyoko」唱片集共有多少首歌曲", "quantity", "首"),  # a Latin name in a Chinese question asks nothing
    ("椰子猫平均有多重？", "quantity", None),  # 多 before a gradable adjective asks for a measure
    ("飞机以多快的速度冲出跑道", "quantity", None),
    ("签证最长可以停留多久", "quantity", None),
    ("他为什么拥有多重国籍", "passage", None),  # 多重 inside a word is not a question
    ("妇女维权热线的号码是多少", "identifier", None),
    ("What is the code of the hotline?", "identifier", None),
])
def test_what_a_question_asks_for(question, kind, unit):
    query = parse_query(question)
    assert (query.kind, query.unit) == (kind, unit)


@pytest.mark.parametrize("question,unit", [("种植了多少亩", ("area", "亩")), ("粮食产量多少吨", ("mass", "吨")),
                                           ("建成多少座驿站", ("items", "座")), ("投入多少万元", ("money", "元")),
                                           ("铁路全长多少公里", ("length", "公里")), ("停留几个月", ("duration", "个月")),
                                           ("投资多少美元", ("美元", "美元")), ("是地球的多少倍", ("倍", "倍")),
                                           ("通车后长沙至张家界要多久", ("duration", None)),
                                           ("How long did the siege last?", ("duration", None)),
                                           ("观塘明渠下游露天部分有多长", ("length", None)),
                                           ("How tall is the tower?", ("length", None)),
                                           ("How long is the bridge?", (None, None)),  # a length or a duration
                                           ("萱侬律占地面积多大", ("area", None)), ("成年雄鹿有多重", ("mass", None)),
                                           ("他为什么拥有多重国籍", (None, None))])
def test_every_unit_of_the_figure_parser_can_be_asked_for(question, unit):
    assert asked_unit(question) == unit


def test_a_query_is_parsed_once_into_everything_later_stages_read():
    query = parse_query("2025年政府工作报告中，2024年城镇新增就业多少万人？")
    assert query.years == {"2025"} and query.kind == "quantity" and query.unit_family == "people"
    assert "报告" not in query.content and "城镇" in query.terms and query.language == "zh"
    assert parse_query("How many petition cases?").language == "en"
    assert parse_query('"美丽庭院" 示范').phrases == ["美丽庭院"]


@pytest.mark.parametrize("claim,verdict", [
    ("全市妇联系统处理信访案件4,308宗。", "supported"),
    ("全市妇联系统处理信访案件4,380宗。", "contradicted"),
    ("佛山妇联微信公众号发布文章800篇。", "supported"),  # the source says 超过800篇: not contradicted
    ("巾帼志愿者参与防疫支援4548场次。", "conflicting"),
    ("妇女小额担保贷款资金共一千二百六十八万元。", "supported"),
    ("全市建成了30个女性创业孵化基地。", "not_found"),
])
def test_claims(snapshot, claim, verdict):
    result = verify(snapshot, claim)
    assert result.verdict == verdict
    if verdict != "not_found":
        assert result.evidence and all(passage_citation(e.passage_id, snapshot)["paragraph"] > 0
                                       for e in result.evidence)


def test_json_shapes(snapshot):
    data = answer_dict(ask(snapshot, "寄送了多少个书香包"), snapshot)
    assert data["answer"] == "400个" and data["evidence"]["citation_line"].startswith("见证——佛山妇联的2022年")
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    data = verdict_dict(verify(snapshot, "寄送书香包500个"), snapshot)
    assert data["verdict"] == "contradicted" and data["evidence"][0]["figure"] == "400个"


def test_eval_reports_answer_and_claim_metrics(snapshot):
    _, questions = evaluate(snapshot, QUESTIONS / "review-extra-questions.jsonl")
    assert {"hit@1", "hit@5", "mrr", "answer_accuracy", "unanswerable_correct", "latency_ms_p50"} <= set(questions)
    by_type, by_language = questions["per_answer_type"], questions["per_language"]
    assert sum(row["n"] for row in by_type.values()) == questions["n"] == sum(row["n"] for row in by_language.values())
    assert set(by_language) <= {"zh", "en", "refused"} and "unanswerable" in by_type
    asked = questions["answer_type_asked_as"]
    assert sum(sum(row.values()) for row in asked.values()) == questions["n"]
    _, claims = evaluate(snapshot, QUESTIONS / "review-extra-claims.jsonl")
    assert {"verdict_accuracy", "per_verdict", "latency_ms_p95"} <= set(claims)
    assert claims["n"] == sum(v["n"] for v in claims["per_verdict"].values())


@pytest.mark.parametrize("gold, kind", [("64个", "quantity"), ("逾2.5万份", "quantity"), ("2022年7月下旬", "date"),
                                        ("12338", "identifier"), ("0757-83385110", "identifier"),
                                        ("甘绮霞", "person"), ("美丽庭院", "passage"),
                                        ("约200名", "quantity"), ("两类。", "quantity"), ("1019", "quantity"),
                                        ("4,308", "quantity"),
                                        ("育有3名子女", "passage"), ("据统计，票房收益大约是10.2亿美金。", "passage")])
def test_gold_answers_are_typed_for_the_per_type_report(gold, kind):
    assert answer_type([gold]) == kind


def test_gold_answers_match_after_normalisation():
    assert _accepted("居民消费价格上涨２.５％", ["2.5%"])
    assert _accepted("六十四个", ["64个"])
    assert not _accepted("2.6％", ["2.5%"])


def test_the_documented_set_format_is_what_kb_eval_reads(tmp_path):
    """docs/evaluation.md is checked against the loader: its examples load, as the kind they show."""
    from kb.evaluate import load_set

    from conftest import ROOT

    doc = (ROOT / "docs" / "evaluation.md").read_text("utf-8")
    examples = [line for line in doc.splitlines() if line.startswith('{"id"')]
    kinds = []
    for i, line in enumerate(examples):
        (tmp_path / f"{i}.jsonl").write_text(line + "\n", "utf-8")
        kinds.append(load_set(tmp_path / f"{i}.jsonl")[0])
    assert kinds == ["questions", "questions", "claims"]


def test_a_figure_found_in_the_chosen_sentence_cites_that_sentence(snapshot):
    """When the model chose a sentence and the answer is the figure in it, the sentence is cited
    (with the figure marked in it), not only the figure's clause; a figure elsewhere keeps its clause."""
    from kb.answers import _figure_evidence, _in_sentence

    passage = next(p for p in snapshot.passages.values() if "开展线上线下主题宣传教育活动4292场次" in p.text)
    candidates = snapshot.candidates(passage)
    figure = next(c for c in candidates if c.kind == "quantity" and c.text == "4292场次")
    own = next(c for c in candidates if c.kind == "sentence" and c.sentence_start <= figure.start < c.sentence_end)
    other = next(c for c in candidates if c.kind == "sentence" and c.sentence_end <= figure.start)
    clause = _figure_evidence(snapshot, figure.figure)
    widened = _in_sentence(snapshot, clause, own)
    doc = snapshot.document(passage.doc_id)
    assert widened.text == doc.text[own.sentence_start:own.sentence_end] and len(widened.text) > len(clause.text)
    assert "覆盖妇女群众逾53.4万人次" in widened.text and "覆盖妇女群众" not in clause.text
    assert doc.text[widened.figure_start:widened.figure_end] == "4292场次"
    assert _in_sentence(snapshot, clause, other) == clause


def test_a_question_naming_its_unit_gets_a_figure_of_that_unit_from_the_chosen_passage(snapshot):
    """The chosen sentence (发挥全媒体效应…) holds no figure; its passage holds 短视频60条 further on."""
    from kb.answers import _wanted_near

    passage = next(p for p in snapshot.passages.values() if "系列原创短视频60条" in p.text)
    candidates = snapshot.candidates(passage)
    first = next(c for c in candidates if c.kind == "sentence" and c.sentence.startswith("发挥全媒体效应"))
    assert not [c for c in candidates if c.kind == "quantity" and first.sentence_start <= c.start < first.sentence_end]
    named = _wanted_near(parse_query("推出了多少条原创短视频"), first, candidates)
    assert [c.text for c in named] == ["60条"]
    assert _wanted_near(parse_query("推出的原创短视频有多少"), first, candidates) == []  # no unit named
    assert _wanted_near(parse_query("投入了多少万元"), first, candidates) == []  # no figure of that family


def test_a_figure_of_the_family_asked_for_comes_before_the_chosen_sentence_figures_of_another(snapshot):
    """The chosen sentence (开展“爱润孩子·助力成长”…) counts parcels, families and mothers, no
    sessions; the sentence before it in its passage says 活动772场: a question for 场 gets that."""
    from kb.answers import _wanted_near
    from kb.candidates import within

    passage = next(p for p in snapshot.passages.values() if "活动772场" in p.text)
    candidates = snapshot.candidates(passage)
    chosen = next(c for c in candidates if c.kind == "sentence" and c.sentence.startswith("开展“爱润孩子"))
    in_sentence = [c for c in candidates if c.kind == "quantity" and within(c, chosen)]
    assert {"400个", "263个"} <= {c.text for c in in_sentence} and all(c.figure.family != "sessions" for c in in_sentence)
    assert [c.text for c in _wanted_near(parse_query("开展了多少场活动"), chosen, candidates)] == ["772场"]
    parcels = _wanted_near(parse_query("寄送了多少个书香包"), chosen, candidates)
    assert {c.text for c in parcels} == {"400个", "263个"}  # the sentence's own, not the passage's
