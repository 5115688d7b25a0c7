"""Growth of the database over years of polls: ~1,500 papers a weekday stored through the poll's own store functions
(candidates.store_papers, stream.record_stream, the poll's run rows and its forgetting of the old second tier), with
maintainers who reject most of the review queue within days and never see the rest, and a weekly digest sent each
week to 200 readers. The clock is moved by hand. Prints the SQLite file's size and every table's rows after each year.
Measured at 5d62fd0: 28.5 MB after one year, 62 MB after five (stream_papers held at 12,000 rows; candidates grow by
~1,700 a year, the review budget's share, about 7 MB; weekly_digests by 104 rows, 0.5 MB with 200 readers).

    .venv/bin/python bench/bench_growth.py [--years 5] [--per-day 1500]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from digest.arxiv import poll_runs  # noqa: E402
from digest.arxiv.candidates import forget_old_second_tier, list_keys, store_papers  # noqa: E402
from digest.arxiv.papers import ArxivPaper  # noqa: E402
from digest.relevance.stream import record_stream  # noqa: E402
from digest.relevance.types import Judgement, PaperText, Tier  # noqa: E402
from digest.review.reviewer import Reviewer  # noqa: E402
from digest.review.rules import Actor  # noqa: E402
from digest.service.wiring import open_service_database  # noqa: E402
from digest.storage.models import PENDING, Base, Candidate  # noqa: E402
from digest.storage.state import WeeklyDigest  # noqa: E402
from tests.conftest import make_settings  # noqa: E402

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday
ABSTRACT = "We study the internal mechanisms of multimodal models with probes and circuits. " * 12  # ~1,000 chars
READERS = [f"reader{number}@example.org" for number in range(200)]
RELEVANT_EVERY, SECOND_EVERY = 230, 190  # 6.5 relevant and ~8 second-tier papers in a day of 1,500


def _paper(arxiv_id: str, day: datetime) -> ArxivPaper:
    return ArxivPaper(
        arxiv_id, 1, f"Paper {arxiv_id} on probing multimodal models", ["A. Author", "B. Author"], ABSTRACT,
        ["cs.CL"], "new", day, day, None, None, None, "cs.CL",
    )  # fmt: skip


def _judgement(index: int) -> Judgement:
    if index % RELEVANT_EVERY == 0:
        return Judgement(True, 1.2, "Probing", ["Probing"], ["probe"], Tier.REVIEW, 1.2)
    if index % SECOND_EVERY == 0:
        return Judgement(False, 0.8, "Probing", ["Probing"], [], Tier.SECOND, 0.8)
    return Judgement(False, 0.1, None, [], [], None, 0.1)


def _counts(database: object, path: Path) -> dict[str, int]:
    counts = {}
    with database.reading() as session:  # type: ignore[attr-defined]
        for table in sorted(Base.metadata.tables):
            counts[table] = session.scalar(select(func.count()).select_from(Base.metadata.tables[table])) or 0
        counts["pending (review queue)"] = (
            session.scalar(select(func.count()).where(Candidate.status == PENDING, Candidate.relevant.is_(True))) or 0
        )
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = connection.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 8")
        counts.update({f"bytes {name}": size for name, size in pages})
        counts["bytes free"] = connection.execute("PRAGMA freelist_count").fetchone()[0] * 4096
    counts["file bytes"] = path.stat().st_size
    return counts


def _weekly(database: object, now: datetime) -> None:
    week = f"{now.isocalendar().year}-W{now.isocalendar().week:02d}"
    with database.transaction() as session:  # type: ignore[attr-defined]
        for edition in ("readers", "maintainers"):
            session.add(WeeklyDigest(week=week, edition=edition, status="sent", attempts=1, reached_count=len(READERS),
                                     sent_at=now, last_attempt_at=now))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--per-day", type=int, default=1500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = make_settings(Path(folder) / "data")
        database = open_service_database(settings)
        reviewer = Reviewer(database, settings)
        actor = Actor("maintainer", "1", "cli")
        window = settings.relevance.calibration_window
        serial = 0
        queue: list[tuple[datetime, int]] = []
        for day_number in range(args.years * 365):
            now = START + timedelta(days=day_number)
            if now.weekday() >= 5:
                continue
            run = poll_runs.start_run(database, now)
            papers = []
            for _ in range(args.per_day):
                serial += 1
                papers.append((_paper(f"{2600 + serial // 99999}.{serial % 99999:05d}", now), _judgement(serial)))
            with database.transaction() as session:
                counts = store_papers(
                    session, [p for p, _ in papers], [j for _, j in papers], source="rss:cs.CL", now=now,
                    keys=list_keys(session),
                )  # fmt: skip
                texts = [(p.arxiv_id, PaperText(p.title, p.abstract, tuple(p.categories))) for p, _ in papers]
                record_stream(session, texts, [j.raw for _, j in papers], "model", now, window)
                ids = session.scalars(select(Candidate.id).where(Candidate.arxiv_id.in_(counts.new_ids)))
                queue += [(now, candidate_id) for candidate_id in ids]
            poll_runs.finish_run(database, run, now, "ok", {"new": counts.new_candidates})
            with database.transaction() as session:
                forget_old_second_tier(session, now)
            # Maintainers reject four in five candidates three days after they come; the fifth is never decided.
            due = [item for item in queue if item[0] <= now - timedelta(days=3)]
            queue = [item for item in queue if item[0] > now - timedelta(days=3)]
            for _, candidate_id in due:
                if candidate_id % 5:
                    reviewer.decide(candidate_id, "reject", actor)
            if now.weekday() == 0:
                _weekly(database, now)
            if (day_number + 1) % 365 == 0:
                year = (day_number + 1) // 365
                print(f"after {year} year(s): {_counts(database, settings.data_dir / 'digest.sqlite3')}", flush=True)
        database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
