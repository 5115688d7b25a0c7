"""Candidates: papers found on arXiv, deduped against the list and every candidate ever seen, then stored.

A candidate row is never deleted, so it is the dedupe memory: a rejected paper never comes back, and a new
version (`replace`, `replace-cross`) of a known paper brings its text to the row; a pending one is judged again on it.
A verdict brought in by `digest decisions import` is an earlier decision too: a reject is known, an approve offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from digest.arxiv.entries import own_date
from digest.relevance.training_store import earlier_verdicts
from digest.relevance.types import PaperText, Tier
from digest.storage.models import PENDING, Candidate, Decision
from digest.text import code_url_in
from digest.titles import title_key
from digest.vocab import READER_SOURCE

if TYPE_CHECKING:  # `digest candidates` lists rows; the poller, which stores them, has these imported already
    from digest.arxiv.parse import ArxivPaper
    from digest.relevance.types import Judgement
    from digest.relevance.why import EarlierVerdict

_IN_CHUNK = 500  # stay under every database's bound-parameter limit


@dataclass
class ListKeys:
    """What the list already holds: arXiv IDs, and normalised titles of entries without an arXiv ID."""

    arxiv_ids: set[str]
    title_keys: set[str]


@dataclass
class StoreCounts:
    entries: int = 0
    matched: int = 0  # judged for review: already_known + new_candidates
    already_known: int = 0  # matched papers a candidate or the list already holds
    new_candidates: int = 0
    updated: int = 0  # known candidates a new version (replacement) brought new text to
    second_tier: int = 0  # new papers just under the review threshold, kept for the weekly digest only
    second_tier_known: int = 0  # papers just under the review threshold a candidate or the list already holds
    new_ids: list[str] = field(default_factory=list)
    new_candidate_ids: list[int] = field(default_factory=list)  # their candidates' IDs, in the same order


def list_keys(session: Session) -> ListKeys:
    """What the poll does not suggest: the list's papers, and any other paper its text links."""
    from digest.awesome.store import known_keys, linked_ids

    known = known_keys(session)
    return ListKeys(set(known.arxiv_ids) | linked_ids(session), set(known.title_keys))


def known_candidates(session: Session, arxiv_ids: Iterable[str]) -> dict[str, Candidate]:
    wanted = sorted(set(arxiv_ids))
    found: dict[str, Candidate] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        for candidate in session.scalars(select(Candidate).where(Candidate.arxiv_id.in_(chunk))):
            found[candidate.arxiv_id] = candidate
    return found


def code_url(paper: ArxivPaper) -> str | None:
    """The repository the paper names, in its comments ("Code: ...") before its abstract."""
    return code_url_in(paper.comments, paper.abstract)


def paper_text(paper: ArxivPaper) -> PaperText:
    return PaperText(paper.title, paper.abstract, tuple(paper.categories))


def new_candidate(paper: ArxivPaper, judgement: Judgement, source: str, now: datetime) -> Candidate:
    return Candidate(
        arxiv_id=paper.arxiv_id,
        version=paper.version or 1,
        title=paper.title,
        title_key=title_key(paper.title),
        authors=list(paper.authors),
        abstract=paper.abstract,
        categories=list(paper.categories),
        announce_type=paper.announce_type,
        published=paper.published,
        updated=paper.updated,
        doi=paper.doi,
        journal_ref=paper.journal_ref,
        comments=paper.comments,
        code_url=code_url(paper),
        relevant=judgement.relevant,
        below_tiers=below_tiers(judgement),
        score=judgement.score,
        matched=list(judgement.matched),
        suggested_section=judgement.section,
        suggested_sections=list(judgement.sections),
        why=judgement.why.to_json(),
        source_feeds=[source],
        status=PENDING,
        first_seen_at=now,
        updated_at=now,
    )


def _refresh_known(candidate: Candidate, paper: ArxivPaper, judgement: Judgement, source: str, now: datetime) -> bool:
    """A known paper seen again: remember the feed; a newer version brings its text, and a pending candidate is
    judged again on it. What a maintainer decided (status, section, who, when) and a reader's note stay.
    Returns whether the version changed."""
    changed = False
    newer = False
    if source not in candidate.source_feeds:
        candidate.source_feeds = [*candidate.source_feeds, source]
        changed = True
    if _announced_day(candidate, paper):
        candidate.published = paper.published
        changed = True
    if paper.version is not None and paper.version > candidate.version:
        _take_version(candidate, paper)
        if candidate.status == PENDING:
            _judge_again(candidate, judgement, withdrawn=paper.withdrawn)
        changed = newer = True
    if changed:
        candidate.updated_at = now
    return newer


def _announced_day(candidate: Candidate, paper: ArxivPaper) -> bool:
    """Whether `paper` (its new announcement, or the API's first-version date) dates a candidate kept with only its
    ID's month: first seen as a cross-list or replacement, which tell no more (entries.own_date)."""
    if paper.announce_type not in (None, "new") or paper.published is None or candidate.published == paper.published:
        return False
    return candidate.published is None or candidate.published == own_date(candidate.arxiv_id, "cross", None)


def _take_version(candidate: Candidate, paper: ArxivPaper) -> None:
    """The new version's text, and what the feed says of it; a field the feed leaves out (RSS gives no DOI,
    journal reference or comments) keeps what an earlier answer gave."""
    candidate.version = paper.version or candidate.version
    candidate.title = paper.title
    candidate.title_key = title_key(paper.title)
    candidate.authors = list(paper.authors) or candidate.authors
    candidate.abstract = paper.abstract
    candidate.categories = list(paper.categories) or candidate.categories
    candidate.updated = paper.updated or candidate.updated
    candidate.doi = paper.doi or candidate.doi
    candidate.journal_ref = paper.journal_ref or candidate.journal_ref
    candidate.comments = paper.comments or candidate.comments
    candidate.code_url = code_url(paper) or candidate.code_url


