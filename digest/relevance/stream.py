"""The stream the review budget is held on: every paper a poll judged is kept (the last few thousand) with its raw
score, and the thresholds are re-fitted on them whenever the model or the stream changed, then stored, so that
`digest score` and the next poll decide alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Select, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from digest.config import Settings
from digest.relevance.scoring import PaperText, RelevanceModel, Thresholds, fit_thresholds
from digest.relevance.store import base_model, budget_of, built_model, model_key_and_model
from digest.relevance.thresholds_store import fitted_for, store_thresholds, stored_thresholds
from digest.storage.db import Database
from digest.storage.state import StreamPaper

# Fewer papers than this from the polls and the shipped sample stands in for the stream.
MIN_STREAM = 1000
_KEEP_FACTOR = 2  # rows kept beyond the window are pruned at this multiple
BUILD_ATTEMPTS = 3  # builds outside the write lock before one is made under it


def _stream_mark(session: Session, window: int) -> list[Any]:
    """What identifies the stream's window: its size, newest time and newest paper."""
    count = session.scalar(select(func.count()).select_from(StreamPaper)) or 0
    newest = session.execute(
        select(StreamPaper.seen_at, StreamPaper.arxiv_id)
        .order_by(StreamPaper.seen_at.desc(), StreamPaper.arxiv_id.desc())
        .limit(1)  # without it the whole table is sorted to read one row
    ).first()
    return [min(count, window), newest[0].isoformat() if newest else None, newest[1] if newest else None]


def ensure_thresholds(database: Database, settings: Settings, *, store: bool = True) -> RelevanceModel:
    """The model with thresholds fitted for the current inputs and stream: read back when they are stored for both,
    else re-fitted (re-scoring the stream's papers scored by an older model) and stored in one transaction. The
    common case only reads, so `digest score` never waits for the service's write lock. Without `store` (a database
    opened read-only) they are fitted the same way and kept nowhere.

    The model is built (seconds) before the write lock is taken, never under it: a decision made meanwhile (the
    maintainers go on deciding while the model learns from the last ones) would wait for the whole build, or fail
    after the database's busy timeout. Such a decision changes the inputs: the model is built again, outside."""
    window = settings.relevance.calibration_window
    for attempt in range(BUILD_ATTEMPTS):
        with database.reading() as session:
            model_key, model = model_key_and_model(session, settings)
            found = stored_thresholds(session, settings, model_key, _stream_mark(session, window))
            if found is None and not store:
                found = _fit(session, model, model_key, window, settings, keep_scores=False)
        if found is not None:
            return model.with_thresholds(found)
        _rescore_stale(database, model, model_key, window)
        # Exclusive: on PostgreSQL two processes fitting the first thresholds each found none and inserted them, and the
        # later one failed (a duplicate key), where SQLite's write lock made it find the earlier one's.
        with database.transaction(exclusive=True) as session:
            # The last attempt builds under the lock if it must: decisions that never pause still get a model.
            last = attempt == BUILD_ATTEMPTS - 1
            built = model_key_and_model(session, settings) if last else built_model(session, settings)
            if built is None:
                continue  # the inputs changed while it was built: built again, outside the lock
            model_key, model = built
            return model.with_thresholds(_store_fitted(session, model, model_key, window, settings))
    raise AssertionError("unreachable: the last attempt always returns")


def _store_fitted(
    session: Session, model: RelevanceModel, model_key: str, window: int, settings: Settings
) -> Thresholds:
    """The thresholds for this model and the stream, fitted unless another process stored them meanwhile."""
    mark = _stream_mark(session, window)
    found = stored_thresholds(session, settings, model_key, mark)  # another process may have fitted them meanwhile
    if found is not None:
        return found
    thresholds = _fit(session, model, model_key, window, settings)
    value = {
        "model_key": model_key,
        "stream": mark,
        "review": thresholds.review,
        "second": thresholds.second,
        "fitted_on": thresholds.fitted_on,
        "source": thresholds.source,
        "settings": fitted_for(settings),
        "fitted_at": datetime.now(UTC).isoformat(),
    }
    store_thresholds(session, settings, value)
    return thresholds


def window_query(window: int) -> Select[tuple[str, float | None, str | None]]:
    """(arXiv ID, score, model key) of the stream's newest `window` papers: read from one index alone
    (ix_stream_papers_window) after every poll."""
    return (
        select(StreamPaper.arxiv_id, StreamPaper.score, StreamPaper.model_key)
        .order_by(StreamPaper.seen_at.desc(), StreamPaper.arxiv_id.desc())
        .limit(window)
    )


def _window_rows(session: Session, window: int) -> list[tuple[str, float | None, str | None]]:
    return list(session.execute(window_query(window)).tuples())


def _stale(rows: list[tuple[str, float | None, str | None]], model: RelevanceModel, model_key: str) -> list[str]:
    """The window's papers to score again: scored by another model, or not at all. A paper the model was trained on
    (approved, rejected) is never one: it counts with the score of the parts that never saw it."""
    held_out = model.learned.held_out
    return [
        arxiv_id for arxiv_id, score, key in rows if arxiv_id not in held_out and (key != model_key or score is None)
    ]


def _papers(session: Session, arxiv_ids: list[str]) -> list[StreamPaper]:
    """The stream's rows of these papers, read a thousand at a time (a bound on the query's parameters)."""
    found: list[StreamPaper] = []
    for start in range(0, len(arxiv_ids), 1000):
        found += session.scalars(select(StreamPaper).where(StreamPaper.arxiv_id.in_(arxiv_ids[start : start + 1000])))
    return found


