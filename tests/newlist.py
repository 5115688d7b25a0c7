"""A second user's project: their own awesome list (retrieval-augmented generation papers, real arXiv records in
tests/data/rag_papers.jsonl), their own feeds/rules.toml and config.toml, and their list's repository as a bare git
remote, set up the way README.md and config.example.toml tell a maintainer to."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from tests.arxiv_server import ArxivServer, Reply
from tests.feedbuild import DATA_DIR, build_rss, load_records
from tests.git_remote import Remote, git, make_remote
from tests.terminal import at_terminal

ROOT = Path(__file__).resolve().parents[1]

RULES = """\
# Keyword rules for Awesome RAG Papers: the topic's two sides are retrieval and generation.
[modality]
strong = ["retrieval-augmented", "retrieval augmented", "RAG", "retriever*", "reranker*", "GraphRAG"]
weak = ["retrieval", "retrieve*", "search", "document*", "passage*", "corpus"]

[interpretability]
strong = ["large language model*", "LLM", "LLMs", "language model*", "generation", "question answering"]
weak = ["answer*", "generat*", "hallucinat*", "reasoning"]

[sections]
"Surveys" = ["survey", "review", "taxonomy"]
"Graph RAG" = ["graph*", "GraphRAG", "knowledge graph*"]
"Robustness & Security" = ["attack*", "poison*", "adversarial", "robust*"]
"Reranking & Context Compression" = ["rerank*", "compress*"]
"""


def rag_records() -> list[dict[str, Any]]:
    with (DATA_DIR / "rag_papers.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def rag_list() -> str:
    """Their README: emoji headings, a nested level, entries `- [Title](abs link) - YYYY.MM`, newest first."""
    records = [record for record in rag_records() if record["section"]]
    lines = ["# Awesome RAG Papers", "", "> Papers on Retrieval-Augmented Generation.", ""]
    for heading in ("## 📚 Surveys", "## 🔍 Retrieval", "### Reranking & Context Compression", "## 🕸️ Graph RAG",
                    "## 🛡️ Robustness & Security"):  # fmt: skip
        lines += [heading, ""]
        for record in (r for r in records if heading.endswith(r["section"])):
            year, month, _ = record["published"].split("-")
            lines.append(f"- [{record['title']}](https://arxiv.org/abs/{record['arxiv_id']}) - {year}.{month}")
        lines.append("")
    return "\n".join([*lines, "## Contributing", "", "Pull requests welcome.", ""])


def rag_feed(day: date) -> bytes:
    """A day's cs.CL feed: the RAG papers not in their list among unrelated real papers."""
    new = [{**record, "categories": ["cs.CL"]} for record in rag_records() if not record["section"]]
    return build_rss("cs.CL", [*load_records()[:20], *new], day)


@dataclass
class Project:
    root: Path
    config: Path
    remote: Remote

    def digest(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`digest --config config.toml ARGS`, run as the maintainer runs it, from their project folder."""
        return subprocess.run(self._command(*args), cwd=self.root, env=self._env(), capture_output=True, text=True,
                              check=False)  # fmt: skip

    def digest_at_terminal(self, *args: str) -> tuple[subprocess.CompletedProcess[str], str]:
        """The same typed at a terminal: the command, and what it wrote there (its log; quiet off a terminal)."""
        return at_terminal(self._command(*args), self.root, self._env())

    def _command(self, *args: str) -> list[str]:
        python = ROOT / ".venv" / "bin" / "python"
        return [str(python if python.exists() else sys.executable), "-m", "digest", "--config", "config.toml", *args]

    def _env(self) -> dict[str, str]:
        return {"PATH": "/usr/bin:/bin", "HOME": str(self.root), "PYTHONPATH": str(ROOT)}


def make_project(root: Path, api_url: str = "http://127.0.0.1:9/api/query", readme: str | None = None) -> Project:
    """Their project folder and list repository; `readme`, their list as written (else rag_list's)."""
    remote = make_remote(root)
    (remote.work / "README.md").write_text(rag_list() if readme is None else readme, encoding="utf-8")
    git(remote.work, "add", "README.md")
    git(remote.work, "commit", "--quiet", "-m", "Awesome RAG papers")
    git(remote.work, "push", "--quiet", "origin", "HEAD:main")
    project = root / "rag"
    (project / "feeds").mkdir(parents=True)
    (project / "feeds" / "rules.toml").write_text(RULES, encoding="utf-8")
    (project / "feeds" / "sources.toml").write_text('feeds = ["https://rss.arxiv.org/rss/cs.CL"]\n', encoding="utf-8")
    (project / "config.toml").write_text(
        f'data_dir = "./data"\nfeeds_dir = "feeds"\nseed_list = "{remote.work / "README.md"}"\n'
        f'list_title = "Awesome RAG Papers"\n[arxiv]\ncontact = "rita@example.org"\napi_url = "{api_url}"\n'
        # The polls name a loopback stand-in (--source): not arXiv's 3 s between requests, which sources.toml's
        # arxiv.org would require.
        'sources = ["http://127.0.0.1:9/rss/cs.CL"]\nmin_interval_seconds = 0\n'
        f'max_retries = 0\n[publish]\nrepository = "{remote.url}"\n',
        encoding="utf-8",
    )
    return Project(project, project / "config.toml", remote)


def rag_api_answer(arxiv_ids: list[str]) -> bytes:
    """The arXiv API's Atom answer to an `id_list` query for these of the records (their real titles and abstracts)."""
    by_id = {record["arxiv_id"]: record for record in rag_records()}
    entries = "".join(
        f"""  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}v1</id>
    <title>{escape(by_id[arxiv_id]["title"])}</title>
    <updated>{by_id[arxiv_id]["published"]}T00:00:00Z</updated>
    <link href="https://arxiv.org/abs/{arxiv_id}v1" rel="alternate" type="text/html"/>
    <summary>{escape(by_id[arxiv_id]["abstract"])}</summary>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <published>{by_id[arxiv_id]["published"]}T00:00:00Z</published>
    <arxiv:primary_category term="cs.CL"/>
    <author><name>A. Author</name></author>
  </entry>
"""
        for arxiv_id in arxiv_ids
        if arxiv_id in by_id
    )
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" \
xmlns="http://www.w3.org/2005/Atom">
  <id>https://arxiv.org/api/rag</id>
  <title>arXiv Query</title>
  <updated>2026-01-15T00:00:00Z</updated>
  <opensearch:itemsPerPage>100</opensearch:itemsPerPage>
  <opensearch:totalResults>{entries.count("<entry>")}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
{entries}</feed>
""".encode()


def polled(project: Project) -> str:
    """`digest poll --source` of a local arXiv serving rag_feed's day (15 January 2026), run as the maintainer runs it;
    what it printed (it must succeed)."""

    async def serve_and_poll() -> str:
        async with ArxivServer() as server:
            server.program("/rss/cs.CL", Reply(body=rag_feed(date(2026, 1, 15))))
            done = await asyncio.to_thread(project.digest, "poll", "--source", server.url("/rss/cs.CL"))
        assert done.returncode == 0, done.stderr
        return done.stdout

    return asyncio.run(serve_and_poll())
