"""The chat UI in a real browser (Debian chromium driven by Playwright): a streamed, cited answer; clicking a
citation reveals the paper in the sources panel; follow-up with memory; escaping; stop; new chat; corpus
stats and upload. Saves {chat,sources,corpus}.png under tests/artifacts/screenshots/, or docs/screenshots/ with
PAPERTRAIL_SCREENSHOTS=docs/screenshots (to refresh the README's images)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ANSWER_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def page(ui_server: str):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium: run `make browser` (as root)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(ui_server)
        page.wait_for_selector("#pt-question textarea", timeout=60_000)
        page.page_errors = errors  # type: ignore[attr-defined]
        yield page
        context.close()
        browser.close()


BOTS = '#pt-chat .message.bot [data-testid="bot"]'


def ask(page, question: str) -> None:
    page.fill("#pt-question textarea", question)
    page.click("#pt-ask")


def last_answer(page):
    return page.locator(BOTS).last


def ask_and_wait(page, question: str) -> str:
    """Ask, then wait until the new answer is final (not a pending status) and Ask is back; its text."""
    before = page.locator(BOTS).count()
    ask(page, question)
    page.wait_for_function(
        """([selector, before]) => {
             const bots = document.querySelectorAll(selector);
             const ask = document.querySelector('#pt-ask');
             if (bots.length <= before || !ask || ask.offsetParent === null) return false;
             const text = bots[bots.length - 1].innerText.trim();
             return text.length > 0 && !text.endsWith('…');
           }""",
        arg=[BOTS, before], timeout=ANSWER_TIMEOUT_MS)
    return last_answer(page).inner_text()


def test_streamed_answer_with_citation_link_reveals_source(page, screenshots_dir: Path) -> None:
    ask(page, "Summarize the LambdaNetworks paper")
    # while it works (one model call, seconds) the Stop button replaces Ask
    page.wait_for_selector("#pt-stop", state="visible", timeout=30_000)
    page.wait_for_selector("#pt-stop", state="hidden", timeout=ANSWER_TIMEOUT_MS)
    answer = last_answer(page)
    answer.locator("a.cite").first.wait_for(timeout=30_000)
    text = answer.inner_text()
    assert "LambdaNetworks" in text
    assert "References" in text
    page.wait_for_selector("#pt-sources .pt-card.pt-cited", timeout=30_000)
    assert page.locator("#pt-download").is_visible()
    page.screenshot(path=str(screenshots_dir / "chat.png"))

    link = answer.locator("a.cite").first
    n = link.get_attribute("data-n")
    link.click()
    card = page.locator(f"#pt-sources #src-0-{n}")
    page.wait_for_selector(f"#pt-sources #src-0-{n}.pt-active", timeout=10_000)
    assert card.is_visible()
    card_text = card.inner_text()
    assert f"cited [{n}]" in card_text
    assert "LambdaNetworks" in card.locator("h4").inner_text()
    assert "ui_sample.jsonl" in card_text  # source file
    assert re.search(r"score \d\.\d{4}", card_text)
    assert card.locator("mark").count() == 1  # the passage used, highlighted in the abstract
    assert page.locator("#pt-sources .pt-card").count() >= 2  # every retrieved paper is listed
    page.wait_for_timeout(600)  # the smooth scroll
    page.screenshot(path=str(screenshots_dir / "sources.png"))
    for name in ("chat.png", "sources.png"):
        assert (screenshots_dir / name).stat().st_size > 10_000


def test_download_is_the_markdown_answer(page, tmp_path: Path) -> None:
    with page.expect_download() as info:
        page.click("#pt-download")
    target = tmp_path / "answer.md"
    info.value.save_as(target)
    markdown = target.read_text(encoding="utf-8")
    assert markdown.startswith("# Summarize the LambdaNetworks paper")
    assert "## References" in markdown and "LambdaNetworks" in markdown


def test_follow_up_keeps_each_answers_sources(page) -> None:
    text = ask_and_wait(page, "What problem does it solve?")
    assert page.locator(BOTS).count() == 2
    assert not text.startswith("Error:"), text
    second = page.locator('#pt-sources .pt-turn[data-turn="1"]')
    second.wait_for(state="visible", timeout=10_000)
    assert "What problem does it solve?" in second.locator(".pt-turn-head").inner_text()
    # a citation in the first answer still opens the first answer's sources
    page.locator('#pt-chat .message.bot [data-testid="bot"]').first.locator("a.cite").first.click()
    page.wait_for_selector('#pt-sources .pt-turn[data-turn="0"].pt-show', timeout=10_000)
    assert not second.is_visible()


def set_papers_to_retrieve(page, n: int) -> None:
    """Type n into the slider's number box. A box typed into while the accordion is still mounting can drop the
    value (seen once in CI), so type again, up to three times, until the slider shows it."""
    page.wait_for_selector("#pt-k input[type=number]", state="visible", timeout=10_000)
    number = page.locator("#pt-k input[type=number]")
    for attempt in range(3):
        number.fill(str(n))
        number.press("Enter")
        number.blur()
        try:
            page.wait_for_function("n => document.querySelector('#pt-k input[type=range]').value === String(n)",
                                   arg=n, timeout=10_000)
            return
        except sync_api.TimeoutError:
            if attempt == 2:
                raise


def test_corpus_text_is_escaped(page, hostile_title: str) -> None:
    page.click("#pt-new")
    if not page.locator("#pt-k").is_visible():
        page.locator("#pt-filters").get_by_text("Filters").first.click()  # open the filters accordion
    set_papers_to_retrieve(page, 20)  # every paper of the sample index
    ask_and_wait(page, "Which kernels does the Linear Attention Probe use?")
    section = page.locator('#pt-sources .pt-turn[data-turn="0"]')
    section.wait_for(state="visible", timeout=10_000)
    titles = section.locator("h4").all_inner_texts()
    assert hostile_title in titles, (last_answer(page).inner_text(), titles)  # shown as text, tags and all
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#pt-sources h4 b, #pt-sources script, #pt-chat script, img[onerror]").count() == 0
    assert "Test <i>Author</i>" in section.inner_text()


def test_stop_cancels_and_the_chat_keeps_working(page) -> None:
    page.click("#pt-new")  # a fresh chat: as a follow-up, the tiny model's rewrite could change the question
    ask(page, "Write a cited overview of activation functions")
    page.wait_for_selector("#pt-stop", state="visible", timeout=30_000)
    # long work shows its progress in the chat while waiting
    page.wait_for_function(
        "() => /Writing section \\d+ of \\d+/.test([...document.querySelectorAll('#pt-chat [data-testid=\"bot\"]')].pop().innerText)",
        timeout=60_000)
    page.click("#pt-stop")
    page.wait_for_selector("#pt-ask", state="visible", timeout=10_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#pt-chat [data-testid=\"bot\"]')].pop().innerText.includes('Stopped')",
        timeout=10_000)
    # New chat clears everything and the next question is answered
    page.click("#pt-new")
    page.wait_for_function("() => document.querySelectorAll('#pt-chat [data-testid=\"bot\"]').length === 0",
                           timeout=10_000)
    assert "Sources appear here" in page.locator("#pt-sources").inner_text()
    ask_and_wait(page, "Summarize the LambdaNetworks paper")
    assert last_answer(page).locator("a.cite").count() >= 1
    assert page.locator(BOTS).count() == 1
    assert not page.page_errors, page.page_errors


def papers_stat(page) -> int:
    return int(page.locator("#pt-stats .pt-stat b").first.inner_text())


def upload(page, path: Path) -> str:
    for attempt in range(3):  # the file box re-renders after each ingest; a stale input may miss the file
        try:
            page.wait_for_selector("#pt-upload input[type=file]", state="attached", timeout=30_000)
        except sync_api.TimeoutError:  # seen on a loaded machine: reopen the tab and look again
            page.reload()
            page.get_by_role("tab", name="Corpus").click()
            page.wait_for_selector("#pt-upload input[type=file]", state="attached", timeout=60_000)
        page.locator("#pt-upload input[type=file]").set_input_files(str(path), timeout=60_000)
        try:
            page.wait_for_selector(f"#pt-upload :text('{path.name}')", timeout=10_000)
            break
        except sync_api.TimeoutError:
            if attempt == 2:
                raise
    previous = page.locator("#pt-ingest-status").inner_text()
    page.click("#pt-add")
    page.wait_for_function(
        "prev => { const t = document.querySelector('#pt-ingest-status').innerText.trim();"
        " return t && t !== prev && (t.startsWith('Added:') || t.startsWith('Not added:')); }",
        arg=previous, timeout=120_000)
    # the file box is cleared for the next file
    page.wait_for_function("name => !document.querySelector('#pt-upload').innerText.includes(name)",
                           arg=path.name, timeout=10_000)
    return page.locator("#pt-ingest-status").inner_text()


def test_corpus_tab_stats_and_upload(page, tmp_path: Path, screenshots_dir: Path) -> None:
    page.get_by_role("tab", name="Corpus").click()
    page.wait_for_selector("#pt-stats .pt-stat", timeout=30_000)
    before = papers_stat(page)
    assert before >= 17
    assert "ui_sample.jsonl" in page.locator("#pt-stats").inner_text()

    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    status = upload(page, empty)
    assert status.startswith("Not added:") and "empty file" in status
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    status = upload(page, binary)
    assert status.startswith("Not added:") and "binary" in status
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Caf\xe9 title\n\nAn abstract that is long enough to count as one. ".encode("latin-1") * 5)
    status = upload(page, latin)
    assert status.startswith("Not added:") and "UTF-8" in status
    assert papers_stat(page) == before  # nothing changed

    good = tmp_path / "upload_probe.jsonl"
    good.write_text(json.dumps({
        "title": "Upload Probe: Ingesting From The Browser",
        "abstract": "We describe a paper added through the papertrail chat interface to check that uploads are "
                    "validated, embedded and indexed, and that the statistics page reflects the change.",
        "authors": ["Ada Lovelace"], "date": "2024-05-01"}) + "\n", encoding="utf-8")
    status = upload(page, good)
    assert status.startswith("Added:") and "1 added" in status, status
    page.wait_for_function(f"() => document.querySelector('#pt-stats .pt-stat b').innerText.trim() === '{before + 1}'",
                           timeout=30_000)
    assert "upload_probe.jsonl" in page.locator("#pt-stats").inner_text()
    page.screenshot(path=str(screenshots_dir / "corpus.png"), full_page=True)
    assert (screenshots_dir / "corpus.png").stat().st_size > 10_000
