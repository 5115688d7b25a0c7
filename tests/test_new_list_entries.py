"""A maintainer whose list writes its entries title or authors first ('1. **Title.** *Authors.* Venue 2024.
[[paper](url)] [[code](url)]', '* Lin et al. **Title**. *ICCV*, 2025. [arXiv](url)') approves papers into it from the
command line and publishes: each new entry reads as its section's entries do. "was:" notes say what it wrote before."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest

from tests.arxiv_server import ArxivServer, Reply
from tests.feedbuild import build_rss, load_records
from tests.newlist import Project, make_project, rag_records

AUTHORS = {
    "2504.08748": ["Lang Mei", "Siyu Mo", "Zhihan Yang", "Chong Chen"],
    "2507.05633": ["Yiqiao Jin", "Kartik Sharma", "Vineeth Rakesh", "Yingtong Dou", "Srijan Kumar"],
    "2512.09487": ["Yucan Guo", "Miao Su", "Saiping Guan", "Zihao Sun", "Xueqi Cheng"],
}
CODE = {"2507.05633": "https://github.com/sara-rag/sara"}
SURVEY, SARA, ROUTE = (next(r for r in rag_records() if r["arxiv_id"] == arxiv_id) for arxiv_id in AUTHORS)

# Numbered, the title in bold then the authors, the venue and year, bracketed links (a preprint's venue 'arXiv');
# in Graph RAG the authors' initials and the first two of them, then 'et al.'.
TITLE_FIRST = """\
# Awesome RAG Papers

## Surveys