def _judge_again(candidate: Candidate, judgement: Judgement, *, withdrawn: bool) -> None:
    """The model's view of the new text. A paper a reader put in the review queue stays there, unless withdrawn."""
    suggested = candidate.reader_note is not None or READER_SOURCE in candidate.source_feeds
    candidate.relevant = judgement.relevant or (suggested and not withdrawn)
    candidate.below_tiers = below_tiers(judgement)
    candidate.score = judgement.score
    candidate.matched = list(judgement.matched)
    if candidate.discord_message_id is None:
        # A posted message says "✅ approve into <section>", and a ✅ (even one given while the bot was down, replayed
        # later) approves into the suggested section: once shown there, the suggestion stays what was shown.
        candidate.suggested_section = judgement.section or candidate.suggested_section
        candidate.suggested_sections = list(judgement.sections) or candidate.suggested_sections
    candidate.why = judgement.why.to_json()


def below_tiers(judgement: Judgement) -> bool:
    """Neither for review nor for the weekly digest's second tier."""
    return not judgement.relevant and judgement.tier is None


def judged_as_published(paper: ArxivPaper, judgement: Judgement) -> Judgement:
    """The judgement of what arXiv announced: a withdrawn version is for nobody's review, whatever its title says."""
    if paper.withdrawn:
        return replace(judgement, relevant=False, tier=None, score=0.0)
    return judgement


def with_earlier_verdict(judgement: Judgement, earlier: EarlierVerdict | None, *, withdrawn: bool) -> Judgement:
    """The judgement with an imported verdict said on it. A paper approved earlier that the list does not hold is
    offered for review whatever its score (unless withdrawn): the import does not change the list, a maintainer does.
    The section that verdict named is suggested when the model suggests none, so approving it needs no section again."""
    if earlier is None:
        return judgement
    why = replace(judgement.why, earlier=earlier)
    if not earlier.approved or withdrawn:
        return replace(judgement, why=why)
    section = judgement.section or earlier.section
    sections = judgement.sections or ([earlier.section] if earlier.section else [])
    tier = judgement.tier if judgement.relevant else Tier.REVIEW
    return replace(judgement, relevant=True, tier=tier, why=why, section=section, sections=sections)


def store_papers(
    session: Session,
    papers: Sequence[ArxivPaper],
    judgements: Sequence[Judgement],
    *,
    source: str,
    now: datetime,
    keys: ListKeys,
) -> StoreCounts:
    """Dedupes one feed's papers and adds the relevant new ones as pending candidates (caller commits)."""
    counts = StoreCounts(entries=len(papers))
    known = known_candidates(session, (paper.arxiv_id for paper in papers))
    earlier = earlier_verdicts(session, (paper.arxiv_id for paper in papers))
    for paper, model_judgement in zip(papers, judgements, strict=True):
        judgement = judged_as_published(paper, model_judgement)
        if judgement.relevant:
            counts.matched += 1
        judgement = with_earlier_verdict(judgement, earlier.get(paper.arxiv_id), withdrawn=paper.withdrawn)
        candidate = known.get(paper.arxiv_id)
        # Only entries without an arXiv ID give title keys (most lists have none): then no title needs its key.
        listed = paper.arxiv_id in keys.arxiv_ids or (
            bool(keys.title_keys) and title_key(paper.title) in keys.title_keys
        )
        # A paper rejected earlier (an imported verdict) is not offered again, as one rejected in review is not.
        rejected_earlier = judgement.why.earlier is not None and not judgement.why.earlier.approved
        if candidate is not None or listed or rejected_earlier:
            # Counted apart by tier, so a known second-tier paper does not make "already known" outnumber "matched"
            if judgement.relevant:
                counts.already_known += 1
            elif not below_tiers(judgement):
                counts.second_tier_known += 1
            if candidate is not None and _refresh_known(candidate, paper, judgement, source, now):
                counts.updated += 1
            continue
        if below_tiers(judgement):
            continue  # neither for review nor for the weekly digest's second tier
        candidate = new_candidate(paper, judgement, source, now)
        session.add(candidate)
        known[paper.arxiv_id] = candidate  # the same paper twice in one feed counts once
        if judgement.relevant:
            counts.new_candidates += 1
            counts.new_ids.append(paper.arxiv_id)
        else:
            counts.second_tier += 1
    session.flush()  # the new candidates' IDs, for scripts to join with `digest candidates` (`poll --json`)
    counts.new_candidate_ids = [known[arxiv_id].id for arxiv_id in counts.new_ids]
    return counts


# A second-tier paper reaches maintainers once, in its week's weekly digest ("worth a look"). Kept this long after it
# was first seen (a late weekly run, /suggest promoting it, a look at the week's candidates), then forgotten: such
# papers are most of what the polls keep, and every question about pending candidates read through them.
SECOND_TIER_KEPT = timedelta(weeks=8)


def forget_old_second_tier(session: Session, now: datetime) -> int:
    """Deletes second-tier candidates (and pending ones a new version put below both tiers) first seen more than
    SECOND_TIER_KEPT ago that nobody ever touched (never decided, posted, or suggested by a reader); returns how many.
    A paper that comes back is judged afresh."""
    touched = select(Decision.candidate_id)
    query = delete(Candidate).where(
        Candidate.status == PENDING,
        Candidate.relevant.is_(False),
        Candidate.first_seen_at < now - SECOND_TIER_KEPT,
        Candidate.discord_state == "unposted",
        Candidate.reader_note.is_(None),
        Candidate.id.not_in(touched),
    )
    result = session.execute(query.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
