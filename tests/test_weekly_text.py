"""The weekly digest's text as its readers read it: the one-line summary of each paper, on real abstracts, and what
the maintainers' copy says of its approval links (from QA)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digest.config.invocation import same_invocation
from digest.service.wiring import open_service_database
from digest.weekly.issue import WeeklyDigestData
from digest.weekly.itemtext import one_line_summary
from digest.weekly.store import run_weekly_job
from tests.conftest import DATA_DIR, make_settings
from tests.factories import insert_candidate, real_papers

NOW = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # Monday 08:00 in Berlin: 2026-W48 is the last complete week
SEEN = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def abstract_of(arxiv_id: str) -> str:
    for line in (DATA_DIR / "relevance_haystack_sample.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("arxiv_id") == arxiv_id:
            return str(record["abstract"])
    raise AssertionError(arxiv_id)


def failing_templates_week(tmp_path: Path, markdown: str, email: str, said: str) -> None:
    """A week with the digest's Markdown template of one's own failing as `markdown` is written: the Markdown is not
    written, the email still goes; the week after, the email's text template failing as `email` is written: that
    edition fails in one line naming the template and `said`, and is retried."""
    from tests.smtp_server import Inbox, free_port, smtp_server
    from tests.weekly_data import fill_week
    from tests.weekly_mail_delivery import config

    own = tmp_path / "templates" / "weekly"
    own.mkdir(parents=True)
    (own / "digest.md.j2").write_text(markdown, encoding="utf-8")
    port = free_port()
    text = f'templates_dir = "{tmp_path / "templates"}"\n' + config(port, maintainers=())
    settings = make_settings(tmp_path / "data", text)
    database = open_service_database(settings)
    inbox = Inbox()
    try:
        fill_week(database, settings)
        with smtp_server(inbox, port):
            first = run_weekly_job(settings, database, NOW)
            (own / "email.txt.j2").write_text(email, encoding="utf-8")
            second = run_weekly_job(settings, database, NOW + timedelta(weeks=1))
    finally:
        database.dispose()
    assert "readers" not in first.markdown_paths
    assert [o.status for o in first.emails] == ["sent"] and len(inbox.messages) == 1
    (failed,) = [o for o in second.emails if o.week == "2026-W49"]
    assert failed.status == "failed" and failed.retry_at is not None
    assert "template" in failed.message and said in failed.message, failed.message


def last_weeks_digest(**given: Any) -> WeeklyDigestData:
    """The digest of the week before NOW, built by build_digest: an empty week of the list "Awesome" but for `given`
    (papers added, the pending, the stats, the edition...)."""
    from digest.weekly.issue import build_digest, week_of_day

    fields: dict[str, Any] = {"list_title": "Awesome", "added": [], "section_order": [], "heading_emojis": {}}
    fields |= {"pending_count": 0, "pending": []}
    return build_digest(week_of_day(NOW.date() - timedelta(days=7)), **(fields | given))


def all_parts(digest: WeeklyDigestData) -> tuple[str, str, str]:
    """The digest as the bundled templates render it: the Markdown, the email's text part and its HTML part."""
    from digest import resources
    from digest.weekly.rendering import render

    templates = resources.templates_dir()
    markdown, text, html = (
        render(digest, templates, name) for name in ("digest.md.j2", "email.txt.j2", "email.html.j2")
    )
    return markdown, text, html


def test_a_first_sentence_holding_i_e_is_not_cut_there() -> None:
    """A real abstract (2405.11706) reads '... of an enterprise SQL database (i.e. Text-to-SPARQL), achieve ...': the
    digest's summary was 'There is increasing evidence ... of an enterprise SQL database (i.e.', a sentence cut at
    an abbreviation with its bracket left open. Expected: the sentence goes on past it (cut at a word if too long)."""
    summary = one_line_summary(abstract_of("2405.11706"))
    assert not summary.endswith("(i.e."), summary
    assert "(i.e. Text-to-SPARQL), achieve" in summary


@pytest.mark.parametrize("abbreviation", ["e.g.", "i.e.", "et al.", "cf.", "vs.", "Fig.", "Eq."])
def test_no_common_abbreviation_ends_the_first_sentence(abbreviation: str) -> None:
    abstract = f"We study how vision encoders, {abbreviation} CLIP and SigLIP, store colour. Then we steer them."
    assert one_line_summary(abstract) == abstract.split(" Then")[0]


