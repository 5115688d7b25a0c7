"""The relevance yardstick: a replay of a maintainer's past decisions in time order.

Week by week, the week's papers are judged as a poll judges them (the thresholds fitted on the stream seen so far,
the papers stored as candidates and as stream), and only the flagged papers get a decision, through
`Reviewer.decide` like Discord and the web: a paper judged `yes` is approved into its section, every other flagged
paper is rejected. The model learns from them before the next week. Weeks from `evaluate_from` on are measured.
Used by bench/bench_relevance.py on the development decisions and by the tests on a small fixture.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import select

from digest.arxiv.candidates import list_keys, paper_text, store_papers
from digest.arxiv.parse import ArxivPaper
from digest.awesome.sectionnames import match_section
from digest.config import Settings
from digest.relevance.scoring import Judgement, PaperText
from digest.relevance.stream import ensure_thresholds, record_stream
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor
from digest.storage.db import Database
from digest.storage.models import Candidate, Section
from digest.vocab import REPLAY_SOURCE


@dataclass(frozen=True)
class ReplayPaper:
    arxiv_id: str
    title: str
    abstract: str
    published: date
    label: str | None = None  # yes | maybe | no; None: not judged (counts as no)
    section: str | None = None  # for yes: the section it belongs in


@dataclass
class ReplayReport:
    stream: int = 0
    flagged: int = 0
    labels: Counter[str] = field(default_factory=Counter)  # papers per label in the measured weeks
    found: Counter[str] = field(default_factory=Counter)  # flagged papers per label
    second_tier: Counter[str] = field(default_factory=Counter)  # second-tier papers per label
    section_right: int = 0
    section_top3: int = 0
    approved: int = 0
    rejected: int = 0
    flagged_titles: list[str] = field(default_factory=list)
    missed_titles: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found["yes"] / max(self.labels["yes"], 1)

    @property
    def share(self) -> float:
        return self.flagged / max(self.stream, 1)

    @property
    def precision(self) -> float:
        return self.found["yes"] / max(self.flagged, 1)

    @property
    def precision_with_maybe(self) -> float:
        return (self.found["yes"] + self.found["maybe"]) / max(self.flagged, 1)

    @property
    def section_accuracy(self) -> float:
        return self.section_right / max(self.found["yes"], 1)

    @property
    def recall_with_second_tier(self) -> float:
        return (self.found["yes"] + self.second_tier["yes"]) / max(self.labels["yes"], 1)


def weeks_of(papers: Sequence[ReplayPaper]) -> list[list[ReplayPaper]]:
    """The papers by ISO week of publication, oldest week first."""
    found: dict[tuple[int, int], list[ReplayPaper]] = {}
    for paper in papers:
        found.setdefault(paper.published.isocalendar()[:2], []).append(paper)
    return [found[week] for week in sorted(found)]


def _arxiv_paper(paper: ReplayPaper) -> ArxivPaper:
    published = datetime.combine(paper.published, time(), UTC)
    return ArxivPaper(
        paper.arxiv_id, 1, paper.title, [], paper.abstract, [], "new", published, published, None, None, None, None
    )


def _list_section(names: Sequence[str], label: str | None) -> str | None:
    """The list's section a label names ("(Beyond) Logit Lens" is "Beyond or Logit Lens"), as `approve` finds it."""
    found = match_section(label, [(name, name) for name in names]) if label else None
    return None if found is None else names[found]


def replay(
    settings: Settings, database: Database, weeks: Iterable[Sequence[ReplayPaper]], *, learn: bool, evaluate_from: int
) -> ReplayReport:
    report = ReplayReport()
    reviewer = Reviewer(database, settings)
    actor = Actor("replay", None, "cli")
    with database.reading() as session:
        sections = list(session.scalars(select(Section.name).where(Section.kind != "text")))
    for number, week in enumerate(weeks):
        model = ensure_thresholds(database, settings)
        judgements = model.judge_many([PaperText(paper.title, paper.abstract) for paper in week])
        now = datetime.combine(max(paper.published for paper in week), time(12), UTC)
        with database.transaction() as session:
            papers = [_arxiv_paper(paper) for paper in week]
            store_papers(session, papers, judgements, source=REPLAY_SOURCE, now=now, keys=list_keys(session))
            record_stream(
                session,
                [(p.arxiv_id, paper_text(p)) for p in papers],
                [j.raw for j in judgements],
                model.key,
                now,
                settings.relevance.calibration_window,
            )
        if number >= evaluate_from:
            _measure(report, week, judgements, sections)
        if learn:
            _decide(reviewer, actor, database, week, judgements, sections, report)
    return report


def _measure(
    report: ReplayReport, week: Sequence[ReplayPaper], judgements: Sequence[Judgement], sections: Sequence[str]
) -> None:
    for paper, judgement in zip(week, judgements, strict=True):
        label = paper.label or "no"
        report.stream += 1
        report.labels[label] += 1
        if judgement.tier is not None and not judgement.relevant:
            report.second_tier[label] += 1
        if not judgement.relevant:
            if label == "yes":
                report.missed_titles.append(f"{judgement.score:.3f} [{paper.section}] {paper.title[:90]}")
            continue
        report.flagged += 1
        report.found[label] += 1
        report.flagged_titles.append(f"{label:<5} {judgement.score:.3f} [{judgement.section}] {paper.title[:90]}")
        if label == "yes":
            wanted = _list_section(sections, paper.section)
            report.section_right += judgement.section == wanted
            report.section_top3 += wanted in judgement.sections


def _decide(
    reviewer: Reviewer,
    actor: Actor,
    database: Database,
    week: Sequence[ReplayPaper],
    judgements: Sequence[Judgement],
    sections: Sequence[str],
    report: ReplayReport,
) -> None:
    flagged = {paper.arxiv_id: paper for paper, judgement in zip(week, judgements, strict=True) if judgement.relevant}
    with database.reading() as session:
        # Best first, as the review page and Discord list them to a maintainer. Without an order the query plan chose
        # it (ascending score, through an index), and a new index changed the model the replay learns: decisions in
        # another order place approved papers differently among same-day entries, which the training sees.
        rows = session.execute(
            select(Candidate.id, Candidate.arxiv_id)
            .where(Candidate.arxiv_id.in_(list(flagged)), Candidate.status == "pending")
            .order_by(Candidate.score.desc(), Candidate.id)
        ).all()
    for candidate_id, arxiv_id in rows:
        paper = flagged[arxiv_id]
        if paper.label == "yes":
            reviewer.decide(candidate_id, "approve", actor, _list_section(sections, paper.section))
            report.approved += 1
        else:
            reviewer.decide(candidate_id, "reject", actor)
            report.rejected += 1
