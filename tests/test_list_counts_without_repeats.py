"""A list none of whose papers sits in two sections (most lists: a maintainer's own, as README's "Your own list" sets it
up) was counted "34 papers in 34 entries (a paper can sit in more than one section)" on its page and "Papers in the
list: 34 (in 34 entries: a paper can sit in more than one section)" in both editions of the weekly digest: two equal
numbers and a caveat that said nothing of that list. The entries and the caveat are said only when the counts differ,
as for the bundled list (68 papers in 76 entries)."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.config import Settings
from tests.config_cmd import clean_environment as clean_environment  # the fixture, shared
from tests.config_cmd import run, write
from tests.web_server import running_site, site_settings

MINE = (
    "# Awesome ViT Explainability\n\n## Attention and Attribution\n\n"
    "- [Quantifying Attention Flow in Transformers](https://arxiv.org/abs/2005.00928) - 2020.05\n"
    "- [Transformer Interpretability Beyond Attention Visualization](https://arxiv.org/abs/2012.09838) - 2020.12\n\n"
    "## Mechanistic Analysis\n\n"
    "- [Vision Transformers Need Registers](https://arxiv.org/abs/2309.16588) - 2023.09\n"
)
CAVEAT = "a paper can sit in more than one section"


def test_the_weekly_digest_of_a_list_without_repeats_counts_its_papers_alone(
    clean_environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = write(clean_environment / "mine.md", MINE)
    config = write(clean_environment / "config.toml", f'seed_list = "{mine}"\nlist_title = "Awesome ViT XAI"\n')
    options = ("--config", str(config), "--data-dir", str(clean_environment / "data"))
    for edition in ("readers", "maintainers"):
        status, text = run(capsys, *options, "weekly", "--now", "--dry-run", "--edition", edition)
        assert status == 0, text
        assert "\n- Papers in the list: **3**\n" in text and CAVEAT not in text, text
        status, email = run(capsys, *options, "weekly", "--now", "--format", "email", "--edition", edition)
        assert status == 0, email
        assert "Papers in the list:            3\n" in email and CAVEAT not in email, email


async def list_page(settings: Settings) -> str:
    async with running_site(settings) as site, site.client.get("/") as response:
        return await response.text()


@pytest.mark.asyncio
async def test_the_list_page_of_a_list_without_repeats_counts_its_papers_alone(tmp_path: Path) -> None:
    mine = write(tmp_path / "mine.md", MINE)
    page = await list_page(site_settings(tmp_path / "data", f'seed_list = "{mine}"\n'))
    assert '<p class="meta" id="counts">3 papers across 2 sections.' in page, page
    page = await list_page(site_settings(tmp_path / "bundled"))  # 68 papers in 76 entries
    assert f"entries ({CAVEAT}) across" in page, page
