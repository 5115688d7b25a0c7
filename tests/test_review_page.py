"""The /review page for a quick day of reviewing, through the real app on loopback: one-click suggested sections,
the folded abstract with its matched terms highlighted (and escaped), undo, filters, "reject all shown", the
subscribe link and sign-out; and the list page's search, "new this week" markers and counts."""

from __future__ import annotations

import re
from datetime import timedelta
from html import escape, unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from digest.review.rules import Actor
from digest.storage.models import Decision, Entry
from digest.web.highlighting import highlight
from tests.conftest import make_settings
from tests.factories import decision_actions, insert_candidate, real_papers
from tests.postgres_server import each_database, postgres_server, postgres_url  # noqa: F401  (fixtures)
from tests.web_pages import card, post, review
from tests.web_server import SECRETS_ENV, Site, approval_links, running_site, sign_in

FOUR = ["Steering", "Sparse Autoencoder", "Probing", "Attention"]


def test_highlight_escapes_the_text_and_the_terms_and_never_matches_inside_an_escape() -> None:
    text = "Sparse autoencoders & <b>SAE</b> features; amp up the <script>x</script>"
    marked = str(highlight(text, ["sparse autoencoder", "<b>SAE</b>", "amp", "script"]))
    assert marked.startswith("<mark>Sparse autoencoder</mark>s &amp; <mark>&lt;b&gt;SAE&lt;/b&gt;</mark>")
    assert "<mark>amp</mark> up" in marked and "&amp;" in marked and "&<mark>amp" not in marked
    assert "<script>" not in marked and "&lt;<mark>script</mark>&gt;" in marked
    assert re.sub(r"</?mark>", "", marked) == str(highlight(text, []))


@pytest.mark.asyncio
async def test_the_top_three_suggestions_approve_in_one_click_and_the_full_list_is_there(site: Site) -> None:
    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper, suggested_sections=FOUR, suggested_section="Steering")
    _, csrf = await sign_in(site)
    page = card(await review(site), candidate_id)
    quick = re.findall(r'name="section" value="([^"]+)" class="approve quick"', page)
    assert quick == FOUR[:3]
    full = re.findall(r'<option value="([^"]+)"', page)
    assert len(full) > 3 and "Attention" in full and "Causal Tracing" in full
    form = {"csrf": csrf, "candidate_id": str(candidate_id), "action": "approve", "section": "Probing"}
    page = await post(site, form)
    assert "approved into Probing" in page
    with site.database.reading() as session:
        assert session.execute(select(Decision.section, Decision.channel)).one() == ("Probing", "web")


@pytest.mark.asyncio
async def test_the_abstract_is_folded_with_its_matched_terms_marked_and_feed_text_escaped(site: Site) -> None:
    paper = real_papers()[1]
    abstract = "We steer <b>CLIP</b> with sparse autoencoders. See https://example.org/" + "x" * 300 + " for code."
    candidate_id = insert_candidate(
        site.database,
        paper,
        abstract=abstract,
        matched=["sparse autoencoder", "<b>CLIP</b>"],
        why={"terms": ["steer"], "parts": [["keyword rules", 1.2]], "nearest": []},
    )
    await sign_in(site)
    page = card(await review(site), candidate_id)
    folded = page[page.index('<details class="abstract">') : page.index("</details>")]
    assert " open" not in folded.split(">", 1)[0]
    assert "<mark>sparse autoencoder</mark>s" in folded
    assert "<mark>&lt;b&gt;CLIP&lt;/b&gt;</mark>" in folded and "<b>" not in folded
    assert "<mark>steer</mark>" in folded  # a term from why the model flagged it
    assert "matched: sparse autoencoder, &lt;b&gt;CLIP&lt;/b&gt;, steer" in page  # each term marked, listed
    assert "keyword rules +1.20" in page


