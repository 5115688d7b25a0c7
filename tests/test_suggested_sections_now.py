"""A candidate's suggested sections were named as the model named them when it judged the paper: a heading renamed,
taken out or repeated in another year's block since left Discord's message and `digest candidates` naming a section the
list no longer has, a ✅ landing in a section the message did not name, and nothing saying a suggestion no longer
meant one section. Each place now names a suggestion as the list has it, resolved as `digest approve --section` does."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.cli import main
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from tests.conftest import seeded_bot_settings
from tests.discord_bot import eventually, last_embed, list_md, posted_candidate, row, running, section_of
from tests.factories import insert_candidate, real_papers
from tests.fake_discord import MAINTAINER, FakeDiscord
from tests.list_edits import YEAR_BLOCKS
from tests.suggested_sections import edited_list, suggested_field

# YEAR_BLOCKS with its Steering heading renamed by hand (an emoji and a colon added, a word before it) since the
# candidates were judged: each year's block has a Probing, and no section is called Circuits.
RENAMED = YEAR_BLOCKS.replace("### Steering\n", "### 🎯 Activation Steering:\n")


@pytest.mark.asyncio
async def test_discord_names_the_suggested_section_as_the_list_has_it_and_approves_there(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    emojis = '[discord.section_emojis]\n"Probing (2024)" = "🔍"\n'
    settings = seeded_bot_settings(tmp_path, fake, RENAMED, emojis)
    db = open_service_database(settings)
    dated = {"published": datetime(2024, 6, 20, tzinfo=UTC)}
    try:
        async with running(settings, db) as bot:
            renamed, mid = await posted_candidate(fake, db, bot, 0, suggested_section="Steering")
            embed = last_embed(fake, mid)
            assert suggested_field(embed) == "Activation Steering"
            assert "✅ approve into Activation Steering · ❌ reject" in embed["footer"]["text"]
            await fake.react(mid, MAINTAINER, "✅")
            approved = "Approved by ann into Activation Steering"
            await eventually(lambda: approved in last_embed(fake, mid)["description"], "approved where it said")
            assert real_papers()[0]["arxiv_id"] in section_of(list_md(settings), "Activation Steering")

            shared, mid = await posted_candidate(fake, db, bot, 1, suggested_section="Probing", **dated)
            embed = last_embed(fake, mid)
            assert suggested_field(embed) == "Probing (2 sections have this name: Probing (2025), Probing (2024))"
            assert "✅" not in embed["footer"]["text"] and "🔍 Probing (2024)" in embed["footer"]["text"]
            await fake.react(mid, MAINTAINER, "✅")  # added by hand all the same: refused, in words, not guessed
            await eventually(lambda: "Couldn't approve" in last_embed(fake, mid)["description"], "the refusal")
            assert "the list has 2 sections named 'Probing'" in last_embed(fake, mid)["description"].replace("\\", "")
            assert row(db, shared).status == "pending"
            await fake.react(mid, MAINTAINER, "🔍")
            into_2024 = "Approved by ann into Probing (2024)"
            await eventually(lambda: into_2024 in last_embed(fake, mid)["description"].replace("\\", ""), "picked")

            # No heading of the list was ever called Circuits: the message said "no longer a section of the list".
            gone, mid = await posted_candidate(fake, db, bot, 2, suggested_section="Circuits")
            embed = last_embed(fake, mid)
            assert suggested_field(embed) == "Circuits (not a section of the list)"
            assert "no longer" not in json.dumps(fake.shown(mid), ensure_ascii=False)
            assert "✅" not in embed["footer"]["text"]
        assert row(db, renamed).decided_section == "Activation Steering"
        assert real_papers()[1]["arxiv_id"] in list_md(settings).split("## 2024")[1]
        assert row(db, gone).status == "pending"
    finally:
        db.dispose()


def test_digest_candidates_names_each_suggestion_as_the_list_has_it_now(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    papers = real_papers()
    approved = insert_candidate(database, papers[0], suggested_section="Steering", suggested_sections=["Steering"])
    assert main(["--data-dir", str(data_dir), "approve", str(approved)]) == 0
    suggestions = ["Steering", "Probing", "Attention", "sparse autoencoder"]
    for index, suggested in enumerate(suggestions, start=1):
        others = [name for name in suggestions if name != suggested]
        insert_candidate(database, papers[index], suggested_section=suggested, suggested_sections=[suggested, *others])
    assert main(["--data-dir", str(data_dir), "list", "import", str(edited_list(data_dir, tmp_path))]) == 0
    capsys.readouterr()

    assert main(["--data-dir", str(data_dir), "candidates"]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if not line.startswith(" " * 7)]  # not the notes
    shown = {line.split()[3]: line.split("[", 1)[1].split("]", 1)[0] for line in printed}
    sharing = "Probing (2 sections have this name: Probing (Papers), Probing (2024))"
    assert [shown[str(paper["arxiv_id"])] for paper in papers[:5]] == [
        "Activation Steering",  # approved into Steering: where the list holds it now (the recorded name beside)
        "Activation Steering",
        sharing,
        "Attention (not a section of the list)",
        "Sparse Autoencoder",
    ]

    assert main(["--data-dir", str(data_dir), "candidates", "--json"]) == 0
    rows = {row["arxiv_id"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows[papers[2]["arxiv_id"]]["suggested_sections_now"] == [
        {"suggested": "Probing", "section": None, "sections_sharing_its_name": ["Probing (Papers)", "Probing (2024)"]},
        {"suggested": "Steering", "section": "Activation Steering"},
        {"suggested": "Attention", "section": None},
        {"suggested": "sparse autoencoder", "section": "Sparse Autoencoder"},
    ]
    # What the listing names is where approving as suggested lands, and what it says cannot be approved is refused.
    steering = str(rows[papers[1]["arxiv_id"]]["id"])
    assert main(["--data-dir", str(data_dir), "approve", steering]) == 0
    assert capsys.readouterr().out.strip().endswith("approved into Activation Steering")
    assert main(["--data-dir", str(data_dir), "approve", str(rows[papers[2]["arxiv_id"]]["id"])]) == 1
    assert "the list has 2 sections named 'Probing'" in capsys.readouterr().err


def test_digest_candidates_shows_an_approved_paper_where_the_list_holds_it_now(
    data_dir: Path, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An approved row named the section its decision recorded, after the heading was renamed (Steering), repeated
    with its entries in another year's block (Probing) or taken out (Attention, its papers now under the heading
    above): a section the list no longer has. It now names where the list holds the paper, the recorded name beside
    it when it differs; --json keeps decided_section as recorded and adds decided_sections_now."""
    papers = real_papers()
    approved = {}
    for index, section in enumerate(["Steering", "Probing", "Attention"]):
        approved[section] = insert_candidate(database, papers[index], suggested_section=section)
        assert main(["--data-dir", str(data_dir), "approve", str(approved[section]), "--section", section]) == 0
    assert main(["--data-dir", str(data_dir), "list", "import", str(edited_list(data_dir, tmp_path))]) == 0
    above = "Neuron Analysis"  # the seed list's heading above Attention's
    capsys.readouterr()

    assert main(["--data-dir", str(data_dir), "candidates", "--status", "approved"]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if not line.startswith(" " * 7)]  # not the notes
    shown = {line.split()[3]: line.split("[", 1)[1] for line in printed}
    where = [shown[str(paper["arxiv_id"])].split(") ", 1)[0] + ")" for paper in papers[:3]]
    assert where == [
        "Activation Steering] (recorded as Steering)",
        "Probing (Papers), Probing (2024)] (recorded as Probing)",  # the edit copied its entries into the 2024 block
        f"{above}] (recorded as Attention)",
    ]

    assert main(["--data-dir", str(data_dir), "candidates", "--status", "approved", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert [rows[approved[name]]["decided_section"] for name in approved] == ["Steering", "Probing", "Attention"]
    assert [rows[approved[name]]["decided_sections_now"] for name in approved] == [
        ["Activation Steering"],
        ["Probing (Papers)", "Probing (2024)"],
        [above],
    ]
