"""The matched terms marked in a candidate's abstract, on /review and on the page an approval link opens, as the bundled
rules write them: most are prefixes ("sparse autoencoder*") or hyphenated ("vision-language model*"), and the rules
match "vision language models" and "vision-language models" alike."""

from __future__ import annotations

import re

import pytest

from digest.relevance.rules import load_rules
from digest.relevance.terms import Words
from digest.relevance.why import Why
from tests.factories import insert_candidate, real_papers
from tests.web_pages import card, review
from tests.web_server import SECRETS_ENV, Site, approval_links, sign_in


def _rules_terms(site: Site, text: str) -> list[str]:
    """The terms the bundled rules find in `text`, as a poll stores them with the candidate."""
    rules = load_rules(site.settings.feeds_dir)
    return list(dict.fromkeys(term for found in rules.find(Words.of(text)) for term in found))


def _listed(page: str) -> str:
    found = re.search(r"<li>matched: (.*?)</li>", page, re.S)
    assert found is not None, page
    return found.group(1)


def _marked(page: str) -> list[str]:
    folded = page[page.index('<details class="abstract">') : page.index("</details>")]
    return [" ".join(text.split()).casefold() for text in re.findall(r"<mark>(.*?)</mark>", folded, re.S)]


@pytest.mark.asyncio
async def test_prefix_and_hyphenated_terms_are_marked_in_the_abstract_on_review_and_approval_pages(site: Site) -> None:
    """A maintainer on /review saw only "SAE", "CLIP" and "We find" marked in an abstract whose matched terms were
    listed under it as "sparse autoencoder*, vision transformer*, neuron*, internal mechanism*": a term ending in "*"
    (most of the bundled rules) was looked for with its "*", so it never marked anything. Each is marked now, with
    the ending the abstract gives it, and a hyphen matches a space as the rules match it."""
    clip, lvlm = real_papers()[1], real_papers()[0]
    ids = []
    for paper, score in ((clip, 2.0), (lvlm, 1.5)):
        matched = _rules_terms(site, paper["abstract"])
        assert any(term.endswith("*") for term in matched)  # the bundled rules' own prefixes
        ids.append(insert_candidate(site.database, paper, matched=matched, score=score))
    await sign_in(site)
    page = await review(site)
    marked = _marked(card(page, ids[0]))
    for shown in ("sparse autoencoders", "vision transformer", "neurons", "internal mechanisms", "sae", "clip"):
        assert shown in marked, (shown, marked)
    assert "vision-language models" in _marked(card(page, ids[1]))
    async with site.client.get("/feeds/candidates.xml", params={"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}) as feed:
        links = approval_links(await feed.text())
    async with site.client.get(links[0][0]) as opened:  # the feed's first item: the best score, the CLIP paper
        assert opened.status == 200
        approval_page = await opened.text()
    assert f"arXiv:{clip['arxiv_id']}" in approval_page
    assert {"sparse autoencoders", "neurons", "internal mechanisms"} <= set(_marked(approval_page))
    assert site.status_of(ids[0]) == "pending"


@pytest.mark.asyncio
async def test_the_matched_line_lists_every_term_marked_in_the_abstract(site: Site) -> None:
    """A card's "matched:" line listed the first 8 of 18 terms while the abstract marked all of them ("We find" marked,
    not listed): a maintainer could not tell why a word was marked. The card lists every term it marks, on /review and
    on an approval link's page; the shorter places (Discord, the weekly digest) say how many more matched."""
    paper = real_papers()[1]
    matched = _rules_terms(site, paper["title"] + " " + paper["abstract"])
    assert len(matched) > 8 and "we find" in matched
    candidate_id = insert_candidate(site.database, paper, matched=matched, why=Why(tuple(matched)).to_json())
    await sign_in(site)
    async with site.client.get("/feeds/candidates.xml", params={"token": SECRETS_ENV["DIGEST_FEED_TOKEN"]}) as feed:
        links = approval_links(await feed.text())
    async with site.client.get(links[0][0]) as opened:
        approval_page = await opened.text()
    for page in (card(await review(site), candidate_id), approval_page):
        assert _listed(page) == ", ".join(matched)
        assert "we find" in _marked(page)
    assert Why(tuple(matched)).lines()[0] == f"matched: {', '.join(matched[:8])} and {len(matched) - 8} more"