@pytest.mark.asyncio
async def test_undo_returns_ones_own_recent_decision_to_pending_and_nothing_else(site: Site) -> None:
    first, second, third = (insert_candidate(site.database, paper) for paper in real_papers()[:3])
    _, csrf = await sign_in(site)
    page = await post(site, {"csrf": csrf, "candidate_id": str(first), "action": "approve", "section": "Probing"})
    assert 'id="undo"' in page and 'value="undo"' in page
    # The button says until when (a page left open must not keep promising "5 minutes" after they are over).
    deadline = site.clock.now + timedelta(minutes=5)
    assert f'until <time datetime="{deadline:%Y-%m-%dT%H:%MZ}">{deadline:%H:%M} UTC</time>' in page
    page = await post(site, {"csrf": csrf, "candidate_id": str(first), "action": "undo"})
    assert f"candidate {first} is pending again" in page
    assert site.status_of(first) == "pending"
    async with site.client.get("/list.md") as listing:
        assert real_papers()[0]["arxiv_id"] not in await listing.text()
    assert decision_actions(site.database) == ["approve", "revert"]

    # Too late: after the window the decision stands, and the page says how to change it on purpose.
    await post(site, {"csrf": csrf, "candidate_id": str(second), "action": "reject"})
    site.clock.advance(timedelta(minutes=6))
    assert 'id="undo"' not in await review(site, decided=str(second))
    # Refused, back on the queue (not a dead end) with a notice that says so.
    refused = await post(site, {"csrf": csrf, "candidate_id": str(second), "action": "undo"})
    # The command as the service runs (its settings file, data folder, database), not a bare `digest` that run
    # elsewhere acts on another folder's database.
    assert "Not undone:" in refused and f"<code>{escape(site.reviewer.digest)} pending {second}</code>" in refused
    assert 'id="undo"' not in refused and site.status_of(second) == "rejected"

    # Not one's own: another maintainer's session cannot undo it, nor can anyone once someone else decided.
    await post(site, {"csrf": csrf, "candidate_id": str(third), "action": "reject"})
    async with site.fresh_client() as other:
        _, other_csrf = await sign_in(site, other)
        form = {"csrf": other_csrf, "candidate_id": str(third), "action": "undo"}
        async with other.post("/review/decide", data=form) as reply:
            assert reply.status == 200 and "Not undone:" in await reply.text()
    assert site.status_of(third) == "rejected"
    site.reviewer.decide(third, "approve", Actor("ann", "1", "discord"), "Steering")
    refused = await post(site, {"csrf": csrf, "candidate_id": str(third), "action": "undo"})
    assert "Not undone:" in refused and "is approved into Steering by ann via discord" in refused
    assert site.status_of(third) == "approved"
    form = {"candidate_id": str(third), "action": "undo"}
    async with site.fresh_client() as stranger, stranger.post("/review/decide", data=form) as reply:
        assert reply.status == 403


@pytest.mark.asyncio
async def test_search_and_filters_are_get_parameters_and_bad_ones_are_400(site: Site) -> None:
    papers = real_papers()
    ids = [
        insert_candidate(site.database, papers[0], score=1.8, authors=["Ada Lovelace"]),
        insert_candidate(site.database, papers[1], score=1.2, authors=["Alan Turing"], suggested_sections=["Probing"]),
        insert_candidate(site.database, papers[2], score=0.7, authors=["Grace Hopper"]),
    ]
    await sign_in(site)

    def shown(page: str) -> list[int]:
        return [int(found) for found in re.findall(r'<article class="candidate" id="candidate-(\d+)"', page)]

    assert shown(await review(site)) == ids
    assert shown(await review(site, title="clip")) == [ids[1]]
    assert shown(await review(site, author="hopper")) == [ids[2]]
    assert shown(await review(site, section="probing")) == [ids[1]]
    assert shown(await review(site, min="1", max="1.5")) == [ids[1]]
    assert shown(await review(site, min="1")) == ids[:2]
    site.reviewer.decide(ids[0], "reject", Actor("ann", "1", "discord"))
    assert shown(await review(site)) == ids[1:]
    assert shown(await review(site, status="rejected")) == [ids[0]]
    page = await review(site, status="all", author="a")
    assert shown(page) == ids and "rejected by ann" in page
    for bad in ({"min": "abc"}, {"max": "nan"}, {"min": "1e999"}, {"status": "maybe"}, {"title": "x" * 201}):
        async with site.client.get("/review", params=bad) as reply:
            assert reply.status == 400, bad
            assert "?" + next(iter(bad)) + "=" in unescape(await reply.text())


