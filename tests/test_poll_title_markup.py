"""Titles as arXiv writes them, read by `digest poll --source`: the TeX of ordinary titles (math, quotes) is no
markup to warn of, and a title holding HTML, a Markdown link or a Discord mention still is. Feeds in arXiv's RSS
format (tests/feedbuild.py) from real papers, polled over a real SQLite file; the warnings as stderr shows them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from digest.cli import main
from tests.feedbuild import build_rss, load_records

WARNING = "the title holds markup or a mention"
TEX_TITLES = [  # shaped on real arXiv titles
    r"Sharp $\ell_p$ bounds for sparse recovery when $1<p<2$",
    r"On the ``Lottery Ticket'' hypothesis for $a<b$ and $A^{**}$ in vision transformers",
    r"`Understanding' steering vectors: the case of $\mathrm{SU}(N)$ and $x<y$",
]
HOSTILE_TITLES = [
    "Steering **vision** models with <img src=x onerror=alert(1)>",
    "Line of sight [click](javascript:alert(1)) for @everyone",
    "Textual steering vectors, reviewed by <@123456789012345678>",
]
LONE_SIGN_TITLES = [  # one sign each, alone: a link written in capitals, Markdown code, Markdown emphasis
    "Steering vision models, the code at HTTPS://evil.example/steer",
    "Sparse probes for vision models, run `rm -rf ~` first",
    "Steering **vision** models without tags",
]


def test_tex_in_a_title_is_no_markup_and_hostile_titles_are_still_warned_of(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A title with TeX quotes (``x'') or a "<" in math ($a<b$) set off "the title holds markup or a mention" on
    every poll that saw the paper, and so in cron's mail. Only real markup and mentions are warned of now."""
    titles = TEX_TITLES + HOSTILE_TITLES
    papers = [dict(record, title=title) for record, title in zip(load_records(), titles, strict=False)]
    assert len(papers) == len(titles)
    source = tmp_path / "cs.CV.xml"
    source.write_bytes(build_rss("cs.CV", papers, date(2026, 4, 27)))
    assert main(["--data-dir", str(data_dir), "poll", "--source", str(source)]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if WARNING in line]
    hostile = [paper["arxiv_id"] for paper in papers[len(TEX_TITLES) :]]
    assert [line.split(": item ")[1].split(":")[0] for line in warned] == hostile, warned


def test_a_title_with_one_sign_of_markup_alone_is_warned_of(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A title is looked at closely only when it holds a character some markup needs ("<", "]", "@", "`", "*") or
    "http" in any case: each of these titles holds just one such sign, and each is still warned of."""
    papers = [dict(record, title=title) for record, title in zip(load_records(), LONE_SIGN_TITLES, strict=False)]
    source = tmp_path / "cs.CV.xml"
    source.write_bytes(build_rss("cs.CV", papers, date(2026, 4, 27)))
    assert main(["--data-dir", str(data_dir), "poll", "--source", str(source)]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if WARNING in line]
    assert [line.split(": item ")[1].split(":")[0] for line in warned] == [p["arxiv_id"] for p in papers], warned
