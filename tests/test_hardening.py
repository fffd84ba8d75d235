"""What a careless user or a careful attacker sends: damaged files, odd links, bad settings and
catalogues, hostile requests. Each is refused by name with a reason; nothing crashes or leaks."""
from __future__ import annotations

import json
import os
import sys
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import CORPUS, ROOT, keyword_settings
from kb.build import build
from kb.cli import main
from kb.config import Settings
from kb.documents import CatalogueError, load_corpus
from kb.errors import BadInput
from web import create_app

sys.path.insert(0, str(ROOT / "bench"))
import fuzz_build  # noqa: E402

SAMPLES = fuzz_build.sample_files()
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- files ---------------------------------------------------------------------------------


@FUZZ
@given(suffix=st.sampled_from(sorted(SAMPLES)),
       flips=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(1, 255)), max_size=8),
       cut=st.one_of(st.none(), st.integers(0, 4000)))
def test_a_damaged_file_is_skipped_by_name_and_the_rest_is_read(tmp_path_factory, suffix, flips, cut):
    folder = tmp_path_factory.mktemp("fuzz")
    outcome = fuzz_build.load_one(folder, f"damaged{suffix}", fuzz_build.damage(SAMPLES[suffix], flips, cut))
    assert outcome in ("read", "skipped"), outcome


@FUZZ
@given(suffix=st.sampled_from(sorted(SAMPLES)), data=st.binary(max_size=3000))
def test_random_bytes_under_any_name_are_skipped_or_read(tmp_path_factory, suffix, data):
    outcome = fuzz_build.load_one(tmp_path_factory.mktemp("bytes"), f"random{suffix}", data)
    assert outcome in ("read", "skipped"), outcome


