"""A real browser against a real server: headless Chromium (Debian's package) driven by Playwright."""
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run installs it)")
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "out"


@pytest.fixture(scope="module")
def server(semantic_settings, snapshot):
    import waitress

    from web import create_app

    app = create_app({"KB_SETTINGS": semantic_settings})
    srv = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.effective_port}"
    srv.close()


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        yield page
        browser.close()


def test_search_answer_and_follow_the_citation(server, page):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(server + "/")
    page.fill("input[name=q]", "美丽庭院示范村有多少个")
    page.click("button[type=submit]")
    card = page.wait_for_selector(".answer-card")
    assert "64" in page.inner_text(".answer-card .figure")
    page.screenshot(path=str(SHOTS / "search.png"))
    card.query_selector("a.cite").click()
    page.wait_for_selector(".cited")
    assert page.url.endswith("#p-49")
    assert page.get_attribute(".cited", "id") == "p-49"
    assert "64个" in page.inner_text(".cited mark")
    assert page.evaluate("document.querySelector('#p-49').getBoundingClientRect().top") < 900  # scrolled to it
    page.screenshot(path=str(SHOTS / "document.png"))


def test_script_in_a_query_is_shown_as_text(server, page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server + "/")
    page.fill("input[name=q]", "<script>alert(1)</script>")
    page.click("button[type=submit]")
    page.wait_for_selector("input[name=q]")
    assert page.input_value("input[name=q]") == "<script>alert(1)</script>"
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('main script').length") == 0
    page.goto(server + "/verify?claim=" + "%3Cscript%3Ealert(2)%3C%2Fscript%3E")
    assert page.input_value("textarea") == "<script>alert(2)</script>"
    assert dialogs == []


def test_the_ui_works_under_its_content_security_policy(server, page):
    """The CSP is sent, the browser reports no violation on any page, and the stylesheet applies."""
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    response = page.goto(server + "/?q=美丽庭院示范村有多少个")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    for path in ("/figures?q=示范", "/verify?claim=寄送书香包400个", "/about", "/doc/foshan-womens-federation-2022-review"):
        page.goto(server + path)
    assert violations == []
    # style.css is served from 'self' and applied: the header is laid out as a flex row by it
    assert page.evaluate("getComputedStyle(document.querySelector('header')).display") == "flex"


def test_an_article_is_checked_in_the_browser(server, page):
    article = (Path(__file__).resolve().parent / "data" / "article.txt").read_text("utf-8")
    page.goto(server + "/article")
    page.fill("textarea[name=text]", article)
    page.click("button[type=submit]")
    page.wait_for_selector(".checked-text")
    marks = page.query_selector_all("mark.checked")
    assert len(marks) >= 12
    wrong = page.inner_text("mark.checked.contradicted")  # the first figure the source contradicts
    assert "4,380宗" in wrong and "与来源不符" in wrong  # a word, not colour alone
    colour = page.evaluate("getComputedStyle(document.querySelector('mark.checked.contradicted')).backgroundColor")
    assert colour != page.evaluate("getComputedStyle(document.querySelector('mark.checked.supported')).backgroundColor")
    page.screenshot(path=str(SHOTS / "article.png"), full_page=True)
