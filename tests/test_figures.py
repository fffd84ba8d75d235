import pytest

from kb.figures import clauses, compatible, parse_english_quantities, parse_quantities


def one(text):
    [q] = parse_quantities(text)
    return q


@pytest.mark.parametrize("text,value,unit,qualifier", [
    ("4,308宗", 4308, "宗", ""),
    ("4308宗", 4308, "宗", ""),
    ("覆盖逾53.4万人次", 534000, "人次", "逾"),
    ("六十四个", 64, "个", ""),
    ("一千零一十九个", 1019, "个", ""),
    ("十余个", 10, "个", "余"),
    ("1.0万人", 10000, "人", ""),
    ("超过3千万保额", 30_000_000, "", "超过"),
    ("超过4亿保额", 400_000_000, "", "超过"),
    ("资金1268万元", 12_680_000, "元", ""),
    ("处理率100%", 100, "%", ""),
    ("近千场", 1000, "场", "近"),
    ("约200名", 200, "名", "约"),
    ("突破30万", 300_000, "", "突破"),
    ("15.3万多人次", 153_000, "人次", "多"),
    ("6万余人", 60_000, "人", "余"),
    ("500人以上", 500, "人", "以上"),
    ("粮食产量1.4万亿斤左右", 1.4e12, "斤", "左右"),
    ("赤字规模5.66万亿元", 5.66e12, "元", ""),
    ("审议通过后，三个月内", 3, "个月", ""),  # a duration, not 3个
    ("外国人过境免签停留时间延长至240小时", 240, "小时", ""),
    ("整治国土面积18万平方公里", 180_000, "平方公里", ""),
    ("以4亿5000万加元挹注", 450_000_000, "加元", ""),  # a second magnitude after the first
    ("学生总计达2万3千人", 23_000, "人", ""),
    ("是十年前的3倍", 3, "倍", ""),
    ("拥有多媒体数字网络语言实验室 15 个，同", 15, "个", ""),  # a space before the unit
    ("肩高约40公分", 40, "公分", "约"),
    ("距离地球约440多光年", 440, "光年", "约多"),
])
def test_forms_of_figures(text, value, unit, qualifier):
    q = one(text)
    assert (q.value, q.unit, q.qualifier) == (value, unit, qualifier)


@pytest.mark.parametrize("text", [
    "纳入2022-2026立法规划", "开展0-3岁婴幼儿科学养育", "畅通12338妇女热线", "第八个五年规划",
    "2022年7月下旬", "腾讯网2023-01-21", "传遍千家万户", "一个个项目完美收官", "FM94.6节目",
    "喜迎二十大", "三八红旗手", "（2021-2030年）", "“万名执委培训工程”", "一起向未来",
    "实行“两头在外”", "国务院“约法三章”", "第3集", "四周环山",
    "国内生产总值达到7 4 7 7 2 亿元", "去年经济增长8 ．8 ％",  # digits set apart (a scanned 1998 report)
])
def test_things_that_are_not_counts(text):
    assert parse_quantities(text) == []


def test_two_is_a_count_but_two_of_a_slogan_is_not():
    assert one("成功申报两千人").value == 2000
    assert parse_quantities("坚决做到“两个维护”") == []


def test_offsets_and_surface():
    text = "发放创业就业资讯逾2.5万份，为重点群体提供岗位信息1770条"
    found = parse_quantities(text)
    assert [text[q.start:q.end] for q in found] == ["逾2.5万份", "1770条"]


def test_full_width_digits_and_percent_sign_keep_their_surface_and_offsets():
    text = "失业率降到5.2％，居民消费价格上涨２.５％"
    found = parse_quantities(text)
    assert [(q.value, q.unit) for q in found] == [(5.2, "%"), (2.5, "%")]
    assert [text[q.start:q.end] for q in found] == [q.surface for q in found] == ["5.2％", "２.５％"]


def test_bounds_follow_the_qualifier():
    assert (one("15.3万多人次").low, one("15.3万多人次").high) == (153_000, 154_000)
    assert (one("300多个").low, one("300多个").high) == (300, 400)
    assert compatible(one("800篇"), one("超过800篇"))
    assert compatible(one("超过800篇"), one("超过800篇"))
    assert not compatible(one("突破50万"), one("突破30万"))
    assert not compatible(one("15.3万多人次"), one("13.3万多人次"))
    assert not compatible(one("1208支"), one("1108支"))
    assert compatible(one("一千二百六十八万元"), one("1268万元"))


def test_units_of_one_family_are_compared_converted():
    assert compatible(one("新增高速铁路运营里程4100公里"), one("410万米"))
    assert not compatible(one("新增高速铁路运营里程4100公里"), one("4100米"))
    assert compatible(one("整治国土面积18万平方公里"), one("1800万公顷"))
    assert compatible(one("粮食产量6.5亿吨"), one("13000亿斤"))
    assert compatible(one("停留时间延长至240小时"), one("10天"))
    assert compatible(one("肩高约40公分"), one("0.4米")) and not compatible(one("身长40公分"), one("40米"))
    assert compatible(one("全长5英里"), one("8.04672公里"))


def test_clauses_keep_thousands_separators():
    assert [c.text for c in clauses("处理信访案件4,308宗，服务4644人次,处理率100%")] == \
        ["处理信访案件4,308宗", "服务4644人次", "处理率100%"]


def test_english_figures_are_read_as_english_writes_them():
    found = parse_english_quantities("In 2022, 128 women received loans worth 12.68 million yuan; "
                                     "the handling rate was 100% and more than 70 firms and 4,308 cases were seen.")
    assert [(q.surface, q.value, q.unit) for q in found] == [
        ("128", 128, "count"), ("12.68 million yuan", 12_680_000, "元"), ("100%", 100, "%"),
        ("more than 70", 70, "count"), ("4,308", 4308, "count")]  # the year 2022 is not a figure
    more_than = found[3]
    assert more_than.qualifier == "超过" and more_than.low == 70 < more_than.high
    assert compatible(more_than, parse_quantities("走访女企业家企业70多家")[0])
