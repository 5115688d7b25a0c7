"""An older backup of the database restored while publishing is on: papers approved (and published) after the backup
was taken come back into the list with the next publish's pull, and their candidates, pending in the backup, are no
longer pending then, as a `digest list import` of a hand-added paper does to its pending candidate (one rule)."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Settings
from digest.publish.publisher import PUBLISHED
from digest.service.wiring import open_service_database
from tests.factories import insert_candidate, real_papers
from tests.git_remote import ANN, Remote
from tests.publishing import back_up, restore, services
from tests.publishing import remote as remote  # the fixture
from tests.publishing import st as st  # the fixture


def test_papers_a_publish_brings_back_after_a_restore_are_no_longer_pending(
    tmp_path: Path, remote: Remote, st: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """Restored from a backup older than two published approvals: `digest publish` brought them back ("2 added"), but
    `digest candidates` still listed them as pending, and `digest reject` recorded "rejected" while the list kept
    the entry. Now the pull records them as approved into the section holding them, the history saying how, and a
    reject takes the paper out of the list, as for any approved paper."""
    settings = st
    database = open_service_database(settings)
    backup = tmp_path / "older.sqlite3"
    try:
        reviewer, publisher = services(database, settings)
        ids = [insert_candidate(database, paper) for paper in real_papers()[:2]]
        back_up(settings, backup)  # both pending here
        for candidate_id in ids:
            reviewer.decide(candidate_id, "approve", ANN)
        assert publisher.publish().outcome == PUBLISHED
    finally:
        database.dispose()
    restore(settings, backup)
    arxiv = [str(paper["arxiv_id"]) for paper in real_papers()[:2]]
    options = ["--config", str(tmp_path / "data-config.toml"), "--data-dir", str(settings.data_dir)]
    assert main([*options, "publish"]) == 0, capsys.readouterr()
    capsys.readouterr()
    assert all(arxiv_id in settings.list_markdown_path.read_text() for arxiv_id in arxiv)

    assert main([*options, "candidates", "--status", "pending"]) == 0
    pending = capsys.readouterr().out
    assert not any(arxiv_id in pending for arxiv_id in arxiv), pending
    assert main([*options, "history"]) == 0
    history = capsys.readouterr().out
    assert history.count("approved into Sparse Autoencoder by publish pull:") == 2, history

    assert main([*options, "reject", str(ids[0])]) == 0
    said = f"candidate {ids[0]} ({arxiv[0]}): rejected; it was approved into Sparse Autoencoder by publish pull on "
    assert capsys.readouterr().out.startswith(said)
    listed = settings.list_markdown_path.read_text()
    assert arxiv[0] not in listed and arxiv[1] in listed  # the decision and the list agree
