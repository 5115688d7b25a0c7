"""`digest add ARXIV_ID_OR_URL`: through digest.cli.main on a real data folder, arXiv answered on loopback with the
real recorded API responses."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from digest.awesome import store as liststore
from digest.cli import main
from digest.cli.add import parse_arxiv_reference
from digest.service.wiring import open_service_database
from digest.storage.db import Database
from digest.storage.models import APPROVED, Candidate, Decision
from tests.add_command import API_PATH, HEAT_BATH, NO_ENTRY, add, one_line, recorded, state, trimmed
from tests.arxiv_server import Reply
from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers


@pytest.fixture
def data_dir(data_dir: Path) -> Path:
    open_service_database(make_settings(data_dir)).dispose()  # a used folder: seeded with the bundled list
    return data_dir


def open_db(data_dir: Path) -> Database:
    return open_service_database(make_settings(data_dir))


def test_a_new_paper_is_fetched_scored_and_approved_into_the_named_section(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, requests = add(
        data_dir, "https://arxiv.org/abs/1605.08386v1", "--section", "probing", reply=recorded(HEAT_BATH)
    )
    assert status == 0, capsys.readouterr().err
    assert "approved into Probing" in capsys.readouterr().out
    assert [r.path for r in requests] == [API_PATH] and "id_list=1605.08386" in requests[0].query
    markdown = (data_dir / "list.md").read_text(encoding="utf-8")
    assert "[Heat-bath random walks with Markov bases](https://arxiv.org/abs/1605.08386)" in markdown
    assert markdown.index("Heat-bath") > markdown.index("Probing\n")
    database = open_db(data_dir)
    with database.reading() as session:
        candidate = session.scalars(select(Candidate).where(Candidate.arxiv_id == "1605.08386")).one()
        decisions = list(session.scalars(select(Decision).where(Decision.candidate_id == candidate.id)))
        assert candidate.status == APPROVED and candidate.decided_section == "Probing"
        assert candidate.authors == ["Caprice Stanley", "Tobias Windisch"]
        # Scored by the model (an unscored row would say relevant): random walks are far from the list's topic.
        assert not candidate.relevant and 0.0 <= candidate.score < 0.5
        assert [(d.action, d.channel, d.section) for d in decisions] == [("approve", "cli", "Probing")]
    database.dispose()

    # Adding it again: said so in one line, exit 1, arXiv not asked, nothing written.
    before = state(data_dir)
    status, requests = add(data_dir, "1605.08386v2", reply=recorded(HEAT_BATH))
    assert status == 1 and requests == []
    assert "1605.08386 is already in the list (Probing)" in one_line(capsys)
    assert state(data_dir) == before


def test_without_section_the_paper_goes_to_the_suggested_one(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A paper of this recorded day that names a strong term of the topic but scores under both tiers (Dataset
    # Distillation for Pre-Trained Self-Supervised Vision Models): a poll ranks no sections for it, a maintainer
    # adding it is given them all the same.
    reply = trimmed("api/api_new_all-all_2025-11-23_10entries.xml", "2511.16674")
    status, requests = add(data_dir, "https://arxiv.org/pdf/2511.16674", reply=reply)
    assert status == 0, capsys.readouterr().err
    assert "id_list=2511.16674" in requests[0].query
    database = open_db(data_dir)
    with database.reading() as session:
        candidate = session.scalars(select(Candidate).where(Candidate.arxiv_id == "2511.16674")).one()
        assert candidate.suggested_section and candidate.decided_section == candidate.suggested_section
        assert not candidate.relevant
        assert candidate.status == APPROVED and candidate.source_feeds == ["digest add"]
    database.dispose()
    assert f"approved into {candidate.suggested_section}" in capsys.readouterr().out


def test_no_section_at_all_is_refused_naming_the_sections_and_writes_nothing(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The refusal said to use --section but not which sections there are: it names them as `digest approve` does
    when a section is wrong."""
    before = state(data_dir)
    status, _ = add(data_dir, "1605.08386", reply=recorded(HEAT_BATH))  # a mathematics paper: no section fits
    assert status == 1
    database = open_db(data_dir)
    try:
        with database.reading() as session:
            names = ", ".join(liststore.section_names(session))
    finally:
        database.dispose()
    assert "Sparse Autoencoder, " in names and "Steering" in names
    assert one_line(capsys) == (
        f"digest: no section suggested for 1605.08386: name one with --section (sections: {names}); nothing was added\n"
    )
    assert state(data_dir) == before


