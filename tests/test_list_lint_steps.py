"""Lint's findings about wrong links and order name the next step: which line to change, and to what. The "was:" notes
say what a finding said before (what was wrong, and nothing of what to do)."""

from __future__ import annotations

from digest.awesome.lint import lint_text

BADGE = "[![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)]({})"
STAR = "[![Star](https://img.shields.io/github/stars/{}.svg?style=social&label=Star)]({})"
STEPS = f"""# Steps
- [Probing](#-Probing)
- [Tools](#tool)

## 📜 Probing
+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)
  {BADGE.format("https://arxiv.org/abs/2401.00002")}

+ [Beta paper](https://arxiv.org/abs/2401.00001) (Jan. 4, 2024)
  {BADGE.format("https://openreview.net/forum?id=b")}

+ [Gamma paper](https://arxiv.org/abs/2401.00003) (Mar. 5, 2024)
  {STAR.format("x/gamma", "https://github.com/x/other")}

+ [Alpha Paper](https://arxiv.org/abs/2401.00004) (Jan. 1, 2024)

## Tools
+ [Delta tool](https://arxiv.org/abs/2401.00005) (Jan. 1, 2024)
"""


def test_each_finding_about_links_and_order_says_which_line_to_change_and_to_what() -> None:
    said = {(finding.line, finding.code): finding.message for finding in lint_text(STEPS)}
    assert said == {
        (2, "anchor-case"): "link #-Probing matches a heading only when case is ignored; write it #-probing",
        # was: "link #tool reaches no heading"
        (3, "broken-anchor"): "link #tool reaches no heading; change it to #tools",
        (6, "badge-mismatch"): "title links arXiv 2401.00001 but the arXiv badge links 2401.00002; link the paper's"
        " own ID in both (https://arxiv.org/abs/2401.00001 or https://arxiv.org/abs/2401.00002)",
        (9, "arxiv-id-conflict"): "arXiv 2401.00001 is linked from 'Beta paper' and from 'Alpha paper' (line 6); link"
        " this entry's own arXiv page, or delete it if it is the same paper",
        (9, "badge-not-arxiv"): "the arXiv badge links https://openreview.net/forum?id=b, not arXiv; link"
        " https://arxiv.org/abs/2401.00001 there",
        (12, "date-order"): "Mar. 5, 2024 is newer than Jan. 4, 2024 above it (line 9); Probing is newest first: move"
        " this entry above line 6, or the one on line 9 below it",
        (12, "star-mismatch"): "the Star badge counts x/gamma but links https://github.com/x/other; make both name"
        " one repository (stars/x/other in the image, or the link https://github.com/x/gamma)",
        (15, "duplicate-in-section"): "'Alpha Paper' is already in Probing (line 6); delete this entry or the one on"
        " line 6",
    }


def test_links_to_headings_in_emphasis_or_with_an_entity_reach_them_as_on_github() -> None:
    """GitHub makes a heading's anchor from the text it shows: '## _Papers_' is #papers, '## Probing &amp; Steering'
    #probing--steering. Lint read the marks and the entity as letters ('#_papers_', '#probing-amp-steering') and
    called the table of contents' links broken, which also stopped a publish with that edit upstream."""
    text = (
        "# X\n- [Papers](#papers)\n- [Probing](#probing--steering)\n- [Notes](#pre_training-notes)\n"
        "- [R&D](#rd-amp-tools)\n\n"
        "## _Papers_\n+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\n"
        "## Probing &amp; Steering\n+ [Beta paper](https://arxiv.org/abs/2401.00002) (Jan. 4, 2024)\n\n"
        "## pre_training __notes__\n+ [Gamma paper](https://arxiv.org/abs/2401.00003) (Jan. 3, 2024)\n\n"
        "## R&D &amp tools\n+ [Delta paper](https://arxiv.org/abs/2401.00004) (Jan. 2, 2024)\n"  # no ';': no entity
    )
    assert [(f.line, f.code) for f in lint_text(text)] == []  # was: three broken-anchor errors


def test_an_entry_without_a_link_a_title_with_markup_and_a_cut_off_end_say_what_to_do() -> None:
    text = (
        "# X\n## Papers\n+ **A** Alpha paper, link lost (Jan. 5, 2024)\n\n"
        "+ [Beta *bold* paper](https://arxiv.org/abs/2401.00002) (Jan. 4, 2024)\n\n"
        "+ [Gamma paper](https://arxiv.org/abs/2401.00003) (Jan. 3"  # cut off: a whole last line is a notice
    )
    said = {(finding.line, finding.code): finding.message for finding in lint_text(text)}
    assert said == {
        (3, "no-link"): "entry has no [Title](url) link; link its title: '+ [Title](https://arxiv.org/abs/...)'",
        (5, "title-markup"): "title contains Markdown or HTML: 'Beta *bold* paper'; put a '\\' before each mark GitHub"
        " should show as written, or take it out",
        (7, "no-final-newline"): "file ends without a line end and its last line looks cut off (a ( is not closed);"
        " check that it is whole and end it with one",
    }  # was: each without its next step
