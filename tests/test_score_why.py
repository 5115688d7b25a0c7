"""`digest score`'s why as a maintainer reads it: a paper the model never read says so, and the numbers of a paper
it did read add up to the score printed beside them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from digest.cli import main
from digest.relevance.why import Why
from tests.cli_daily import papers_file
from tests.conftest import ROOT
from tests.poller_feeds import RELEVANT, UNRELATED

SKIPPED = (
    "not scored: the title and abstract hold none of the topic's strong terms ([modality] and [interpretability] "
    "strong in rules.toml), so the model skipped it and gave it the one score such papers get, far under the threshold"
)


def _papers(tmp_path: Path, ids: list[str]) -> Path:
    """The real papers of tests/data/poll_papers.jsonl with these IDs, in a file of their own."""
    found = (ROOT / "tests" / "data" / "poll_papers.jsonl").read_text(encoding="utf-8").splitlines()
    lines = [line.encode("utf-8") for line in found if json.loads(line)["arxiv_id"] in ids]
    assert len(lines) == len(ids)
    return papers_file(tmp_path / "papers.jsonl", lines)


def _printed(
    data_dir: Path, path: Path, capsys: pytest.CaptureFixture[str], *options: str, config: tuple[str, ...] = ()
) -> dict[str, Any]:
    assert main([*config, "--data-dir", str(data_dir), "score", str(path), *options]) == 0
    return {result["arxiv_id"]: result for result in map(json.loads, capsys.readouterr().out.splitlines())}


def test_score_says_a_paper_naming_no_strong_term_of_the_topic_was_not_scored(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The papers the pre-filter skips (no strong term of either side of the topic in the title or abstract: most of
    a day's feed) printed "score": 0.0 and "why": [], as if the model had read them and found nothing to say. Their
    why now says they were not scored and by which rule, with --json and without; a paper the model read says no
    such thing."""
    path = _papers(tmp_path, [UNRELATED[0], UNRELATED[2], RELEVANT[0]])
    for options in ((), ("--json",)):
        printed = _printed(data_dir, path, capsys, *options)
        skipped, read_off_topic, relevant = (
            printed[arxiv_id] for arxiv_id in (UNRELATED[0], UNRELATED[2], RELEVANT[0])
        )
        assert (skipped["score"], skipped["matched"], skipped["why"]) == (0.0, [], [SKIPPED])
        assert read_off_topic["score"] == 0.0 and read_off_topic["matched"], read_off_topic
        assert SKIPPED not in read_off_topic["why"] and SKIPPED not in relevant["why"]
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    assert "for a paper naming none of the topic's strong terms, that the model skipped it unread" in " ".join(
        capsys.readouterr().out.split()
    )


def _parts(why: list[str]) -> tuple[list[float], float, float]:
    """The parts printed ("pushed up by", "pushed down by"), the baseline and the total ("in all")."""
    said = {reason.split(": ", 1)[0]: reason.split(": ", 1)[1] for reason in why}
    parts = [
        float(part.rsplit(" ", 1)[1])
        for side in ("pushed up by", "pushed down by")
        if side in said
        for part in said[side].split("; ")
    ]
    baseline = said["baseline"]
    return parts, float(baseline.split(" ", 1)[0]), float(baseline.rsplit("in all ", 1)[1].split(" ", 1)[0])


def test_score_parts_and_baseline_add_up_to_the_score_printed_beside_them(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The why's parts left out the model's constant (and the threshold the score is measured from): "pushed up by"
    and "pushed down by" of a relevant paper summed to +9, its score said 2.4, and nothing in between. The why now
    names a baseline (the constant less the review threshold) and every part: their sum is the "in all" printed,
    and the score is 1 + a quarter of it (0 at the floor), for papers over and far under the threshold."""
    printed = _printed(data_dir, _papers(tmp_path, [*RELEVANT, UNRELATED[2]]), capsys, "--json")
    for arxiv_id, result in printed.items():
        parts, baseline, total = _parts(result["why"])
        assert sum(parts) + baseline == pytest.approx(total, abs=0.01 * (len(parts) + 2)), (arxiv_id, result["why"])
        assert result["score"] == pytest.approx(max(0.0, 1 + total / 4), abs=0.01), (arxiv_id, result["why"])
    assert [printed[arxiv_id]["relevant"] for arxiv_id in RELEVANT] == [True] * 3
    assert printed[UNRELATED[2]]["score"] == 0.0 and _parts(printed[UNRELATED[2]]["why"])[2] < -4
    with pytest.raises(SystemExit):
        main(["score", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "the baseline they start from, the model's constant less the review threshold" in shown


def test_score_names_every_part_when_more_than_four_pull_one_way() -> None:
    """The why named at most four parts on each side, so with five pulling down (the keyword rules and the four
    learned parts, as a paper far off the list's words can have) the printed numbers could not add up. digest score's
    lines name them all; the other places' lines (Discord, the review page) keep to four pushing up."""
    parts = tuple((f"part {index}", -0.5 - index) for index in range(5))
    why = Why(parts=parts, baseline=(-1.0, 2.0))
    printed, baseline, total = _parts(why.lines(against=True))
    assert (len(printed), baseline) == (5, -3.0)
    assert sum(printed) + baseline == pytest.approx(total, abs=0.01) and total == pytest.approx(-15.5)
    pushing = Why(parts=tuple((name, -value) for name, value in reversed(parts)), baseline=(-1.0, 2.0))
    assert len(_parts(pushing.lines(against=True))[0]) == 5
    assert pushing.lines() == ["pushed up by: part 4 +4.50; part 3 +3.50; part 2 +2.50; part 1 +1.50"]


def test_score_explains_a_paper_naming_no_strong_term_when_the_pre_filter_is_off(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With a second tier so wide that its threshold reaches the pre-filter's one score, the pre-filter is off and
    every paper is read in full: a paper naming no strong term of the topic (2601.06959) then printed its own score,
    under both tiers, and "why": []. Its why now gives its parts and the baseline, adding up as any other's (no
    section, and no "not scored": it was)."""
    config = tmp_path / "wide.toml"
    config.write_text("[relevance]\nsecond_tier_per_week = 3000\n", encoding="utf-8")
    path = _papers(tmp_path, [UNRELATED[0]])
    (result,) = _printed(data_dir, path, capsys, "--json", config=("--config", str(config))).values()
    assert (result["tier"], result["sections"], result["score"]) == (None, [], 0.0)
    assert SKIPPED not in result["why"] and not any(line.startswith("nearest") for line in result["why"])
    parts, baseline, total = _parts(result["why"])
    assert sum(parts) + baseline == pytest.approx(total, abs=0.01 * (len(parts) + 2)) and total < -4, result["why"]