@pytest.mark.asyncio
async def test_a_search_holding_control_characters_finds_the_words_on_every_database(
    tmp_path: Path,
    each_database: dict[str, str],  # noqa: F811
) -> None:
    """A NUL pasted into the title field: PostgreSQL refuses NUL in text ('cannot contain NUL (0x00) bytes'), and the
    page was a 500; the search now reads the words around it, as the other fields and SQLite do."""
    settings = make_settings(tmp_path / "data", environ={**SECRETS_ENV, **each_database})
    async with running_site(settings) as site:
        papers = real_papers()
        first = insert_candidate(site.database, papers[0])
        clip = insert_candidate(site.database, papers[1])
        await sign_in(site)
        for title in ("clip\x00", "\x00clip", "clip\x1b"):
            page = await review(site, title=title)
            assert f'id="candidate-{clip}"' in page and f'id="candidate-{first}"' not in page, title
            assert "\x00" not in page and "\x1b" not in page


@pytest.mark.asyncio
async def test_all_lists_the_decisions_first_then_the_queue_on_every_database(
    tmp_path: Path,
    each_database: dict[str, str],  # noqa: F811
) -> None:
    """?status=all lists the decided papers first, newest decision first, then the queue by score. PostgreSQL sorts a
    missing decision time first where SQLite sorts it last, so there the queue came first and the decisions after it
    (and, beyond the papers a page reads, not at all)."""
    settings = make_settings(tmp_path / "data", environ={**SECRETS_ENV, **each_database})
    async with running_site(settings) as site:
        papers = real_papers()
        low, high, rejected = (insert_candidate(site.database, papers[n], score=0.5 + n) for n in range(3))
        site.reviewer.decide(rejected, "reject", Actor("ann", "1", "discord"))
        await sign_in(site)
        page = await review(site, status="all")
        shown = [int(found) for found in re.findall(r'<article class="candidate" id="candidate-(\d+)"', page)]
        assert shown == [rejected, high, low]


@pytest.mark.asyncio
async def test_reject_all_shown_asks_first_and_rejects_only_what_was_shown(site: Site) -> None:
    papers = real_papers()
    kept = insert_candidate(site.database, papers[0], score=1.9)
    batch = [insert_candidate(site.database, paper, score=0.6) for paper in papers[1:4]]
    _, csrf = await sign_in(site)
    page = await review(site, max="1")
    shown = ",".join(map(str, batch))
    assert f'name="ids" value="{shown}"' in page and "Reject all 3 shown" in page
    form = {"csrf": csrf, "action": "reject-shown", "ids": shown, "filters": "max=1"}
    confirm = await post(site, form)
    assert "Reject these 3 candidates?" in confirm and 'name="confirm" value="yes"' in confirm
    assert all(site.status_of(candidate) == "pending" for candidate in [kept, *batch])  # asking changed nothing
    async with site.client.post("/review/decide", data={**form, "confirm": "yes", "csrf": "forged"}) as reply:
        assert reply.status == 403
    site.reviewer.decide(batch[0], "approve", Actor("ann", "1", "discord"), "Probing")  # decided meanwhile
    done = await post(site, {**form, "confirm": "yes"})
    assert "Rejected 2 candidates; 1 skipped" in done
    assert [site.status_of(candidate) for candidate in [kept, *batch]] == ["pending", "approved", *["rejected"] * 2]
    # Back to the confirmation and "Yes" again: the same two, rejected by this maintainer, not "decided elsewhere".
    again = await post(site, {**form, "confirm": "yes"})
    assert "Rejected 2 candidates; 1 skipped" in again
    with site.database.reading() as session:
        assert session.scalar(select(func.count(Decision.id)).where(Decision.action == "reject")) == 2
    for odd in ("", "1,x", ",".join(["1"] * 201)):
        await post(site, {**form, "ids": odd, "confirm": "yes"}, status=400)


