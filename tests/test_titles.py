"""The title key every dedupe compares: accents, case, punctuation and spacing removed, whatever the title's script."""

from __future__ import annotations

import gzip
import json
import unicodedata

from sqlalchemy import String

from digest.storage.models import Candidate, Paper
from digest.titles import LOOKALIKES, TITLE_KEY_MAX, title_key
from tests.conftest import DATA_DIR


def reference_key(title: str) -> str:
    """The key by its definition, every title through Unicode decomposition (no ASCII shortcut)."""
    text = "".join(ch for ch in unicodedata.normalize("NFKD", title) if not unicodedata.combining(ch))
    text = text.casefold().translate(LOOKALIKES)
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())[:TITLE_KEY_MAX].rstrip()


def test_accents_case_and_punctuation_do_not_make_another_paper() -> None:
    assert title_key("Prisma : An Open-Source Toolkit") == title_key("prisma an open source toolkit")
    assert title_key("Éxploring Naïve Façades — in CLIP’s ViT") == "exploring naive facades in clip s vit"
    assert title_key("ＳＡＥ features") == "sae features"  # full-width letters are the letters
    assert title_key("Über_alles\u00a0 x") == "uber alles x"


def test_a_title_written_with_cyrillic_lookalikes_is_the_latin_title() -> None:
    """Cyrillic р and а in "Sparse" (and a capital А, В, М) read as the Latin letters they are drawn as: a candidate
    so titled is the list's paper, not a new one; Greek symbols stay symbols, in capitals too."""
    latin = title_key("Sparse Autoencoders Find Highly Interpretable Features in Language Models")
    lookalike = "S\u0440\u0430rse \u0410utoencoders Find Highly Interpretable Features in Language Models"
    assert title_key(lookalike) == latin
    assert title_key("\u0412ERT \u041codels") == title_key("BERT Models")
    assert title_key("Tritium $\u03b2$-decay") == title_key("TRITIUM $\u0392$-DECAY") == "tritium \u03b2 decay"
    assert title_key("\u03bd-SVM") != title_key("v-SVM")


def test_real_titles_key_as_their_definition_says() -> None:
    with gzip.open(DATA_DIR / "stream_sample.jsonl.gz", "rt", encoding="utf-8") as handle:
        titles = [json.loads(line)["title"] for line in handle]
    with (DATA_DIR / "review_papers.jsonl").open(encoding="utf-8") as handle:
        titles += [json.loads(line)["title"] for line in handle]
    titles += [title.upper() for title in titles] + [f"{title} — Ça va, naïve?" for title in titles[:50]]
    assert len(titles) > 500 and any(not title.isascii() for title in titles)
    assert [title_key(title) for title in titles] == [reference_key(title) for title in titles]


def test_a_hostile_title_is_cut_to_the_column() -> None:
    assert len(title_key("é" * 2000)) == TITLE_KEY_MAX
    for model in (Paper, Candidate):  # the columns: PostgreSQL refuses a longer key, and the feed would be blocked
        column_type = model.__table__.c.title_key.type
        assert isinstance(column_type, String) and column_type.length is not None, model.__tablename__
        assert len(title_key("é" * 2000)) <= column_type.length, model.__tablename__
    assert title_key("a " * 400 + "b" * 300) == ("a " * 400 + "b" * 300)[:TITLE_KEY_MAX].rstrip()