def test_a_paper_of_the_list_is_refused_without_asking_arxiv(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = state(data_dir)
    status, requests = add(data_dir, "arXiv:2411.16198")  # a seed entry (Input-level Attribution)
    assert status == 1 and requests == []
    assert "already in the list (Input-level Attribution)" in one_line(capsys)
    assert state(data_dir) == before


def test_a_pending_candidate_is_approved_not_duplicated(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = real_papers()[0]
    database = open_db(data_dir)
    candidate_id = insert_candidate(database, record)
    database.dispose()
    status, requests = add(data_dir, f"https://arxiv.org/abs/{record['arxiv_id']}v1", "--section", "Steering")
    assert status == 0, capsys.readouterr().err
    assert requests == []  # the candidate already holds the paper
    database = open_db(data_dir)
    with database.reading() as session:
        rows = list(session.scalars(select(Candidate).where(Candidate.arxiv_id == record["arxiv_id"])))
        assert [(c.id, c.status, c.decided_section) for c in rows] == [(candidate_id, APPROVED, "Steering")]
        channels = list(session.scalars(select(Decision.channel).where(Decision.candidate_id == candidate_id)))
        assert channels == ["cli"]
    database.dispose()
    assert record["title"] in (data_dir / "list.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "given",
    [
        "2501.01234",
        "2501.01234v2",
        "arXiv:2501.01234",
        "https://arxiv.org/abs/2501.01234v1",
        "https://arxiv.org/pdf/2501.01234",
    ],
)
def test_accepted_forms(given: str) -> None:
    assert parse_arxiv_reference(given) == "2501.01234"
    assert parse_arxiv_reference("1412.1234") == "1412.1234" and parse_arxiv_reference("0704.0001") == "0704.0001"


@pytest.mark.parametrize(
    "given",
    [
        "2501.123",
        "1605.08386x",
        "https://example.org/abs/2501.01234",
        "arxiv.org/abs/2501.01234",
        "<script>",
        "",
        "2501.0123",  # since 2015 five digits follow the dot: one is missing
        "1412.12345",  # before 2015 four
        "2513.01234",  # no 13th month
        "0612.1234",  # new-style IDs began in April 2007
    ],
)
def test_anything_else_is_a_usage_error(data_dir: Path, capsys: pytest.CaptureFixture[str], given: str) -> None:
    before = state(data_dir)
    status, requests = add(data_dir, given)
    assert status == 2 and requests == []
    error = one_line(capsys)
    assert "is not an arXiv ID or URL" in error or "is no arXiv ID arXiv can have issued (" in error, error
    assert state(data_dir) == before


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(status=503, body=b"busy"), "HTTP 503"),
        (Reply(status=403, body=b"<html><body>Access denied</body></html>", content_type="text/html"), ": HTTP 403"),
        (Reply(status=404, body=b"Not Found\n", content_type="text/plain"), ": HTTP 404"),
        (recorded(NO_ENTRY), "arXiv has no paper 1605.08386"),
    ],
)
def test_network_failures_write_nothing(
    data_dir: Path, capsys: pytest.CaptureFixture[str], reply: Reply, expected: str
) -> None:
    before = state(data_dir)
    status, requests = add(data_dir, "1605.08386", reply=reply)
    assert status == 1 and len(requests) == 1
    line = one_line(capsys)
    assert expected in line and "nothing was added" in line
    assert state(data_dir) == before


