"""The weekly email's HTML as a reader's phone shows it: real Chromium (Debian's /usr/bin/chromium through Playwright)
on the HTML part as the SMTP server received it from the real weekly job."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from digest.storage.models import Paper
from digest.weekly.store import run_weekly_job
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.smtp_server import Inbox, free_port, smtp_server
from tests.weekly_mail_delivery import NOW, config, setup

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser tests need Chromium at /usr/bin/chromium: run `apt-get install chromium` to enable them",
    ),
]

PHONE_WIDTH = 375  # CSS pixels: an iPhone's, and about the narrowest phone in use
LONG_URL = "https://huggingface.co/datasets/MechInterpLab/VisionLanguageSparseAutoencoderFeatureActivations_v2"


def received_html(tmp_path: Path) -> str:
    """The readers' edition of a week whose first paper's abstract opens by naming its repository (a first sentence
    of one long word, as many do), as the SMTP server received it."""
    port = free_port()
    settings, database = setup(tmp_path, config(port, maintainers=()))
    inbox = Inbox()
    try:
        with database.transaction() as session:
            paper = session.scalars(select(Paper).where(Paper.arxiv_id == "2502.20578")).one()
            paper.abstract = f"Code and models are at {LONG_URL}. {paper.abstract}"
        with smtp_server(inbox, port):
            run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    (message,) = inbox.messages
    part = message.get_body(("html",))
    assert isinstance(part, EmailMessage)
    html = str(part.get_content())
    assert LONG_URL in html
    return html


@pytest.mark.asyncio
async def test_a_long_url_in_a_papers_summary_does_not_make_the_email_wider_than_a_phone(tmp_path: Path) -> None:
    """The summary's URL is one word wider than a phone's screen: it pushed the whole message past the screen's
    edge, so every line of the email had to be scrolled sideways to be read (the titles and numbers cut off on the
    right). The email's text now breaks such a word, and the message fits the screen's width."""
    from playwright.async_api import async_playwright

    html = received_html(tmp_path)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": PHONE_WIDTH, "height": 800})
            await page.set_content(html)
            width = await page.evaluate("document.documentElement.scrollWidth")
            shown = await page.get_by_text("Code and models are at").is_visible()
        finally:
            await browser.close()
    assert shown
    assert width <= PHONE_WIDTH, f"the email is {width} pixels wide on a {PHONE_WIDTH}-pixel screen"