def _text(paper: StreamPaper) -> PaperText:
    return PaperText(paper.title, paper.abstract, tuple(paper.categories))


def _scored_by_others(window: int, model_key: str) -> Select[tuple[int]]:
    """How many of the window's papers were scored by another model or not at all: none, and `_stale` finds none
    (it also leaves out the papers the model was trained on) without the window read into Python."""
    rows = window_query(window).subquery()
    others = or_(rows.c.score.is_(None), rows.c.model_key.is_(None), rows.c.model_key != model_key)
    return select(func.count()).select_from(rows).where(others)


def _rescore_stale(database: Database, model: RelevanceModel, model_key: str, window: int) -> None:
    """Scores the stream's papers an older model scored again before the write lock is taken: after a decision that
    is the whole window, seconds for thousands of papers, which every decision would otherwise wait for. The scores
    are then written in a short transaction; `_fit` scores what a poll added meanwhile. After a poll (every paper of
    the window scored by this model: the steady state) one count says so, and the window is not read twice."""
    with database.reading() as session:
        if not session.scalar(_scored_by_others(window, model_key)):
            return
        rows = _window_rows(session, window)
        if len(rows) < MIN_STREAM:
            return
        texts = [(paper.arxiv_id, _text(paper)) for paper in _papers(session, _stale(rows, model, model_key))]
    if not texts:
        return
    scores = model.raw_scores([text for _, text in texts])
    table = StreamPaper.metadata.tables[StreamPaper.__tablename__]
    change = update(table).where(table.c.arxiv_id == bindparam("paper")).values(score=bindparam("new_score"))
    with database.transaction() as session:
        session.connection().execute(
            change.values(model_key=model_key),
            [
                {"paper": arxiv_id, "new_score": float(score)}
                for (arxiv_id, _), score in zip(texts, scores, strict=True)
            ],
        )


def _fit(
    session: Session,
    model: RelevanceModel,
    model_key: str,
    window: int,
    settings: Settings,
    *,
    keep_scores: bool = True,
) -> Thresholds:
    """Only the scores are read, unless a paper was scored by an older model: then its text, to score it again (its
    new score kept in the session's row unless told not to)."""
    rows = _window_rows(session, window)
    budget = budget_of(settings)
    if len(rows) < MIN_STREAM:
        return model.thresholds  # fitted on the shipped sample when the model was built, for this same budget
    # A paper the model was trained on (approved, rejected) counts with the score of the parts that never saw it:
    # rescored in full it would sit lower than it did as news, and the threshold would fall under the budget.
    held_out = model.learned.held_out
    stale = _stale(rows, model, model_key)
    left = set(stale)
    scores = {arxiv_id: held_out.get(arxiv_id, score) for arxiv_id, score, _ in rows if arxiv_id not in left}
    papers = _papers(session, stale)
    for row, fresh in zip(papers, model.raw_scores([_text(row) for row in papers]), strict=True):
        if keep_scores:
            row.score, row.model_key = float(fresh), model_key
        scores[row.arxiv_id] = float(fresh)
    return fit_thresholds(np.array(list(scores.values()), dtype=np.float64), budget, "stream", model.gate_ceiling)


def record_stream(
    session: Session,
    papers: Sequence[tuple[str, PaperText]],
    raw_scores: Sequence[float],
    model_key: str,
    now: datetime,
    window: int,
) -> None:
    """Keeps the papers a poll judged (arXiv ID, text) with their scores; prunes the oldest beyond the window."""
    ids = list(dict.fromkeys(arxiv_id for arxiv_id, _ in papers))
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        known.update(session.scalars(select(StreamPaper.arxiv_id).where(StreamPaper.arxiv_id.in_(chunk))))
    rows = []
    for (arxiv_id, paper), score in zip(papers, raw_scores, strict=True):
        if arxiv_id in known:
            continue
        known.add(arxiv_id)
        rows.append(
            {
                "arxiv_id": arxiv_id,
                "title": paper.title,
                "abstract": paper.abstract,
                "categories": list(paper.categories),
                "seen_at": now,
                "score": float(score),
                "model_key": model_key,
            }
        )
    if rows:  # a Core executemany: the ORM's bulk path costs a third more for 2,000 rows and adds nothing here
        session.connection().execute(insert(StreamPaper.metadata.tables[StreamPaper.__tablename__]), rows)
    keep = window * _KEEP_FACTOR
    count = session.scalar(select(func.count()).select_from(StreamPaper)) or 0
    if count > keep:
        oldest = select(StreamPaper.arxiv_id).order_by(StreamPaper.seen_at, StreamPaper.arxiv_id).limit(count - keep)
        # A subquery, not their IDs: a window cut sharply prunes tens of thousands at once, more parameters than one
        # statement may bind (SQLite's 32,766 as built by default, PostgreSQL's 65,535).
        session.execute(delete(StreamPaper).where(StreamPaper.arxiv_id.in_(oldest.scalar_subquery())))


def model_for_database(session: Session, settings: Settings) -> RelevanceModel:
    """The model the poller uses, with the thresholds stored for it (see relevance/stream.py); while none are stored
    for this model and stream, the ones fitted on the shipped sample."""
    model_key, model = base_model(session, settings)
    thresholds = stored_thresholds(session, settings, model_key)
    return model.with_thresholds(thresholds) if thresholds is not None else model