def test_the_maintainers_copy_does_not_send_them_to_an_email_that_is_not_sent(tmp_path: Path) -> None:
    """Without [smtp] maintainer_recipients (a new install; config check says their edition is only written), the
    maintainers' copy in the weekly folder said "Their one-click approval links are in the maintainers' email only;
    this copy leaves them out": no such email is sent, and a maintainer looked for it. Expected: the copy says the
    links are left out and how to see them."""
    settings = make_settings(tmp_path / "data", 'timezone = "Europe/Berlin"\n')
    database = open_service_database(settings)
    try:
        record = real_papers()[0]
        insert_candidate(
            database,
            record,
            score=0.5,
            relevant=False,
            suggested_section="Sparse Autoencoder",
            first_seen_at=SEEN,
            updated_at=SEEN,
        )
        result = run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    kept = result.markdown_paths["maintainers"].read_text(encoding="utf-8")
    assert record["arxiv_id"] in kept and "/approve/" not in kept  # the second tier is listed, without its links
    assert "in the maintainers' email" not in kept, kept
    assert f"{same_invocation(settings)} weekly --edition maintainers --dry-run" in kept  # as the service is run


def test_a_template_of_ones_own_that_fails_stops_neither_the_week_nor_the_other_parts(tmp_path: Path) -> None:
    """A weekly template of one's own that parses (config check: OK) but fails when rendered ({{ digest.papers }}, a
    name the digest does not have) made the service's weekly job raise out of its first step, writing the Markdown:
    no email went to anyone, nothing was recorded or retried, and the log held a traceback naming no template.
    Expected: the Markdown not written, one line saying why; the email still sent. And a failing email template is
    the edition's failure, recorded with that line and retried, like a setting the message cannot carry."""
    failing_templates_week(
        tmp_path, "{% for paper in digest.papers %}{{ paper }}{% endfor %}\n", "{{ digest.papers }}\n", "papers"
    )


HOSTILE = "\u202egnp.exe\u2066 \x1b[2J\x85x"  # reversed text, an isolate, a terminal escape, a C1 control


def test_the_digest_puts_out_no_invisible_character_whatever_its_data_holds() -> None:
    """The weekly templates rendered each value as it came: the digest's text was clean only because build_digest had
    cleaned it first, so data made another way (a paper's title from arXiv, a section's emoji from the config) put a
    U+202E raw into the Markdown and both parts of the email. Now the templates' environment blanks invisible
    characters in whatever they put out (templating.shown, as the web pages do); escaping stays as it was."""
    from digest import resources
    from digest.weekly.issue import DigestItem, DigestSection, DigestStats, PendingItem, WeeklyDigestData, week_of_day
    from digest.weekly.rendering import render

    title = f"<b>Steering</b> [VLMs]{HOSTILE} & co"
    item = DigestItem(title, f"Ann{HOSTILE}", f"We steer.{HOSTILE}", None, "https://arxiv.org/abs/2505.16146", None)
    pending = PendingItem(f"Pending{HOSTILE}", "https://arxiv.org/abs/2504.11695", 0.9, f"Probing{HOSTILE}")
    digest = WeeklyDigestData(
        week=week_of_day(NOW.date() - timedelta(days=7)),
        list_title=f"Awesome{HOSTILE}",
        sections=[DigestSection(f"Sparse{HOSTILE}", f"\U0001f9e9{HOSTILE}", [item])],
        pending_count=1,
        pending_top=[pending],
        stats=DigestStats(1, 1, 1, 0, 0, 1),
        second_tier=[pending],
    )
    templates = resources.templates_dir()
    names = ("digest.md.j2", "email.txt.j2", "email.html.j2")
    markdown, text, html = (render(digest, templates, name) for name in names)
    for out in (markdown, text, html):
        assert not {"\u202e", "\u2066", "\x1b", "\x85"} & set(out), out
        assert "gnp.exe" in out
    assert "\\<b\\>Steering\\</b\\> \\[VLMs\\]" in markdown  # still inert Markdown
    assert "&lt;b&gt;Steering&lt;/b&gt; [VLMs]" in html and "&amp; co" in html  # still escaped HTML
    assert "<b>Steering</b> [VLMs]" in text  # the plain part, plain


