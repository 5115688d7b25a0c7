"""The review message as Discord receives it: escaping, limits, links, legend, decided states (pure functions)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import feedparser

from digest.config import DEFAULT_SECTION_EMOJIS
from digest.discord import messages
from digest.discord.waiting import waiting_notice
from digest.review.rules import SuggestedSection
from digest.storage.models import APPROVED, PENDING, REJECTED, Candidate
from tests.conftest import DATA_DIR
from tests.factories import real_papers

FEED = DATA_DIR / "arxiv" / "api" / "api_new_cat-cs.LG-OR-cs.AI_2026-04-30_20entries.xml"
UNESCAPED = re.compile(r"(?<!\\)[*_~`|>\[\]()<#]")


def candidate_from(record: dict[str, object], **overrides: object) -> Candidate:
    fields: dict[str, object] = {
        "id": 42,
        "arxiv_id": record["arxiv_id"],
        "title": record["title"],
        "abstract": record["abstract"],
        "authors": record.get("authors") or [],
        "comments": None,
        "code_url": None,
        "score": 0.87,
        "matched": ["sparse autoencoder", "vision"],
        "suggested_section": "Sparse Autoencoder",
        "status": PENDING,
        "decided_by": None,
        "decided_section": None,
    }
    fields.update(overrides)
    return Candidate(**fields)


def real_feed_entry() -> dict[str, object]:
    entry = next(e for e in feedparser.parse(FEED.read_bytes()).entries if len(e.authors) > 5)
    return {
        "arxiv_id": entry.id.rsplit("/", 1)[-1].split("v")[0],
        "title": entry.title,
        "abstract": entry.summary,
        "authors": [author.name for author in entry.authors],
    }


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text).replace("@\u200b", "@")


def test_embed_shows_title_link_authors_links_keywords_score_section_and_legend() -> None:
    record = real_feed_entry()
    assert len(record["authors"]) > 4  # type: ignore[arg-type]
    embed = messages.candidate_embed(candidate_from(record), DEFAULT_SECTION_EMOJIS)
    assert embed["url"] == f"https://arxiv.org/abs/{record['arxiv_id']}"
    assert unescape(embed["title"]) == " ".join(str(record["title"]).split())
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    authors = record["authors"]
    assert fields["Authors"].startswith(messages.escape(authors[0]))  # type: ignore[index]
    assert f"et al. ({len(authors)} authors)" in fields["Authors"]  # type: ignore[arg-type]
    assert str(authors[-1]) not in fields["Authors"]  # type: ignore[index]
    assert f"[PDF](https://arxiv.org/pdf/{record['arxiv_id']})" in fields["Links"]
    assert ("[Code](https://github.com/" in fields["Links"]) == ("github.com/" in str(record["abstract"]))
    assert fields["Matched"] == "sparse autoencoder, vision"
    assert fields["Score"] == "0.87"
    assert fields["Suggested section"] == "Sparse Autoencoder"
    footer = embed["footer"]["text"]
    assert footer.startswith("Candidate 42 · ✅ approve into Sparse Autoencoder · ❌ reject")
    assert "🕹️ Steering" in footer and "🧩 Sparse Autoencoder" in footer
    assert embed["color"] == messages.COLOUR_PENDING


def test_code_link_comes_from_the_abstract_and_a_hostile_one_cannot_break_out() -> None:
    record = next(r for r in real_papers() if "github.com" in r["abstract"])
    fields = {f["name"]: f["value"] for f in messages.candidate_embed(candidate_from(record), {})["fields"]}
    assert "[Code](https://github.com/CoraLiang01/lean-llm-opt)" in fields["Links"]
    hostile = candidate_from(record, abstract="See https://github.com/a/b)[click](https://evil.example) now.")
    fields = {f["name"]: f["value"] for f in messages.candidate_embed(hostile, {})["fields"]}
    assert "[Code](https://github.com/a/b)" in fields["Links"] and "evil" not in fields["Links"]


def test_an_overlong_repository_address_in_an_abstract_leaves_the_message_within_discords_limits() -> None:
    """The Code link took the abstract's repository address whole: one over Discord's 1,024 characters for a field
    had Discord refuse the message (the paper never reached the channel) or refuse every later edit of it."""
    record = real_papers()[0]
    for path in ("a" * 1100, "/".join(["ab"] * 600)):
        abstract = f"Code at https://github.com/{path}. {record['abstract']}"
        embed = messages.candidate_embed(candidate_from(record, abstract=abstract), DEFAULT_SECTION_EMOJIS)
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["Links"] == f"[PDF](https://arxiv.org/pdf/{record['arxiv_id']})"
        assert all(len(f["value"]) <= messages.FIELD_LIMIT for f in embed["fields"])


def test_long_abstracts_are_cut_at_a_word_and_every_limit_holds() -> None:
    record = real_papers()[0]
    long_abstract = " ".join([record["abstract"]] * 6)
    embed = messages.candidate_embed(candidate_from(record, abstract=long_abstract), DEFAULT_SECTION_EMOJIS)
    assert len(embed["description"]) <= messages.ABSTRACT_LIMIT and embed["description"].endswith("…")
    assert unescape(embed["description"][:-1]) in " ".join(long_abstract.split())
    assert len(embed["title"]) <= messages.TITLE_LIMIT
    assert all(len(f["value"]) <= messages.FIELD_LIMIT for f in embed["fields"])
    assert messages.embed_length(embed) <= messages.EMBED_TOTAL_LIMIT


def test_hostile_title_is_escaped_and_pings_nobody() -> None:
    record = real_papers()[1]
    title = "@everyone <@&123> **Steering** [CLIP](https://evil.example) `x` ||spoiler|| # heading <script>"
    embed = messages.candidate_embed(candidate_from(record, title=title), {})
    assert "@everyone" not in embed["title"] and "<@&" not in embed["title"]
    assert not UNESCAPED.search(embed["title"].replace("\\\\", ""))
    assert unescape(embed["title"]) == title


def test_decided_states_change_colour_and_say_who_decided() -> None:
    record = real_papers()[2]
    approved = candidate_from(record, status=APPROVED, decided_by="ann_*", decided_section="Steering")
    embed = messages.candidate_embed(approved, {})
    assert embed["color"] == messages.COLOUR_APPROVED
    assert embed["description"].startswith("**Approved by ann\\_\\* into Steering**\n\n")
    rejected = messages.candidate_embed(candidate_from(record, status=REJECTED, decided_by="@everyone"), {})
    assert rejected["color"] == messages.COLOUR_REJECTED
    assert rejected["description"].startswith("**Rejected by @\u200beveryone**")


def test_reactions_map_to_decisions() -> None:
    emojis = DEFAULT_SECTION_EMOJIS
    assert messages.reaction_choice("✅", emojis) == messages.ReactionChoice("approve", None)
    assert messages.reaction_choice("❌", emojis) == messages.ReactionChoice("reject", None)
    assert messages.reaction_choice("🧩", emojis) == messages.ReactionChoice("approve", "Sparse Autoencoder")
    # Discord may drop the variation selector of 🕹️
    assert messages.reaction_choice("\U0001f579", emojis) == messages.ReactionChoice("approve", "Steering")
    assert messages.reaction_choice("👍", emojis) is None


def test_waiting_notice_points_at_the_review_page() -> None:
    assert waiting_notice(1, "https://digest.example/") == (
        "1 more candidate waits on the review page: https://digest.example/review"
    )
    assert waiting_notice(3, "http://h:1").startswith("3 more candidates wait")


def test_timestamps_are_not_needed_for_an_embed() -> None:
    record = real_papers()[3]
    candidate = candidate_from(record, published=datetime(2025, 2, 27, tzinfo=UTC), authors=[])
    fields = {f["name"]: f["value"] for f in messages.candidate_embed(candidate, {})["fields"]}
    assert fields["Authors"] == "unknown"


def test_a_reaction_matches_the_decision_it_made_and_no_other() -> None:
    check, cross = messages.ReactionChoice("approve", None), messages.ReactionChoice("reject", None)
    steering = messages.ReactionChoice("approve", "🕹️ Steering")
    recorded = messages.decision_key("1001", "approve", "sparse autoencoder")
    assert messages.reaction_key(1001, check, "Sparse Autoencoder") == recorded  # ✅: the suggested section
    assert messages.reaction_key(1001, steering, "Sparse Autoencoder") != recorded
    assert messages.reaction_key(1002, check, "Sparse Autoencoder") != recorded  # someone else's reaction
    assert messages.reaction_key(1001, cross, "Sparse Autoencoder") == messages.decision_key(1001, "reject", None)
    assert messages.reaction_key(1001, steering, None) == messages.decision_key("1001", "approve", "🕹️ STEERING")


def test_without_a_listed_suggested_section_the_legend_offers_no_check_mark_and_a_refusal_is_one_escaped_line() -> None:
    record = real_feed_entry()
    for embed in (
        messages.candidate_embed(candidate_from(record, suggested_section=None), DEFAULT_SECTION_EMOJIS),
        messages.candidate_embed(
            candidate_from(record), DEFAULT_SECTION_EMOJIS, suggestion=SuggestedSection("Sparse Autoencoder", None)
        ),
    ):
        assert embed["footer"]["text"].startswith("Candidate 42 · ❌ reject · ")
    note = messages.refusal_note("approve", "no section named '@everyone **x**\nnew' in the list", {"A": "🅰️"})
    embed = messages.candidate_embed(candidate_from(record), {}, note=note)
    first_line = embed["description"].splitlines()[0]
    assert first_line.startswith("⚠️ Couldn't approve: no section named") and first_line.endswith("section emoji")
    assert "@\u200beveryone" in first_line and "\\*\\*x\\*\\*" in first_line


def test_a_list_heading_holding_a_bidi_override_is_shown_without_it_in_the_legend() -> None:
    """The suggested section is a heading of the list, kept as the maintainer wrote it: its U+202E went raw into the
    footer's legend ("✅ approve into …"), reversing the rest of the line; it is blanked, as in every other field."""
    heading = "Sparse\u202e Autoencoder"
    embed = messages.candidate_embed(candidate_from(real_papers()[0], suggested_section=heading), {heading: "🧩"})
    footer = embed["footer"]["text"]
    assert "approve into Sparse Autoencoder" in " ".join(footer.split()) and "🧩 Sparse" in footer
    for text in [embed["title"], embed["description"], footer, *(field["value"] for field in embed["fields"])]:
        assert "\u202e" not in text, text


