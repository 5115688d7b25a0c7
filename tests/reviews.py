"""The set-up of the decision path's tests (test_review*.py): a reviewer whose clock stands at list_edits.NOW."""

from __future__ import annotations

from digest.config import Settings
from digest.review.reviewer import Reviewer
from digest.storage.db import Database
from tests.list_edits import NOW


def reviewer_for(database: Database, settings: Settings) -> Reviewer:
    return Reviewer(database, settings, clock=lambda: NOW)
