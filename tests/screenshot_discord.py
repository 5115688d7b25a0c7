"""Makes docs/screenshots/discord-candidate.png: a real candidate posted by the real bot to the fake Discord,
rendered by the fake as a Discord-like page and photographed by Chromium.

    .venv/bin/python -m tests.screenshot_discord
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from digest.discord.bot import ReviewBot
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import FakeDiscord

TARGET = Path(__file__).resolve().parent.parent / "docs" / "screenshots" / "discord-candidate.png"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


async def main() -> None:
    from playwright.async_api import async_playwright

    fake = FakeDiscord()
    await fake.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            settings = make_settings(Path(folder) / "data", fake.config_toml(), {"DISCORD_TOKEN": "fake-token"})
            database = open_service_database(settings)
            paper = next(p for p in real_papers() if p["arxiv_id"] == "2504.08729")
            insert_candidate(database, paper, score=1.42, matched=["sparse autoencoder", "clip", "vision transformer"])
            bot = ReviewBot(settings, database, Reviewer(database, settings), guild_ready_timeout=0.01)
            await bot.start()
            await bot.post_pending()
            await asyncio.sleep(0.5)  # the bot's own ✅ and ❌ arrive after the message
            html = fake.render_last_message_html()
            await bot.close()
            database.dispose()
            page_file = Path(folder) / "message.html"
            page_file.write_text(html, encoding="utf-8")
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
                )
                page = await browser.new_page(viewport={"width": 760, "height": 620})
                await page.goto(page_file.as_uri())
                TARGET.parent.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(TARGET), full_page=True)
                await browser.close()
    finally:
        await fake.close()
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    asyncio.run(main())