1. **Towards Agentic RAG with Deep Reasoning: A Survey of RAG-Reasoning Systems in LLMs.** \
*Yangning Li, Weizhi Zhang.* EMNLP 2025. [[paper](https://arxiv.org/abs/2507.09477)] [[code](https://github.com/DavidZWZ/Awesome-RAG-Reasoning)]
2. **Reasoning RAG via System 1 or System 2.** *Jintao Liang, Gang Su, Huifeng Lin.* arXiv 2025. \
[[paper](https://arxiv.org/abs/2506.10408)]

## Graph RAG

1. **When to Trust: A Causality-Aware Calibration Framework**. J. Smith, K. Lee, et al. ACL 2026. \
[[pdf](https://arxiv.org/pdf/2601.09241)]
2. **Reliable Graph-RAG for Codebases**. M. Park, R. Chen, et al. ICSE 2026. [[pdf](https://arxiv.org/pdf/2601.08773)]
3. **A Navigational Approach for Comprehensive RAG**. T. Wu. SIGIR 2026. [[pdf](https://arxiv.org/pdf/2601.04859)]
"""

# Authors first, their surnames and 'et al.', the venue in italics, the paper linked by where it is; no preprints.
AUTHORS_FIRST = """\
# Awesome RAG Papers

## Reranking & Context Compression

* Li et al. **ArcAligner: Adaptive Recursive Aligner for Compressed Context Embeddings in RAG**. *ACL*, 2026. \
[arXiv](https://arxiv.org/abs/2601.05038)
* Cao et al. **LLavaCode: Compressed Code Representations**. *ICSE*, 2026. \
[OpenReview](https://openreview.net/forum?id=x1) [code](https://github.com/llavacode/llavacode)
* Luo et al. **AttnComp: Attention-Guided Adaptive Context Compression**. *EMNLP*, 2025. \
[arXiv](https://arxiv.org/abs/2509.17486) [code](https://github.com/attncomp/attncomp)

## Graph RAG

* Smith et al. **When to Trust: A Causality-Aware Calibration Framework**. *ACL*, 2026. \
[arXiv](https://arxiv.org/abs/2601.09241)
* Park et al. **Reliable Graph-RAG for Codebases**. *ICSE*, 2026. [arXiv](https://arxiv.org/abs/2601.08773)
"""

# The title in bold, then its links labelled by what they lead to, each label in brackets: the way many paper
# lists write entries.
BOLD_THEN_LABELLED = """\
# Awesome RAG Papers

## Surveys

- **Towards Agentic RAG with Deep Reasoning** [[paper]](https://arxiv.org/abs/2507.09477) \
[[code]](https://github.com/DavidZWZ/Awesome-RAG-Reasoning)
- **Reasoning RAG via System 1 or System 2** [[paper]](https://arxiv.org/abs/2506.10408)
"""

# A section of one entry, the list's entries written with no blank line between them.
ONE_ENTRY = AUTHORS_FIRST.replace(
    "* Park et al. **Reliable Graph-RAG for Codebases**. *ICSE*, 2026. [arXiv](https://arxiv.org/abs/2601.08773)\n", ""
)


def _feed() -> bytes:
    """The day's cs.CL feed: unrelated real papers, and the three with their authors (and SARA's code) given."""
    new = [
        {**record, "categories": ["cs.CL"], "authors": AUTHORS[record["arxiv_id"]],
         "abstract": record["abstract"] + (f" Code: {CODE[record['arxiv_id']]}" if record["arxiv_id"] in CODE else "")}
        for record in (SURVEY, SARA, ROUTE)
    ]  # fmt: skip
    return build_rss("cs.CL", [*load_records()[:20], *new], date(2026, 1, 15))


async def _poll(project: Project) -> None:
    async with ArxivServer() as server:
        server.program("/rss/cs.CL", Reply(body=_feed()))
        done = await asyncio.to_thread(project.digest, "poll", "--source", server.url("/rss/cs.CL"))
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("readme", "approvals", "lines"),
    [
        (
            TITLE_FIRST,
            [(SURVEY, "surveys"), (ROUTE, "graph rag")],
            [  # was: '3. [A Survey of Multimodal Retrieval-Augmented Generation](https://arxiv.org/abs/2504.08748)'
                f"3. **{SURVEY['title']}.** *Lang Mei, Siyu Mo, Zhihan Yang, Chong Chen.* arXiv 2026."
                " [[paper](https://arxiv.org/abs/2504.08748)]\n",
                f"4. **{ROUTE['title']}**. Y. Guo, M. Su, et al. arXiv 2026. [[pdf](https://arxiv.org/abs/2512.09487)]\n",
            ],
        ),
        (
            AUTHORS_FIRST,
            [(SARA, "compression"), (ROUTE, "graph rag")],
            [  # was: '* [SARA: ...](https://arxiv.org/abs/2507.05633)', its code link on a line of its own
                f"* Jin et al. **{SARA['title']}**. 2026. [arXiv](https://arxiv.org/abs/2507.05633)"
                " [code](https://github.com/sara-rag/sara)\n",
                f"* Guo et al. **{ROUTE['title']}**. 2026. [arXiv](https://arxiv.org/abs/2512.09487)\n",
            ],
        ),
        (  # was: a blank line after it, a section of one entry telling no habit of its own
            ONE_ENTRY,
            [(ROUTE, "graph rag")],
            [f"* Guo et al. **{ROUTE['title']}**. 2026. [arXiv](https://arxiv.org/abs/2512.09487)\n"],
        ),
        (
            BOLD_THEN_LABELLED,
            [(SURVEY, "surveys"), (SARA, "surveys")],
            [  # was: '- [A Survey of Multimodal Retrieval-Augmented Generation](https://arxiv.org/abs/2504.08748)'
                f"- **{SURVEY['title']}** [[paper]](https://arxiv.org/abs/2504.08748)\n",
                f"- **{SARA['title']}** [[paper]](https://arxiv.org/abs/2507.05633)"
                " [[code]](https://github.com/sara-rag/sara)\n",
            ],
        ),
    ],
    ids=["title-first", "authors-first", "one-entry-section", "bold-title-labelled-links"],
)
def test_an_approved_paper_is_written_title_or_authors_first_as_its_section_is(
    tmp_path: Path, readme: str, approvals: list[tuple[dict[str, str], str]], lines: list[str]
) -> None:
    project = make_project(tmp_path, readme=readme)
    asyncio.run(_poll(project))
    for record, section in approvals:
        approved = project.digest("approve", record["arxiv_id"], "--section", section)
        assert approved.returncode == 0, approved.stderr
    listed = (project.root / "data" / "list.md").read_text(encoding="utf-8")
    published = project.digest("publish")
    assert published.returncode == 0, published.stderr
    assert project.remote.readme() == listed
    rest = listed
    for line in lines:
        assert line in listed
        rest = rest.replace(line, "", 1)
    assert rest == readme  # the rest of the list as it was
    linted = project.digest("list", "lint", str(project.root / "data" / "list.md"))
    assert linted.returncode == 0 and "0 errors" in linted.stdout, linted.stdout  # read back as entries of the list