@pytest.mark.asyncio
async def test_subscribe_and_sign_out_sit_at_the_top_and_only_the_review_page_runs_a_script(site: Site) -> None:
    await sign_in(site)
    async with site.client.get("/review") as reply:
        page = await reply.text()
        assert "script-src 'self'" in reply.headers["Content-Security-Policy"]
    top = page[: page.index("<h1>")]
    assert ">Sign out</button>" in top
    feed = re.search(r'href="(http[^"]+/feeds/candidates\.xml\?token=[^"]+)"', top)
    assert feed is not None and "Subscribe" in top
    async with site.client.get(unescape(feed.group(1)).replace(site.settings.web.base_url.rstrip("/"), "")) as reply:
        assert reply.status == 200 and "<rss" in await reply.text()
    assert (
        "j</kbd>/<kbd>k</kbd> next/previous" in page and "without JavaScript" not in page
    )  # said to those who have it
    async with site.client.get("/review/shortcuts.js") as reply:
        assert reply.status == 200 and reply.content_type == "text/javascript"
        assert reply.headers["Cache-Control"] == "no-store" and 'event.key === "j"' in await reply.text()
    async with site.client.get("/") as reply:
        assert "script-src" not in reply.headers["Content-Security-Policy"]
    async with site.fresh_client() as stranger, stranger.get("/review") as reply:
        assert SECRETS_ENV["DIGEST_FEED_TOKEN"] not in await reply.text()


@pytest.mark.asyncio
async def test_the_list_page_searches_marks_new_papers_and_counts_papers_and_entries_alike(site: Site) -> None:
    with site.database.reading() as session:
        papers = session.scalar(select(func.count(func.distinct(Entry.paper_id))))
        entries = session.scalar(select(func.count(Entry.id)))
    assert papers is not None and entries is not None and papers < entries
    async with site.client.get("/") as reply:
        page = await reply.text()
    assert f"{papers} papers in {entries} entries" in page
    nav = page[page.index('aria-label="Sections"') : page.index("</nav>", page.index('aria-label="Sections"'))]
    assert sum(int(n) for n in re.findall(r'<span class="meta">(\d+) entr', nav)) == entries
    assert "new this week" not in page  # the first import says nothing about when papers came

    paper = real_papers()[0]
    candidate_id = insert_candidate(site.database, paper)
    site.reviewer.decide(candidate_id, "approve", Actor("ann", "1", "discord"), "Probing")
    async with site.client.get("/", params={"q": "  hallucination   MITIGATION "}) as reply:
        page = await reply.text()
    found = re.findall(r"<li>.*?</li>", page, re.S)
    assert any(paper["title"] in item and "new this week" in item for item in found)
    assert f"of {papers + 1} papers" in page and f"of {entries + 1} entries) match" in page
    assert all("hallucination" in unescape(item).lower() for item in found if "arxiv.org/abs" in item)
    async with site.client.get("/", params={"q": "no such words anywhere"}) as reply:
        assert "Nothing in the list matches" in await reply.text()
    site.clock.advance(timedelta(days=8))
    async with site.client.get("/", params={"q": paper["arxiv_id"]}) as reply:
        page = await reply.text()
    assert paper["title"] in page and "new this week" not in page
    async with site.client.get("/", params={"q": "x" * 201}) as reply:
        assert reply.status == 400