def test_a_name_or_title_joined_by_an_invisible_format_character_is_not_split_in_two() -> None:
    """The digest's one-line rule put a space for every character str.isprintable() refuses, the joining ones too: a
    Persian author's 'علی‌رضا' (U+200C, the zero-width non-joiner inside one name) read 'علی رضا', a title's soft
    hyphen 'Trans­formers' read 'Trans formers', an emoji 👩‍🔬 (joined by U+200D) became two, where the list and the
    feeds show them as written. Expected: the digest keeps them; controls and bidi overrides are still blanked."""
    from digest.weekly.issue import AddedPaper, DigestStats

    title, author = "👩\u200d🔬 Trans\u00adformers Explain Themselves\u202e\x1b", "علی\u200cرضا تهرانی"
    paper = AddedPaper("Probing", title, [author], "We probe.", "2505.16146", None, None, NOW)
    digest = last_weeks_digest(
        added=[paper], section_order=["Probing"], stats=DigestStats(1, 1, 0, 0, 0, 1), edition="readers"
    )
    for out in all_parts(digest):
        assert "👩\u200d🔬 Trans\u00adformers Explain Themselves" in out, out
        assert author in out
        assert not {"\u202e", "\x1b"} & set(out)


def test_a_suggested_section_that_draws_nothing_is_not_offered_by_name() -> None:
    """A list heading of characters that draw nothing (U+3000, U+2800) can be a candidate's suggested section. The
    maintainers' edition offered 'Approve into None' (a heading of white space, read as no name) or 'Approve into ⠀'
    and 'suggested for ⠀'; the link, which approves into that heading, now reads 'Approve into the suggested section',
    as Discord's legend does, and no empty 'suggested for' is shown."""
    from digest import resources
    from digest.weekly.issue import DigestStats, PendingPaper, build_digest, week_of_day
    from digest.weekly.rendering import render

    def paper(arxiv_id: str, section: str) -> PendingPaper:
        return PendingPaper("Steering VLMs", arxiv_id, 0.5, section, (), f"https://digest.example/approve/{arxiv_id}")

    digest = build_digest(
        week_of_day(NOW.date() - timedelta(days=7)),
        list_title="Awesome",
        added=[],
        section_order=[],
        heading_emojis={},
        pending_count=1,
        pending=[PendingPaper("Probing VLMs", "2504.11695", 0.9, "\u2800")],
        stats=DigestStats(1, 0, 2, 0, 0, 1),
        second_tier=[paper("2505.16146", "\u3000"), paper("2505.16147", "\u2800\u200b")],
    )
    templates = resources.templates_dir()
    for name in ("digest.md.j2", "email.txt.j2", "email.html.j2"):
        out = render(digest, templates, name)
        assert "None" not in out and "\u2800" not in out, (name, out)
        assert out.count("Approve into the suggested section") == 2, (name, out)


def test_a_paper_without_an_arxiv_id_is_linked_in_the_plain_text_part_too() -> None:
    """A paper that joined the list by a maintainer's edit with a link of its own (a conference's page, OpenReview)
    and no arXiv ID: the HTML part and the Markdown link its title, but the plain-text part showed only arXiv and
    code links, so its readers (and clients that show the text part) had no way to reach the paper."""
    from digest import resources
    from digest.weekly.issue import AddedPaper, DigestStats, build_digest, week_of_day
    from digest.weekly.rendering import render

    link = "https://openreview.net/forum?id=Xy7Zq2"
    paper = AddedPaper("Probing", "Probing Multimodal Heads", ["Ann Lee"], "We probe heads.", None, link, None, SEEN)
    arxiv = AddedPaper(
        "Probing", "Steering VLMs", ["Bo Li"], "We steer.", "2505.16146", "https://arxiv.org/abs/2505.16146", None, SEEN
    )
    digest = build_digest(
        week_of_day(NOW.date() - timedelta(days=7)),
        list_title="Awesome",
        added=[paper, arxiv],
        section_order=["Probing"],
        heading_emojis={},
        pending_count=0,
        pending=[],
        stats=DigestStats(2, 2, 0, 0, 0, 2),
        edition="readers",
    )
    text = render(digest, resources.templates_dir(), "email.txt.j2")
    item = text[text.index("* Probing Multimodal Heads") : text.index("* Steering VLMs")]
    assert link in item, item
    assert text.count("https://arxiv.org/abs/2505.16146") == 1, text  # an arXiv paper's link is not shown twice


def test_a_list_of_one_entry_is_not_said_to_be_in_1_entries() -> None:
    """A new list holding one paper: the week in numbers read 'Papers in the list: 1 (in 1 entries: ...)' in the
    Markdown and both parts of the email. One paper in one entry says no entries at all (as any list whose papers
    each sit in one section: tests/test_list_counts_without_repeats.py); in two, 'entries'."""
    from digest.weekly.issue import DigestStats

    for entries, said in ((1, None), (2, "in 2 entries:")):
        for out in all_parts(last_weeks_digest(stats=DigestStats(1, 0, 0, 0, 0, entries))):
            numbers = out.split("Papers in the list")[1].split("Added this week")[0]
            assert (said in numbers) if said else ("entr" not in numbers), out


