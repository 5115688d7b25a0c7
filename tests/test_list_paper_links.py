"""A year of maintainers' edits to how the list links its papers (a Hugging Face papers page, an alphaXiv or ar5iv
mirror, an arXiv ID written in the text or upper-case, a link only in a comment or code), through import, the poll's
dedupe against the list and approval. Tables are in test_list_paper_links_tables.py, headings and line ends in
test_list_paper_links_headings.py. Each test names the shape; the "was:" notes say what the list did before.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select, update

from digest.arxiv.poll_pass import run_poll
from digest.awesome import store as liststore
from digest.awesome.reading import META_KEY
from digest.service.wiring import open_service_database
from digest.storage.models import Candidate, ListMeta, Paper
from tests.arxiv_server import ArxivServer, FakeClock, Reply
from tests.feedbuild import build_rss, load_records
from tests.list_edits import NOW, markdown
from tests.list_polls import RELEVANT, arxiv_ids, poll_relevant
from tests.list_polls import polled_list as polled_list  # the fixture

# 1. A paper linked by its Hugging Face papers page, its alphaXiv page or its ar5iv rendering (the pages people share
# now) was a paper without an arXiv ID: a title written shorter than arXiv's was suggested again by every poll.
MIRRORS = (
    "# Awesome X\n\n## Papers\n\n"
    "+ [Line of Sight](https://huggingface.co/papers/2506.04706) (Jun. 5, 2025)\n\n"
    "+ [Linear structure of VLM embeddings](https://www.alphaxiv.org/abs/2504.11695v2) (Apr. 16, 2025)\n\n"
    "+ [Textual steering vectors](https://ar5iv.labs.arxiv.org/html/2505.14071) (May 20, 2025)\n"
)


@pytest.mark.asyncio
async def test_papers_linked_by_their_hugging_face_alphaxiv_or_ar5iv_page_are_not_suggested_again(
    polled_list: Any,
) -> None:
    settings, database = polled_list(MIRRORS)
    assert markdown(database, settings) == MIRRORS
    assert arxiv_ids(database) == {
        "Line of Sight": "2506.04706",
        "Linear structure of VLM embeddings": "2504.11695",
        "Textual steering vectors": "2505.14071",
    }  # was: None each
    assert await poll_relevant(settings, database) == (3, [])  # was: (0, all three suggested again)
    with database.reading() as session:
        assert set(RELEVANT) <= liststore.known_keys(session).arxiv_ids


def test_a_list_stored_before_mirror_links_were_read_gets_their_arxiv_ids_when_the_database_is_next_opened(
    polled_list: Any,
) -> None:
    settings, database = polled_list(MIRRORS)
    with database.transaction() as session:  # as the release before this one stored the list
        session.execute(update(Paper).values(arxiv_id=None))
        session.execute(delete(ListMeta).where(ListMeta.key == META_KEY))
    database.dispose()
    reopened = open_service_database(settings)
    try:
        assert set(arxiv_ids(reopened).values()) == set(RELEVANT)  # was: None each, until the entries were edited
        assert markdown(reopened, settings) == MIRRORS
    finally:
        reopened.dispose()


# 4. A paper linked by its OpenReview or venue page with its arXiv ID written beside the link ('arXiv:2506.04706'):
# no arXiv ID, so a title written shorter than arXiv's was suggested again.
ID_IN_TEXT = (
    "# Awesome X\n\n## Papers\n\n"
    "+ [Line of Sight](https://openreview.net/forum?id=line0sight) arXiv:2506.04706 (Jun. 5, 2025)\n\n"
    "+ [Linear structure of VLM embeddings](https://proceedings.mlr.press/v267/vlm.html) (arXiv 2504.11695v2)"
    " (Apr. 16, 2025)\n\n"
    "+ [Textual steering vectors](https://openreview.net/forum?id=steer) (May 20, 2025)\n"
    "  Not to be confused with arXiv:2505.14071, which it extends.\n"
)


@pytest.mark.asyncio
async def test_a_paper_with_its_arxiv_id_written_beside_its_link_is_not_suggested_again(polled_list: Any) -> None:
    settings, database = polled_list(ID_IN_TEXT)
    assert markdown(database, settings) == ID_IN_TEXT
    assert arxiv_ids(database) == {
        "Line of Sight": "2506.04706",
        "Linear structure of VLM embeddings": "2504.11695",
        "Textual steering vectors": None,  # an ID in a note under the entry is not the entry's own
    }  # was: None each
    assert await poll_relevant(settings, database) == (2, ["2505.14071"])  # was: (0, all three suggested again)


# 6. Papers the list holds in lines it does not read as entries (a title in plain text before a '[[Paper]]' link, a
# paper linked by its arXiv DOI): the poll suggested them again, though the maintainers had listed them.
TEXT_SHAPED = (
    "# Awesome X\n\n## Papers\n\n"
    "+ [Line of Sight](https://arxiv.org/abs/2506.04706) (Jun. 5, 2025)\n\n"
    "- Interpreting the linear structure of VLM embeddings. *A. Author et al.* ICML 2025."
    " [[Paper]](https://arxiv.org/abs/2504.11695)\n"
    "- Textual steering vectors, NeurIPS 2025 [[paper](https://doi.org/10.48550/arXiv.2505.14071)]\n"
)


@pytest.mark.asyncio
async def test_papers_the_list_links_outside_its_entries_are_not_suggested_again(polled_list: Any) -> None:
    settings, database = polled_list(TEXT_SHAPED)
    assert markdown(database, settings) == TEXT_SHAPED
    assert await poll_relevant(settings, database) == (3, [])  # was: (1, the other two suggested again)


# 13. An old-style arXiv ID linked upper-case ('arxiv.org/abs/HEP-TH/9901001', which arXiv serves as hep-th/9901001):
# the list held the paper under 'HEP-TH/9901001', so the poll's 'hep-th/9901001' suggested it again and `digest add`
# of it (or of the address as written in the list) fetched it to approve it a second time.
OLD_STYLE_UPPER = (
    "# Awesome X\n\n## Papers\n\n"
    "+ [Line of Sight](https://arxiv.org/abs/2506.04706) (Jun. 5, 2025)\n\n"
    "+ [Old strings](https://arxiv.org/abs/HEP-TH/9901001v2) (Jan. 5, 1999)\n\n"
    "+ [Knots of old](https://arxiv.org/pdf/MATH.gt/0309136) (Sep. 8, 2003)\n"
)


@pytest.mark.asyncio
async def test_an_old_style_id_linked_upper_case_is_the_paper_arxiv_names_lower_case(
    polled_list: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from digest.cli import main

    settings, database = polled_list(OLD_STYLE_UPPER)
    assert markdown(database, settings) == OLD_STYLE_UPPER  # the list keeps its bytes
    assert arxiv_ids(database) == {
        "Line of Sight": "2506.04706",
        "Old strings": "hep-th/9901001",
        "Knots of old": "math.GT/0309136",
    }  # was: 'HEP-TH/9901001' and 'MATH.gt/0309136'
    by_id = {record["arxiv_id"]: record for record in load_records()}
    old = {**by_id[RELEVANT[0]], "arxiv_id": "hep-th/9901001"}  # a relevant text under the old-style ID
    body = build_rss("cs.CV", [by_id[RELEVANT[0]], old], NOW.date())
    async with ArxivServer() as server:
        url = server.program("/rss/cs.CV", Reply(body=body))
        summary = await run_poll(settings, database, sources=[url], clock=FakeClock())
    with database.reading() as session:
        assert list(session.scalars(select(Candidate.arxiv_id))) == []  # was: ['hep-th/9901001'] suggested again
    assert summary.sources[0].already_known == 2
    for given in ("HEP-TH/9901001", "https://arxiv.org/abs/HEP-TH/9901001v2"):
        capsys.readouterr()
        assert main(["--data-dir", str(settings.data_dir), "add", given]) == 1
        # was: exit 2, "'HEP-TH/9901001' is not an arXiv ID or URL" (and lower-case, fetched to be added again)
        assert "hep-th/9901001 is already in the list (Papers); nothing was added" in capsys.readouterr().err


def test_a_list_stored_with_an_upper_case_old_style_id_has_it_lower_case_when_the_database_is_next_opened(
    polled_list: Any,
) -> None:
    settings, database = polled_list(OLD_STYLE_UPPER)
    with database.transaction() as session:  # as the release before this one stored the list
        session.execute(update(Paper).where(Paper.title == "Old strings").values(arxiv_id="HEP-TH/9901001"))
        session.execute(update(ListMeta).where(ListMeta.key == META_KEY).values(value="5"))
    database.dispose()
    reopened = open_service_database(settings)
    try:
        assert arxiv_ids(reopened)["Old strings"] == "hep-th/9901001"  # was: 'HEP-TH/9901001' until it was edited
        assert markdown(reopened, settings) == OLD_STYLE_UPPER
    finally:
        reopened.dispose()


# 14. Papers the list names only where GitHub shows nothing of them: an entry commented out ('link is dead: put back
# once the paper is on arXiv'), a link in a note's HTML comment, an example entry in a code block or a code span.
# The poll counted them among the list's papers and never suggested them; only what the list shows is listed.
HIDDEN_LINKS = (
    "# Awesome X\n\nAdd a paper as `+ [Title](https://arxiv.org/abs/2505.14071) (date)`:\n\n"
    "```markdown\n+ [Title](https://arxiv.org/abs/2505.14071) (May 20, 2025)\n```\n\n## Papers\n\n"
    "+ [Line of Sight](https://arxiv.org/abs/2506.04706) (Jun. 5, 2025) <!-- https://arxiv.org/abs/2504.11695 -->\n\n"
    "<!-- link is dead: put back once the paper is on arXiv\n"
    "+ [Linear structure of VLM embeddings](https://arxiv.org/abs/2504.11695) (Apr. 16, 2025)\n-->\n"
)


@pytest.mark.asyncio
async def test_papers_the_list_links_only_in_comments_or_code_are_suggested(polled_list: Any) -> None:
    settings, database = polled_list(HIDDEN_LINKS)
    assert markdown(database, settings) == HIDDEN_LINKS
    # was: (3, []), the two hidden papers dropped as already listed
    assert await poll_relevant(settings, database) == (1, ["2504.11695", "2505.14071"])