def test_an_unreachable_arxiv_writes_nothing(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = state(data_dir)
    config = data_dir.parent / "closed.toml"
    config.write_text(
        '[arxiv]\nsources = ["http://127.0.0.1:9/rss"]\napi_url = "http://127.0.0.1:9/api/query"\n'
        "min_interval_seconds = 0\nmax_retries = 0\n",
        encoding="utf-8",
    )
    assert main(["--config", str(config), "--data-dir", str(data_dir), "add", "1605.08386"]) == 1
    assert "could not fetch 1605.08386 from arXiv" in one_line(capsys)
    assert state(data_dir) == before


def test_an_arxiv_nothing_listens_on_is_said_at_once_in_plain_words(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the default retries, `digest add` (and /suggest, /review's add, Discord's /add: the same fetch) knocked
    on a closed arXiv port five times over 75 s, a reader's browser waiting all along, then said "ClientConnectorError:
    Cannot connect to host 127.0.0.1:9 ssl:default [Connect call failed ('127.0.0.1', 9)]". A person waits on this
    fetch: a connection refused is said at once, in words."""
    before = state(data_dir)
    config = data_dir.parent / "closed.toml"
    closed = '[arxiv]\nsources = ["http://127.0.0.1:9/rss"]\napi_url = "http://127.0.0.1:9/api/query"\n'
    config.write_text(closed + "min_interval_seconds = 0\n", encoding="utf-8")
    assert main(["--config", str(config), "--data-dir", str(data_dir), "add", "1605.08386"]) == 1
    line = one_line(capsys)  # no "retrying in 5 s (1/4)" before it
    assert "could not fetch 1605.08386 from arXiv" in line and "nothing was added" in line
    assert "cannot connect to 127.0.0.1:9 (connection refused)" in line and "Error" not in line, line
    assert "not tried again" in line and "attempts" not in line, line  # asked once: no back-off waited out
    assert state(data_dir) == before


def test_an_unknown_section_writes_nothing(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = state(data_dir)
    status, _ = add(data_dir, "1605.08386", "--section", "Nowhere", reply=recorded(HEAT_BATH))
    assert status == 1
    assert "no section named 'Nowhere'" in one_line(capsys)
    assert state(data_dir) == before


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("hep-th/9901001", "hep-th/9901001"),
        ("math.GT/0309136", "math/0309136"),  # arXiv's own ID leaves the subject class out
        ("arXiv:hep-th/9901001v2", "hep-th/9901001"),
        ("https://arxiv.org/html/2501.01234v2", "2501.01234"),
        ("https://arxiv.org/abs/2501.01234?context=cs.CV", "2501.01234"),
        ("https://arxiv.org/html/2501.01234#S3", "2501.01234"),
        ("https://arxiv.org/pdf/hep-th/9901001v1", "hep-th/9901001"),
    ],
)
def test_the_forms_the_readme_names(given: str, expected: str) -> None:
    """README, "Adding a paper you heard of": old-style IDs, /html/ addresses, a ?query or a #fragment."""
    assert parse_arxiv_reference(given) == expected


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("2501.0123", "2501.0123 has 4 digits after the dot; arXiv gives IDs 5 from January 2015 on"),
        ("0612.12345", "0612.12345 has 5 digits after the dot; arXiv gave IDs 4 before January 2015"),
        ("2513.01234", "2513.01234 names month 13"),
    ],
)
def test_digest_add_says_why_arxiv_cannot_have_issued_an_id(
    data_dir: Path, capsys: pytest.CaptureFixture[str], given: str, why: str
) -> None:
    """`digest add 2501.0123` said only "is not an arXiv ID or URL", as for any text: whoever lost a digit was not
    told which part is wrong. Now the one line says why arXiv cannot have issued it."""
    open_service_database(make_settings(data_dir)).dispose()
    before = state(data_dir)
    status, requests = add(data_dir, given)
    assert status == 2 and requests == []
    assert why in one_line(capsys)
    assert state(data_dir) == before


def test_add_help_names_every_form_it_takes(capsys: pytest.CaptureFixture[str]) -> None:
    """`digest add --help` offered "2501.01234, 2501.01234v2, arXiv:2501.01234 or its URL": an old-style ID
    (hep-th/9901001), which the README and the command take, read as not allowed, and "its URL" did not say the pdf
    and html pages do too. Each form the help shows is one the command reads as that paper."""
    with pytest.raises(SystemExit) as leaving:
        main(["add", "--help"])
    assert leaving.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    for form in ("2501.01234v2", "arXiv:2501.01234", "hep-th/9901001", "/abs/", "/pdf/", "/html/"):
        assert form in shown, form
    assert parse_arxiv_reference("hep-th/9901001") == "hep-th/9901001"
    assert parse_arxiv_reference("https://arxiv.org/html/2501.01234v2") == "2501.01234"