def test_a_section_whose_heading_draws_nothing_is_named_so_in_the_digest() -> None:
    """A paper approved into a section headed only with characters that draw nothing (a Braille blank, a Hangul
    filler: the list allows them, Discord names such a section 'a section whose heading shows nothing'): the digest
    gave its papers an empty heading, '## ⠀' in the Markdown and '== ⠀ ==' in the email, under which readers saw them
    as if they belonged to the section above. Expected: the heading says what Discord says."""
    from digest.text import BLANK_SECTION
    from digest.weekly.issue import AddedPaper, DigestStats

    blank = "\u2800\u3164"
    papers = [
        AddedPaper("Probing", "Probing VLMs", ["Ann Lee"], "We probe.", "2505.16146", None, None, SEEN),
        AddedPaper(blank, "Steering VLMs", ["Bo Li"], "We steer.", "2505.16147", None, None, SEEN),
    ]
    digest = last_weeks_digest(
        added=papers, section_order=["Probing", blank], stats=DigestStats(2, 2, 0, 0, 0, 2), edition="readers"
    )
    markdown, text, html = all_parts(digest)
    assert f"## {BLANK_SECTION}\n" in markdown, markdown
    assert f"== {BLANK_SECTION} ==" in text, text
    assert f"{BLANK_SECTION}</h2>" in html, html
    for out in (markdown, text, html):
        assert blank not in out


def test_one_candidate_waiting_is_not_called_them_in_the_maintainers_email(tmp_path: Path) -> None:
    """One candidate waiting: the maintainers' email read '1 candidate is waiting for a maintainer. Decide them on the
    review page'. It reads 'Decide it'; two are still 'them'."""
    from digest import resources
    from digest.weekly.fitting import fitted_email
    from digest.weekly.issue import DigestStats, PendingPaper

    for count, said in ((1, "Decide it on the review page"), (2, "Decide them on the review page")):
        digest = last_weeks_digest(
            pending_count=count,
            pending=[PendingPaper("Steering VLMs", "2505.16146", 0.9, "Steering")],
            stats=DigestStats(1, 0, count, 0, 0, 1),
        )
        _, text, html = all_parts(fitted_email(digest, resources.templates_dir(), None, "https://digest.example.org"))
        for out in (text, html):
            assert said in out, out


def test_the_maintainers_copy_without_an_smtp_host_does_not_say_their_recipients_are_empty(tmp_path: Path) -> None:
    """[smtp] maintainer_recipients set and [smtp] host not (yet) set: the maintainers' copy in the weekly folder said
    no maintainers' email is sent because '[smtp] maintainer_recipients is empty', which it is not, so a maintainer
    checked the wrong setting. Expected: the copy names what is missing, the host."""
    config = 'timezone = "Europe/Berlin"\n\n[smtp]\nmaintainer_recipients = ["team@example.org"]\n'
    settings = make_settings(tmp_path / "data", config)
    database = open_service_database(settings)
    try:
        record = real_papers()[0]
        seen = {"first_seen_at": SEEN, "updated_at": SEEN, "suggested_section": "Sparse Autoencoder"}
        insert_candidate(database, record, score=0.5, relevant=False, **seen)
        result = run_weekly_job(settings, database, NOW)
    finally:
        database.dispose()
    kept = result.markdown_paths["maintainers"].read_text(encoding="utf-8")
    assert record["arxiv_id"] in kept and "/approve/" not in kept
    assert "maintainer\\_recipients is empty" not in kept, kept
    assert "[smtp] host" in kept, kept


def test_a_template_of_ones_own_that_raises_a_python_error_stops_neither_the_week_nor_the_email(
    tmp_path: Path,
) -> None:
    """A weekly template of one's own that parses but calls a method wrongly ({{ digest.week.monday.strftime() }}:
    Python's TypeError, which jinja2 does not wrap in a TemplateError) made the weekly job raise out of writing the
    Markdown: no email went to anyone and the log held a traceback. Expected: as for a name the digest lacks, the
    Markdown is not written and the email still goes; the same error in an email template is the edition's failure,
    recorded in one line and retried."""
    failing_templates_week(
        tmp_path, "# {{ digest.week.monday.strftime() }}\n", "{{ digest.week.monday.strftime() }}\n", "strftime"
    )
