"""Time from a reaction arriving on the gateway to the list regenerated and the message edited, against the fake
Discord's own round trip, measured in one run on the full seed list.

    .venv/bin/python bench/bench_discord.py [--rounds 5]

Reactions alternate ✅ (approve: the list gains an entry) and its removal (revert: the entry goes), on real papers
(tests/data/review_papers.jsonl). The baseline is the full round trip of the same message edit sent by the same
discord.py client to the same fake server with no decision behind it. Prints medians, the overhead on top of the
round trip, and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import discord
from sqlalchemy import select

from digest.discord import messages as discord_messages
from digest.discord.bot import ReviewBot
from digest.review.reviewer import Reviewer
from digest.service.wiring import open_service_database
from digest.storage.models import Candidate
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import MAINTAINER, FakeDiscord

TARGET_OVERHEAD_MS = 50.0


async def wait_for_edit(fake: FakeDiscord, message_id: int, since: int) -> float:
    """The arrival time of the next edit of this message at the fake server."""
    while True:
        await fake.edited.wait()
        fake.edited.clear()
        for request in fake.received[since:]:
            if request.method == "PATCH" and request.path.endswith(f"/{message_id}"):
                return request.at


async def run(rounds: int) -> int:
    fake = FakeDiscord()
    await fake.start()
    with tempfile.TemporaryDirectory() as folder:
        settings = make_settings(Path(folder) / "data", fake.config_toml(post_cap=50), {"DISCORD_TOKEN": "bench"})
        database = open_service_database(settings)
        entries = settings.list_markdown_path.read_text(encoding="utf-8").count("\n+ ")
        bot = ReviewBot(settings, database, Reviewer(database, settings), guild_ready_timeout=0.01, sync_interval=3600)
        try:
            papers = real_papers()
            ids = [insert_candidate(database, paper) for paper in papers]
            await bot.start()
            await bot.post_pending()
            with database.reading() as session:
                messages = {c.id: int(c.discord_message_id or 0) for c in session.scalars(select(Candidate))}
            decision_ms: list[float] = []
            for _ in range(rounds):
                for candidate_id, paper in zip(ids, papers, strict=True):
                    mid = messages[candidate_id]
                    for add in (True, False):
                        since = len(fake.received)
                        started = time.perf_counter()
                        if add:
                            await fake.react(mid, MAINTAINER, discord_messages.APPROVE_EMOJI)
                        else:
                            await fake.unreact(mid, MAINTAINER, discord_messages.APPROVE_EMOJI)
                        edited_at = await wait_for_edit(fake, mid, since)
                        decision_ms.append((edited_at - started) * 1000)
                        in_list = paper["arxiv_id"] in settings.list_markdown_path.read_text(encoding="utf-8")
                        if in_list != add:
                            print(f"bench_discord: the list is wrong after {'approve' if add else 'revert'}")
                            return 1
            baseline_ms: list[float] = []
            assert bot.client is not None
            channel = bot.client.get_partial_messageable(settings.discord.channel_id or 0)
            for candidate_id in ids * rounds * 2:
                mid = messages[candidate_id]
                embed = discord.Embed.from_dict(fake.messages[mid]["embeds"][0])
                started = time.perf_counter()
                await channel.get_partial_message(mid).edit(embed=embed)
                baseline_ms.append((time.perf_counter() - started) * 1000)
        finally:
            await bot.close()
            database.dispose()
            await fake.close()
    decision = statistics.median(decision_ms)
    baseline = statistics.median(baseline_ms)
    overhead = decision - baseline
    print(f"seed list: {entries} entries; {len(decision_ms)} reactions (approve and revert) on {len(ids)} real papers")
    print(f"reaction -> list regenerated + message edited: median {decision:.1f} ms (p90 {quantile(decision_ms):.1f})")
    base_p90 = quantile(baseline_ms)
    print(f"fake Discord round trip (same edit, no decision): median {baseline:.1f} ms (p90 {base_p90:.1f})")
    print(f"overhead on top of the round trip: {overhead:.1f} ms median (target < {TARGET_OVERHEAD_MS:.0f} ms)")
    print(f"ratio decision/round trip: {decision / baseline:.1f}x")
    return 0 if overhead < TARGET_OVERHEAD_MS else 1


def quantile(values: list[float], q: float = 0.9) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3, help="approve/revert cycles per paper (default 3)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    return asyncio.run(run(args.rounds))


if __name__ == "__main__":
    sys.exit(main())