def test_a_blank_title_and_a_blank_suggested_section_still_say_what_the_message_is_and_what_check_does() -> None:
    """A title of characters that draw nothing made an embed without a readable title (only its link), and a list
    heading of such characters made the legend offer '✅ approve into ' followed by nothing."""
    candidate = candidate_from(real_papers()[0], id=7, title="\u200b\u3000\u2800", suggested_section="\u3000\u200b")
    embed = messages.candidate_embed(candidate, DEFAULT_SECTION_EMOJIS)
    assert embed["title"] == f"Untitled paper, arXiv {candidate.arxiv_id}"
    assert embed["footer"]["text"].startswith("Candidate 7 · ✅ approve into the suggested section · ❌ reject · ")


def test_a_section_whose_name_shows_nothing_is_said_so_in_the_decision_and_the_legend() -> None:
    """A list heading of characters that draw nothing (U+3000, U+200B), approved into, read "Approved by ann into "
    followed by nothing, and a section emoji configured for such a name showed "🔬 " and nothing: each says so."""
    record = real_papers()[2]
    approved = candidate_from(record, id=7, status=APPROVED, decided_by="ann", decided_section="\u3000\u200b")
    embed = messages.candidate_embed(approved, {"\u200b": "🔬", "Steering": "🧭"})
    assert embed["description"].startswith("**Approved by ann into a section whose heading shows nothing**\n\n")
    footer = embed["footer"]["text"]
    assert "🔬 a section whose heading shows nothing · 🧭 Steering" in footer, footer
