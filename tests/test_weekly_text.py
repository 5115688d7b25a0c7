"""The one-line summary the weekly digest gives each paper, on real abstracts (from QA)."""

from __future__ import annotations

import json

import pytest

from digest.weekly.issue import one_line_summary
from tests.conftest import DATA_DIR


def abstract_of(arxiv_id: str) -> str:
    for line in (DATA_DIR / "relevance_haystack_sample.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("arxiv_id") == arxiv_id:
            return str(record["abstract"])
    raise AssertionError(arxiv_id)


def test_a_first_sentence_holding_i_e_is_not_cut_there() -> None:
    """A real abstract (2405.11706) reads '... of an enterprise SQL database (i.e. Text-to-SPARQL), achieve ...': the
    digest's summary was 'There is increasing evidence ... of an enterprise SQL database (i.e.', a sentence cut at
    an abbreviation with its bracket left open. Expected: the sentence goes on past it (cut at a word if too long)."""
    summary = one_line_summary(abstract_of("2405.11706"))
    assert not summary.endswith("(i.e."), summary
    assert "(i.e. Text-to-SPARQL), achieve" in summary


@pytest.mark.parametrize("abbreviation", ["e.g.", "i.e.", "et al.", "cf.", "vs.", "Fig.", "Eq."])
def test_no_common_abbreviation_ends_the_first_sentence(abbreviation: str) -> None:
    abstract = f"We study how vision encoders, {abbreviation} CLIP and SigLIP, store colour. Then we steer them."
    assert one_line_summary(abstract) == abstract.split(" Then")[0]
