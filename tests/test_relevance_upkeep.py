"""The relevance model as maintainers live with it for months: a new list with few papers, sections renamed or removed
by hand, approvals and imported verdicts that are not (or no longer) in the list, and what the model says about them
in `digest score` (what the review page, Discord and the weekly digest show too).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from digest.cli import main
from tests.conftest import DATA_DIR, make_settings
from tests.feedbuild import build_rss

# Two papers of the bundled list (their abstracts ship with the package) and one that is on no list.
OPEN_PROBLEMS = "+ [Open Problems in Mechanistic Interpretability](https://arxiv.org/abs/2501.16496) (Jan. 27, 2025)\n"
UNKNOWN_PAPER = (
    "+ [Junction Tree Variational Autoencoder for Molecular Graph Generation](https://arxiv.org/abs/1802.04364)\n"
)


def _papers() -> list[dict[str, object]]:
    """Ten papers judged by hand: the first five belong to the topic of the bundled rules, the last five do not."""
    return [json.loads(line) for line in (DATA_DIR / "review_papers.jsonl").read_text(encoding="utf-8").splitlines()]


def _data_dir(tmp_path: Path, markdown: str | None = None) -> tuple[Path, list[str]]:
    """A data folder (a new one seeded with `markdown` when given) and the global options that name it."""
    data_dir = tmp_path / "data"
    config = f'seed_list = "{_write_list(tmp_path, markdown)}"\n' if markdown is not None else ""
    settings = make_settings(data_dir, config)
    return data_dir, [
        *(["--config", str(settings.config_path)] if settings.config_path else []),
        "--data-dir",
        str(data_dir),
    ]


def _write_list(tmp_path: Path, markdown: str) -> Path:
    path = tmp_path / "seed.md"
    path.write_text(markdown, encoding="utf-8")
    return path


def _score(
    options: list[str], rows: list[dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[list[dict[str, object]], str]:
    path = tmp_path / "papers.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    status = main([*options, "score", str(path)])
    out = capsys.readouterr()
    assert status == 0, out.err
    return [json.loads(line) for line in out.out.splitlines()], out.err


@pytest.mark.parametrize(
    ("entries", "learnt"),
    [(OPEN_PROBLEMS, "1 paper"), (UNKNOWN_PAPER, "0 papers")],
    ids=["one-paper-with-an-abstract", "papers-without-abstracts-yet"],
)
def test_a_new_list_with_fewer_than_two_papers_to_learn_from_still_flags_by_the_rules_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], entries: str, learnt: str
) -> None:
    """A new user's list (one paper, or papers whose abstracts are not fetched yet: another topic's list) crashed
    every use of the model with an IndexError traceback: `digest score`, every poll, `digest add`."""
    _, options = _data_dir(tmp_path, f"# Awesome New Topic\n\n## Papers\n\n{entries}")
    results, err = _score(options, _papers(), tmp_path, capsys)
    flagged = [row["arxiv_id"] for row in results if row["tier"] is not None]
    belong = [row["arxiv_id"] for row in _papers()[:5]]
    assert flagged and set(flagged) <= set(belong), flagged
    assert f"the model has learnt from {learnt} of the list" in err
    # A poll of the same papers keeps the same ones for review.
    feed = tmp_path / "cs.CV.xml"
    feed.write_bytes(build_rss("cs.CV", _papers(), date(2025, 6, 2)))
    assert main([*options, "poll", "--source", str(feed), "--json"]) == 0
    assert sorted(json.loads(capsys.readouterr().out)["sources"][0]["new"]) == sorted(flagged)
