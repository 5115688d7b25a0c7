"""/review's title filter answers alike on SQLite and on a PostgreSQL server made in a language's locale (ICU)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.factories import insert_candidate, real_papers
from tests.postgres_server import each_collation, icu_postgres_server  # noqa: F401  (fixtures)
from tests.web_server import SECRETS_ENV, running_site, sign_in


def shown(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<article class="candidate" id="candidate-(\d+)"', page)]


@pytest.mark.asyncio
async def test_a_title_with_letters_beyond_ascii_is_found_by_its_words_on_every_server(
    tmp_path: Path,
    each_collation: dict[str, str],  # noqa: F811
) -> None:
    """A title written with the Kelvin sign ("4 K") was found by `?title=4 k` on PostgreSQL made in en-US, whose
    lower() folds it, and not on SQLite; one with the "fi" ligature on neither, though the card's filter reads both
    as their letters. Expected: each found, by the same words, on both."""
    settings = make_settings(tmp_path / "data", environ={**SECRETS_ENV, **each_collation})
    async with running_site(settings) as site:
        papers = real_papers()
        kelvin = insert_candidate(site.database, papers[0], title="Sparse probes of a 4 \u212a quantum gas")
        ligature = insert_candidate(site.database, papers[1], title="\ufb01nite sparse dictionaries")
        await sign_in(site)
        for words, found in (("4 k quantum", [kelvin]), ("finite sparse", [ligature]), ("sparse", [kelvin, ligature])):
            async with site.client.get("/review", params={"title": words}) as reply:
                page = await reply.text()
                assert reply.status == 200, page[:300]
            assert sorted(shown(page)) == found, words