@pytest.mark.asyncio
async def test_the_list_page_finds_a_phrase_typed_in_quotes(site: Site) -> None:
    """A reader searching the list for "sparse autoencoders" in quotes, as search boxes take a phrase, was told
    "Nothing in the list matches" while the same words without quotes found nine papers: the quotes were searched
    for as characters of the words. A phrase in straight or curly quotes now finds the papers holding it as written,
    a stray quote is no part of a word, and words out of the phrase's order are not the phrase."""
    paper = real_papers()[0]
    site.reviewer.decide(insert_candidate(site.database, paper), "approve", Actor("ann", "1", "discord"), "Probing")
    words = paper["title"].split()[:2]
    phrase = " ".join(words)

    async def shown(query: str) -> list[str]:
        async with site.client.get("/", params={"q": query}) as reply:
            assert reply.status == 200, query
            page = await reply.text()
        return [unescape(item) for item in re.findall(r"<li>.*?</li>", page, re.S) if "arxiv.org/abs" in item]

    unquoted = await shown(phrase)
    assert any(paper["title"] in item for item in unquoted), phrase
    for query in (f'"{phrase}"', f"\u201c{phrase}\u201d"):
        found = await shown(query)
        assert any(paper["title"] in item for item in found), query
        assert all(phrase.casefold() in " ".join(item.split()).casefold() for item in found), query
    for query in (f'"{words[0]} {words[1]}', f'{words[0]}" {words[1]}"'):
        assert any(paper["title"] in item for item in await shown(query)), query
    reversed_phrase = await shown(f'"{words[1]} {words[0]}"')
    assert all(paper["title"] not in item for item in reversed_phrase), reversed_phrase


@pytest.mark.asyncio
async def test_a_title_is_found_among_more_decisions_than_one_page_reads(site: Site) -> None:
    """After months of decisions the page read the newest thousand candidates of a status and filtered those: the
    oldest rejected paper could no longer be found by its title."""
    from datetime import UTC, datetime

    from digest.storage.models import Candidate
    from digest.titles import title_key
    from digest.web.review_queue import SCANNED

    oldest = insert_candidate(
        site.database, real_papers()[0], status="rejected", decided_at=datetime(2025, 1, 2, tzinfo=UTC)
    )
    with site.database.transaction() as session:
        for number in range(SCANNED + 20):
            title = f"A later rejected paper on steering number {number}"
            session.add(
                Candidate(
                    arxiv_id=f"2601.{number:05d}", version=1, title=title, title_key=title_key(title), authors=[],
                    abstract="", categories=["cs.CV"], announce_type="new", published=datetime(2026, 1, 5, tzinfo=UTC),
                    score=0.5, matched=[], suggested_sections=[], source_feeds=[], status="rejected",
                    first_seen_at=datetime(2026, 1, 5, tzinfo=UTC), updated_at=datetime(2026, 1, 5, tzinfo=UTC),
                    decided_at=datetime(2026, 1, 6, tzinfo=UTC),
                )
            )  # fmt: skip
    await sign_in(site)
    words = real_papers()[0]["title"].split()[:4]
    page = await review(site, status="rejected", title=" ".join(words))
    assert f'id="candidate-{oldest}"' in page


@pytest.mark.asyncio
async def test_the_count_tells_the_whole_queue_beyond_what_one_page_reads(site: Site) -> None:
    """The page shows the best MAX_BATCH of the queue and reads SCANNED candidates to filter; the count is the whole
    queue's, however long."""
    from datetime import UTC, datetime

    from digest.storage.models import Candidate
    from digest.titles import title_key
    from digest.web.review_queue import SCANNED

    with site.database.transaction() as session:
        for number in range(SCANNED + 20):
            title = f"A pending paper on steering number {number}"
            session.add(
                Candidate(
                    arxiv_id=f"2601.{number:05d}", version=1, title=title, title_key=title_key(title), authors=[],
                    abstract="", categories=["cs.CV"], announce_type="new", published=datetime(2026, 1, 5, tzinfo=UTC),
                    score=0.5, matched=[], suggested_sections=[], source_feeds=[], status="pending", relevant=True,
                    first_seen_at=datetime(2026, 1, 5, tzinfo=UTC), updated_at=datetime(2026, 1, 5, tzinfo=UTC),
                )
            )  # fmt: skip
    await sign_in(site)
    assert f"{SCANNED + 20} pending; the best 200 are shown, best score first." in await review(site)