def test_a_build_with_a_damaged_docx_indexes_the_rest_and_names_it(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(fuzz_build.TEXT, "utf-8")
    (corpus / "bad.docx").write_bytes(fuzz_build.damage(SAMPLES[".docx"], [(400, 0x55), (900, 0x10)], None))
    (corpus / "garbage.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)
    report = build(keyword_settings(tmp_path, corpus))
    assert report.documents == 1
    assert {s.path for s in report.skipped} == {"bad.docx", "garbage.pdf"}
    assert all(s.reason for s in report.skipped)


def test_build_strict_exits_3_when_a_file_was_skipped(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KB_SEMANTIC", "0")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(fuzz_build.TEXT, "utf-8")
    (corpus / "photo.pdf").write_bytes(b"not a pdf")
    index = str(tmp_path / "index")
    assert main(["build", "--index", index, "--corpus", str(corpus), "--quiet"]) == 0
    assert main(["build", "--index", index, "--corpus", str(corpus), "--quiet", "--strict"]) == 3
    assert "skipped photo.pdf" in capsys.readouterr().err


def test_links_that_leave_the_corpus_or_lead_nowhere_are_refused(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("外面的文件：不得读取。\n", "utf-8")
    (corpus / "good.txt").write_text(fuzz_build.TEXT, "utf-8")
    os.symlink(secret, corpus / "leak.txt")
    os.symlink(tmp_path / "missing.txt", corpus / "dangling.txt")
    os.symlink(corpus / "good.txt", corpus / "alias.txt")  # inside the corpus: read
    os.symlink(tmp_path, corpus / "up")
    docs, skipped = load_corpus(corpus)
    assert sorted(d.id for d in docs) == ["alias", "good"]
    reasons = {s.path: s.reason for s in skipped}
    assert "outside the corpus" in reasons["leak.txt"] and "broken link" in reasons["dangling.txt"]
    assert "not followed" in reasons["up"]
    assert not any("不得读取" in d.text for d in docs)


def test_a_file_over_the_size_limit_is_skipped_with_its_size(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(fuzz_build.TEXT, "utf-8")
    (corpus / "huge.txt").write_text(fuzz_build.TEXT * 20000, "utf-8")
    docs, skipped = load_corpus(corpus, max_bytes=1_000_000)
    assert [d.id for d in docs] == ["good"]
    assert skipped[0].path == "huge.txt" and "KB_MAX_FILE_MB" in skipped[0].reason


@pytest.mark.parametrize("catalogue,names", [
    ('"x.txt" = 5\n', ['"x.txt"', "table"]),
    ('["x.txt"]\ntitle = 3\n', ['"x.txt"', "title"]),
    ('["x.txt"]\nauthor = "me"\n', ['"x.txt"', "author"]),
    ('["x.txt"\ntitle = "a"\n', ["not valid TOML"]),
])
def test_catalogue_mistakes_name_the_file_the_entry_and_the_field(tmp_path, catalogue, names):
    (tmp_path / "catalogue.toml").write_text(catalogue, "utf-8")
    (tmp_path / "x.txt").write_text(fuzz_build.TEXT, "utf-8")
    with pytest.raises(CatalogueError) as refused:
        load_corpus(tmp_path)
    assert "catalogue.toml" in str(refused.value) and all(n in str(refused.value) for n in names)


def test_a_date_without_quotes_in_the_catalogue_is_read_as_a_date(tmp_path):
    (tmp_path / "catalogue.toml").write_text('["x.txt"]\ndate = 2023-01-21\n', "utf-8")
    (tmp_path / "x.txt").write_text(fuzz_build.TEXT, "utf-8")
    assert load_corpus(tmp_path)[0][0].date == "2023-01-21"


@pytest.mark.parametrize("name,value", [("KB_WINDOW", "0"), ("KB_WINDOW", "-5"), ("KB_RRF_K", "1_0"),
                                        ("KB_RRF_DEPTH", "١٠"), ("KB_MAX_FILE_MB", "0")])
def test_settings_out_of_range_or_not_plain_numbers_are_refused(name, value):
    with pytest.raises(BadInput, match=name):
        Settings.from_env({name: value})


# --- requests ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keyword_app(tmp_path_factory):
    settings = keyword_settings(tmp_path_factory.mktemp("hard"), CORPUS)
    build(settings)
    return create_app({"KB_SETTINGS": settings, "TESTING": True})


@pytest.fixture
def client(keyword_app):
    return keyword_app.test_client()


ENDPOINTS = ["/api/search", "/api/answer", "/api/figures", "/search.json", "/figures.json", "/verify.json",
             "/", "/figures", "/verify", "/api/conflicts", "/api/documents", "/api/health", "/about.json",
             "/api/series", "/series", "/series.json", "/article", "/article.json"]
PARAMS = ["q", "claim", "text", "k", "offset", "mode", "doc", "from", "to", "sort", "format", "limit", "lang"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(ENDPOINTS), method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
       params=st.dictionaries(st.sampled_from(PARAMS), st.text(max_size=60) | st.text(max_size=3000), max_size=4))
def test_no_request_gets_a_5xx_and_json_paths_answer_json(client, path, method, params):
    response = client.open(path, method=method, query_string=params)
    assert response.status_code < 500, (path, method, params, response.get_data(as_text=True)[:300])
    if path.startswith("/api/") or path.endswith(".json"):
        assert response.is_json, (path, method, response.status_code)
        if response.status_code >= 400:
            assert set(response.get_json()["error"]) == {"code", "message"}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.text(max_size=200).map(lambda t: {"claim": t}),
                      st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                                   lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                                   max_leaves=6)))
def test_any_json_body_to_verify_is_answered_or_refused_in_json(client, body):
    response = client.post("/api/verify", data=json.dumps(body), content_type="application/json")
    assert response.status_code in (200, 400, 413) and response.is_json


@pytest.mark.parametrize("raw", ['{"claim": "\\ud800"}', '{"claim": "寄送书香包\\udfff400个"}'])
def test_a_lone_surrogate_is_a_400_not_a_crash(client, raw):
    response = client.post("/api/verify", data=raw, content_type="application/json")
    assert response.status_code == 400 and "not text" in response.get_json()["error"]["message"]


def test_cli_bytes_that_are_not_utf8_are_bad_input(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("KB_SEMANTIC", "0")
    index = tmp_path / "index"
    build(Settings(index=index, corpus=CORPUS, semantic=False))
    assert main(["search", os.fsdecode(b"\xff\xfe"), "--index", str(index)]) == 2
    assert "not text" in capsys.readouterr().err


@pytest.mark.parametrize("url,status", [
    ("/api/search?q=妇女&from=2022-13-45", 400), ("/api/search?q=妇女&to=9999-99-99", 400),
    ("/api/search?q=妇女&k=1_0", 400), ("/api/search?q=妇女&k=١٠", 400), ("/api/search?q=妇女&from=2023-02-30", 400),
    ("/api/figures?q=" + "妇" * 1001, 413), ("/figures.json?q=" + "妇" * 1001, 413),
    ("/api/search?q=" + "a" * 20000, 414), ("/doc/a/b.json", 404),
])
def test_loose_input_is_refused_in_json(client, url, status):
    response = client.get(url)
    assert response.status_code == status and response.is_json


def test_a_twin_with_the_wrong_method_is_a_json_405(client):
    response = client.put("/search.json?q=妇女")
    assert response.status_code == 405 and response.is_json and "GET" in response.headers["Allow"]


def test_every_response_carries_the_security_headers(client):
    for url in ("/", "/api/health", "/api/nowhere", "/figures?q=示范"):
        headers = client.get(url).headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"


def test_csv_cells_cannot_run_as_formulas(client):
    import csv
    import io

    from kb import shapes

    rows = [{"figure": "=HYPERLINK(\"x\")", "value": -3.0, "unit": "+1", "qualifier": "@a", "counts": "-x",
             "clause": "\tq", "citation_line": "ok", "passage_id": "p"}]
    cells = list(csv.reader(io.StringIO(shapes.figures_csv(rows))))[1]
    assert cells == ["'=HYPERLINK(\"x\")", "-3.0", "'+1", "'@a", "'-x", "'\tq", "ok", "p"]
    response = client.get("/api/figures?q=示范&format=csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


# --- the index -----------------------------------------------------------------------------


def test_a_damaged_index_is_a_503_that_health_explains(tmp_path):
    settings = keyword_settings(tmp_path, CORPUS)
    build(settings)
    generation = next(settings.index.glob("gen-*"))
    (generation / "passages.sqlite").write_bytes(b"SQLite format 3\x00 truncated")
    client = create_app({"KB_SETTINGS": settings, "TESTING": True}).test_client()
    health = client.get("/api/health")
    assert health.status_code == 503
    assert health.get_json()["status"] == "unavailable" and health.get_json()["error"]["code"] == "index_damaged"
    assert client.get("/api/search?q=妇女").status_code == 503
    assert client.get("/?q=妇女").status_code == 503


def test_a_model_mismatch_is_a_503_that_health_explains(semantic_settings, snapshot):
    other = replace(semantic_settings, model="sentence-transformers/some-other-model")
    client = create_app({"KB_SETTINGS": other, "TESTING": True}).test_client()
    health = client.get("/api/health")
    assert health.status_code == 503 and health.get_json()["error"]["code"] == "model_mismatch"
    assert "kb build" in health.get_json()["error"]["message"]


def test_replaced_generations_are_let_go(tmp_path):
    """After rebuilds, the server holds the current generation only, and no handle to a file a
    build has deleted."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    settings = keyword_settings(tmp_path, corpus)
    app = create_app({"KB_SETTINGS": settings, "TESTING": True, "KB_WARM": False})
    client = app.test_client()
    for n in range(6):
        (corpus / "r.txt").write_text(f"报告\n创建美丽庭院示范村{60 + n}个。\n", "utf-8")
        build(settings)
        assert client.get("/api/answer?q=美丽庭院示范村有多少个&mode=keyword").get_json()["answer"] == f"{60 + n}个"
    assert len(app.extensions["kb"].open_generations()) == 1
    deleted = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
               if os.path.islink(f"/proc/self/fd/{fd}")]
    assert not [link for link in deleted if str(settings.index) in link and "(deleted)" in link]
