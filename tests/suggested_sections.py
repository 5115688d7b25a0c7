"""The set-up of the tests of suggested sections after the list changed: the list with sections renamed, repeated
and taken out, second-tier candidates suggested for them, the list as served, a section or year block of it, and the
suggestion as a Discord embed shows it."""

from __future__ import annotations

from pathlib import Path

from digest.cli import main
from tests.factories import insert_candidate, real_papers
from tests.list_edits import repeated_probing
from tests.web_server import Site


def suggested_field(embed: dict[str, object]) -> str:
    fields = embed["fields"]
    assert isinstance(fields, list)
    value = next(field["value"] for field in fields if field["name"] == "Suggested section")
    return str(value).replace("\\", "")  # Discord Markdown's escapes taken out, as Discord shows it


def edited_list(data_dir: Path, tmp_path: Path) -> Path:
    """The data folder's list with Steering renamed, a Probing in a block of its own beside the first, and Attention's
    heading taken out (its papers now under the section above it)."""
    assert main(["--data-dir", str(data_dir), "list", "export", "-o", str(tmp_path / "before.md")]) == 0
    lines = repeated_probing((tmp_path / "before.md").read_text(encoding="utf-8"), "Probing", "2024").split("\n")
    steering = next(n for n, line in enumerate(lines) if line.startswith("### ") and line.strip().endswith("Steering"))
    lines[steering] = "### Activation Steering"
    del lines[next(n for n, line in enumerate(lines) if line.startswith("### ") and line.endswith(" Attention"))]
    edited = tmp_path / "edited.md"
    edited.write_text("\n".join(lines), encoding="utf-8")
    return edited


def in_2024_block(markdown: str) -> str:
    block = markdown.split("\n## 2024\n", 1)[1]
    return block.split("\n## ", 1)[0]


def in_section(markdown: str, heading: str) -> str:
    start = markdown.index(f"### {heading}\n")
    return markdown[start:].split("\n#", 1)[0]


async def listed(site: Site) -> str:
    async with site.client.get("/list.md") as reply:
        assert reply.status == 200
        return await reply.text()


def worth_a_look(site: Site, data_dir: Path, tmp_path: Path, suggested: list[str]) -> list[int]:
    """Second-tier candidates first seen now (scored 0.93, 0.92, ...), the n-th suggested for `suggested[n]`; then the
    list edited and imported as in `suggested_for`."""
    papers = real_papers()
    seen = {"first_seen_at": site.clock(), "updated_at": site.clock(), "relevant": False}
    ids = [
        insert_candidate(site.database, papers[n], score=0.93 - n / 100, suggested_section=name, **seen)
        for n, name in enumerate(suggested)
    ]
    assert main(["--data-dir", str(data_dir), "list", "import", str(edited_list(data_dir, tmp_path))]) == 0
    return ids