@pytest.mark.asyncio
async def test_an_author_or_section_is_found_and_counted_among_more_candidates_than_one_page_reads(
    site: Site,
) -> None:
    """With more pending than the page read (1,020), the author and section filters looked only at the best thousand:
    a low-scored paper by the author searched for was not found ('0 shown matching the filters'), and a filter
    matching every one of them said '200 shown of 1000 matching'."""
    from datetime import UTC, datetime

    from digest.storage.models import Candidate
    from digest.titles import title_key
    from digest.web.review_queue import SCANNED

    low = insert_candidate(
        site.database, real_papers()[0], score=0.1, authors=["Quentin Zyxwv"], suggested_sections=["Probing"]
    )
    with site.database.transaction() as session:
        for number in range(SCANNED + 20):
            title = f"A pending paper on steering number {number}"
            session.add(
                Candidate(
                    arxiv_id=f"2601.{number:05d}", version=1, title=title, title_key=title_key(title),
                    authors=["Ann Steer"], abstract="", categories=["cs.CV"], announce_type="new",
                    published=datetime(2026, 1, 5, tzinfo=UTC), score=0.5, matched=[],
                    suggested_sections=["Steering"], source_feeds=[], status="pending", relevant=True,
                    first_seen_at=datetime(2026, 1, 5, tzinfo=UTC), updated_at=datetime(2026, 1, 5, tzinfo=UTC),
                )
            )  # fmt: skip
    await sign_in(site)
    page = await review(site, author="zyxwv")
    assert f'id="candidate-{low}"' in page
    assert "1 shown matching the filters." in page
    page = await review(site, section="probing")
    assert f'id="candidate-{low}"' in page
    page = await review(site, author="Ann Steer")
    assert f"200 shown of {SCANNED + 20} matching the filters." in page


@pytest.mark.asyncio
async def test_a_collaboration_papers_authors_do_not_bury_its_buttons(site: Site) -> None:
    """A report with 500 authors (arXiv has them by the thousand) printed every name on its /review card and on the
    approval link's page, some 11,000 characters above the abstract and the button; the list page, the feeds and
    Discord show three and "et al.". The author filter still searches every name."""
    names = [f"Author{n:03d} Surname{n:03d}" for n in range(500)]
    candidate_id = insert_candidate(site.database, real_papers()[0], authors=names)
    shown = "Author000 Surname000, Author001 Surname001, Author002 Surname002 et al. (500 authors)"
    await sign_in(site)
    page = await review(site, author="Surname499")
    assert f'id="candidate-{candidate_id}"' in page
    assert shown in card(page, candidate_id) and names[499] not in card(page, candidate_id)
    async with site.client.get("/feeds/candidates.xml", params={"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}) as reply:
        path = approval_links(await reply.text())[0][0]
    async with site.client.get(path) as reply:
        approval = await reply.text()
    assert shown in approval and names[499] not in approval


@pytest.mark.asyncio
async def test_the_undone_notice_names_the_paper_not_only_its_internal_number(site: Site) -> None:
    """After Undo the page said 'Undone: candidate 7 is pending again.': a number shown nowhere else on the page, so
    the maintainer could not tell which paper came back (every other notice names the arXiv ID and title). Expected:
    the notice names the paper by its arXiv ID and title (escaped: it comes from a feed)."""
    paper = real_papers()[0]
    title = "Sparse <b>autoencoders</b> & CLIP"
    candidate_id = insert_candidate(site.database, paper, title=title)
    _, csrf = await sign_in(site)
    await post(site, {"csrf": csrf, "candidate_id": str(candidate_id), "action": "reject"})
    page = await post(site, {"csrf": csrf, "candidate_id": str(candidate_id), "action": "undo"})
    body = page[page.index("<body") :]  # the page's title says it too (for a screen reader), up to its own end
    notice = body[body.index("Undone:") : body.index("</p>", body.index("Undone:"))]
    assert notice == (
        f"Undone: {paper['arxiv_id']} (Sparse &lt;b&gt;autoencoders&lt;/b&gt; &amp; CLIP): candidate {candidate_id} "
        "is pending again."
    )
