"""`bienphong report`: the HTML page, checked as text and in a real headless Chromium (Playwright)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from annotations.schema import SLOT_TYPES
from inference.cli import main
from tests.test_tables import write_sample

CHROMIUM = Path("/usr/bin/chromium")
# Playwright drives the system's Chromium; its own browser download (`playwright install`) is never used.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
def report(tmp_path) -> Path:
    events, articles = write_sample(tmp_path)
    output = tmp_path / "report.html"
    assert main(["report", "--events", str(events), str(articles), "--output", str(output)]) == 0
    return output


def test_the_page_is_self_contained_and_escaped(report):
    page = report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "the page loads nothing from the network"
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert(2)</script>" not in page and page.count("<script>") == 1
    for label in ("PATROL_COUNT", "TIME", "DRUG_TYPE"):
        assert f".L-{label}{{background:{SLOT_TYPES[label].colour}" in page  # the labeling config's colours


def test_a_bad_events_file_writes_no_report(tmp_path, capsys):
    _, articles = write_sample(tmp_path)
    (tmp_path / "bad.jsonl").write_text('{"article_id": "a1"}\n', encoding="utf-8")
    output = tmp_path / "report.html"
    assert main(["report", "--events", str(tmp_path / "bad.jsonl"), str(articles), "--output", str(output)]) == 2
    assert "bad.jsonl:1: event misses the key(s)" in capsys.readouterr().err
    assert not output.exists()


def test_an_output_that_is_an_input_is_refused(tmp_path, capsys):
    events, articles = write_sample(tmp_path)
    assert main(["report", "--events", str(events), str(articles), "--output", str(articles)]) == 2
    assert "is also an input" in capsys.readouterr().err


def _summary(page) -> dict[tuple[str, str, str], int]:
    rows = page.locator("#summary tbody tr:not([hidden])")
    return {tuple(row.locator("td").all_inner_texts()[:3]): int(row.locator("td.count").inner_text()) for row in rows.all()}


def test_the_report_in_a_real_browser(report, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (scripts/setup.sh installs it when run as root)")
    playwright = pytest.importorskip("playwright.sync_api", reason="needs playwright (the dev extras)")

    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
            page.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
            page.on("request", lambda r: None if r.url.startswith("file://") else problems.append(f"request: {r.url}"))
            page.goto(report.as_uri())

            # Highlighted spans: the right text, the right colour class, low scores flagged.
            patrol = page.locator("mark.span[data-label=PATROL_COUNT]")
            assert patrol.all_inner_texts() == ["12 đợt", "5 lượt", "30 lượt"]
            assert page.locator("mark.span[data-label=DRUG_TYPE]").inner_text() == "Heroin"
            assert page.locator("mark.span.low").all_inner_texts() == ["96 lượt cán bộ", "4 buổi"]
            colour = patrol.first.evaluate("m => getComputedStyle(m).backgroundColor")
            assert colour == "rgb(66, 212, 244)"  # #42d4f4, PATROL_COUNT's colour in the labeling config
            assert "onerror" in page.locator("section.doc", has_text="Lò Văn T.").locator(".text").inner_text()
            assert page.locator("img").count() == 0  # the article's <img> is text, not an element
            page.locator(".event", has_text="a1:1:0").hover()  # a card lights up its spans in the text
            assert page.locator("mark.focus").all_inner_texts() == [
                "Đồn Biên phòng Pa Ủ",
                "Ngày 12/3/2024",
                "2 đối tượng",
                "0,5kg",
                "Heroin",
            ]

            all_groups = {
                ("patrol", "Lai Châu", "2024"): 1,
                ("patrol", "Lai Châu", "2024-Q1"): 1,
                ("patrol", "Điện Biên", "2024-Q3"): 1,
                ("drug_seizure", "Lai Châu", "2024-Q1"): 1,
                ("outreach", "unknown", "unknown"): 1,
                ("official", "unknown", "unknown"): 1,
            }
            assert _summary(page) == all_groups
            assert page.locator(".event:visible").count() == 6

            # Minimum confidence 0.6 hides the events whose lowest slot score is below it (a1:0:0 0.55, a2:0:1 0.4).
            page.locator("#min-confidence-value").fill("0.6")
            hidden = [page.locator(".event", has_text=event_id) for event_id in ("a1:0:0", "a2:0:1")]
            assert all(event.is_hidden() for event in hidden)
            assert page.locator(".event:visible").count() == 4
            assert page.locator("#visible-count").inner_text() == "4 of 6 events shown"
            assert _summary(page) == {
                key: n
                for key, n in all_groups.items()
                if key not in {("patrol", "Lai Châu", "2024"), ("outreach", "unknown", "unknown")}
            }
            assert "dim" in (page.locator("mark.span", has_text="4 buổi").get_attribute("class") or "")
            # A span shared with a visible event stays bright: the organisation is also the seizure's (inherited).
            assert "dim" not in (page.locator("mark.span", has_text="Đồn Biên phòng Pa Ủ").get_attribute("class") or "")

            # Unticking an event type hides its events too.
            page.get_by_label("patrol").uncheck()
            assert page.locator(".event:visible").count() == 2
            assert {key[0] for key in _summary(page)} == {"drug_seizure", "official"}

            page.locator("#min-confidence-value").fill("0")
            page.get_by_label("patrol").check()
            assert page.locator(".event:visible").count() == 6

            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            assert problems == []
        finally:
            browser.close()
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_low_confidence_sets_which_slots_are_flagged(tmp_path):
    events, articles = write_sample(tmp_path)
    flagged = {}
    for threshold in ("0.6", "0.91"):
        output = tmp_path / f"report-{threshold}.html"
        assert (
            main(["report", "--events", str(events), str(articles), "--output", str(output), "--low-confidence", threshold]) == 0
        )
        flagged[threshold] = re.findall(r'<mark class="span L-\w+ low"[^>]*>([^<]*)</mark>', output.read_text(encoding="utf-8"))
    assert flagged["0.6"] == ["96 lượt cán bộ", "4 buổi"]
    assert len(flagged["0.91"]) > len(flagged["0.6"]) and "Heroin" in flagged["0.91"]
