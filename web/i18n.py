"""Interface text in Chinese (default) and English (?lang=en)."""
from __future__ import annotations

from flask import request

LANGUAGES = ("zh", "en")
TEXT = {
    "kb": ("kb 工作报告知识库", "kb · work-report knowledge base"),
    "search": ("搜索", "Search"),
    "verify": ("核查", "Check a claim"),
    "figures": ("数据", "Figures"),
    "about": ("关于", "About"),
    "ask_placeholder": ("输入问题或关键词，例如：美丽庭院示范村有多少个", "A question or keywords, e.g. how many beautiful-courtyard demonstration sites"),
    "claim_placeholder": ("粘贴要核查的句子", "Paste the sentence to check"),
    "go": ("搜索", "Search"),
    "check": ("核查", "Check"),
    "hybrid": ("混合", "hybrid"),
    "keyword": ("关键词", "keyword"),
    "semantic": ("语义", "semantic"),
    "answer": ("答案", "Answer"),
    "not_found": ("语料中未找到答案，以下是最接近的段落。", "Not found in the corpus; the closest passages follow."),
    "disagree": ("注意：来源中的数字不一致", "Warning: the sources disagree"),
    "also_says": ("另一处写作", "elsewhere it says"),
    "confidence": ("置信度", "confidence"),
    "results": ("相关段落", "Passages"),
    "no_results": ("没有匹配的段落。", "No passage matches."),
    "previous": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "source": ("出处", "Source"),
    "scores": ("得分", "scores"),
    "supported": ("有据可查", "supported"),
    "contradicted": ("与来源不符", "contradicted"),
    "conflicting": ("来源自相矛盾", "conflicting"),
    "not_found_verdict": ("语料中没有相关内容", "not found"),
    "evidence": ("证据", "Evidence"),
    "supports": ("支持", "supports"),
    "contradicts": ("不符", "contradicts"),
    "filter": ("筛选", "Filter"),
    "download_csv": ("下载 CSV", "Download CSV"),
    "conflicts": ("相互矛盾的数字", "Figures that disagree"),
    "no_conflicts": ("没有发现矛盾。", "No disagreements found."),
    "figure": ("数字", "Figure"),
    "counts": ("所指", "Counts"),
    "clause": ("原文", "Clause"),
    "documents": ("文档", "Documents"),
    "passages": ("段落数", "Passages"),
    "model": ("向量模型", "Embedding model"),
    "built_at": ("索引构建时间", "Index built"),
    "no_index": ("还没有索引：请先运行 kb build。", "No index yet: run `kb build` first."),
    "sort_value": ("按数值排序", "sort by value"),
    "title": ("标题", "Title"),
    "date": ("日期", "Date"),
    "outlet": ("来源", "Outlet"),
    "document": ("文档", "Document"),
    "json": ("JSON", "JSON"),
    "error": ("出错了", "Error"),
    "series": ("历年数据", "Series"),
    "article": ("核查稿件", "Check an article"),
    "article_placeholder": ("粘贴整篇稿件（最多 20,000 字），逐句核查其中的数字", "Paste a whole article (up to 20,000 characters): every figure in it is checked"),
    "article_summary": ("核查结果", "Summary"),
    "series_placeholder": ("指标，例如：城镇新增就业", "An indicator, e.g. 城镇新增就业 (urban jobs created)"),
    "no_series": ("没有找到这一指标的逐年数字。", "No yearly figures found for this indicator."),
    "outcome": ("实际完成", "outcome"),
    "target": ("预期目标", "target"),
    "outcomes": ("实际完成（逐年）", "Outcomes, year by year"),
    "targets": ("预期目标（逐年）", "Targets, year by year"),
    "periods": ("多年合计或平均", "Totals and averages over several years"),
    "year": ("年份", "Year"),
    "unit": ("单位", "unit"),
}


def lang() -> str:
    value = request.args.get("lang", "zh")
    return value if value in LANGUAGES else "zh"


def t(key: str) -> str:
    zh, en = TEXT[key]
    return en if lang() == "en" else zh
