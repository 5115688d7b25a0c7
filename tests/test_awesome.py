"""Parsing and linting the awesome-list Markdown (pure): the seed list's real findings and small crafted files."""

from __future__ import annotations

import re

import pytest

from digest.awesome.entry import escape_text, safe_url
from digest.awesome.lint import Finding, github_anchor, lint_bytes, lint_text
from digest.awesome.matching import SectionKeys, matched_sections, renamed_papers
from digest.awesome.parse import ListFormatError, is_entry_line, parse_bytes, parse_list, split_lines
from digest.resources import seed_list_path

SEED = seed_list_path().read_bytes()


def findings_by_code(findings: list[Finding]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for finding in findings:
        found.setdefault(finding.code, []).append(finding.line)
    return found


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(split_lines(text), start=1) if needle in line)


def test_seed_pieces_join_back_to_the_same_bytes_including_the_mojibake() -> None:
    parsed = parse_bytes(SEED, "seed")
    assert parsed.joined().encode("utf-8") == SEED
    assert "üìö" in SEED.decode("utf-8")  # the emoji mojibake is really there, and survived


def test_seed_counts_match_a_plain_regex_count() -> None:
    text = SEED.decode("utf-8")
    parsed = parse_list(text)
    assert len(parsed.sections) == len(re.findall(r"^#{1,6} ", text, re.MULTILINE))
    entries = [e for s in parsed.sections for e in s.entries]
    assert len(entries) == len(re.findall(r"^\+ ", text, re.MULTILINE)) == 72
    title_ids = set(re.findall(r"^\+ .*?\]\(https://(?:www\.)?arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{5})\)", text, re.M))
    assert {e.arxiv_id for e in entries if e.arxiv_id} == title_ids
    names = [s.name for s in parsed.sections if s.entries]
    assert names[:3] == ["Surveys", "Blog", "Input-level Attribution"] and names[-1] == "Tool"


def test_seed_entry_keeps_every_identifier() -> None:
    parsed = parse_bytes(SEED, "seed")
    entry = next(e for s in parsed.sections for e in s.entries if e.short_name == "Token Activation Map for VLLM")
    assert entry.title == "Token Activation Map to Visually Explain Multimodal LLMs"
    assert (entry.arxiv_id, entry.badge_arxiv_id) == ("2411.16198", "2506.23270")
    assert entry.code_url == "https://github.com/xmed-lab/TAM"
    assert entry.date_text == "Apr. 4, 2025" and str(entry.published) == "2025-04-04"
    probing = next(e for s in parsed.sections for e in s.entries if "Numbers in Vision" in (e.title or ""))
    assert probing.url == "https://openreview.net/forum?id=01hQQ16Lc9M" and probing.arxiv_id is None


def test_seed_lint_reports_the_known_problems_with_their_lines() -> None:
    text = SEED.decode("utf-8")
    found = findings_by_code(lint_bytes(SEED, "seed"))
    vps = line_of(text, "Interpreting Object-level Foundation Models via Visual Precision Search")
    tam = line_of(text, "Token Activation Map to Visually Explain")
    intrepret = line_of(text, "LVLM-Intrepret: An Interpretability Tool")
    assert found["arxiv-id-conflict"] == [vps, intrepret]
    assert found["badge-mismatch"] == [
        tam,
        vps,
        line_of(text, "Where do Large Vision-Language Models Look"),
        line_of(text, "LVLM-Interpret: an interpretability tool"),
    ]
    blog_repeat = [n for n, line in enumerate(split_lines(text), 1) if "Case Study: Interpreting, Manipulating" in line]
    assert blog_repeat[1] in found["duplicate-in-section"]
    probing_repeat = [n for n, line in enumerate(split_lines(text), 1) if "A Probing Perspective](" in line]
    assert probing_repeat[1] in found["duplicate-in-section"]
    assert blog_repeat[0] in found["date-order"]  # Aug. 2, 2025 below Oct. 28, 2024
    assert found["anchor-case"] == [line_of(text, "(#-Contribution)"), line_of(text, "(#Table-of-Contents)")]
    assert "broken-anchor" not in found and "malformed-url" not in found
    assert found["mojibake"] == [1]


CRAFTED = """# Crafted list
## Table of Contents
- [Probing](#-probing)
- [Nowhere](#-no-such-heading)

## 📜 Probing
+ **A** [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)
  [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/2401.00002)

+ **B** [Beta paper](https://arxiv.org/abs/2401.00001) (Mar. 5, 2024)

+ **A again** [Alpha Paper](https://arxiv.org/abs/2402.00003) (Feb. 1, 2023)

+ **C** [Gamma paper](javascript:alert(1)) (Jan. 1, 2023)

+ **D** [Delta paper](https://arxiv.org/abs/24) (Jan. 1, 2023)

+ **E** Epsilon paper with no link (Jan. 1, 2022)

+ **F** [Zeta <script>alert(1)</script> **bold**](https://example.org/zeta) (Sep. 31, 2021)
"""


def test_crafted_list_each_check_fires_on_its_line() -> None:
    findings = lint_text(CRAFTED)
    found = findings_by_code(findings)
    assert found["broken-anchor"] == [line_of(CRAFTED, "#-no-such-heading")]
    assert found["badge-mismatch"] == [line_of(CRAFTED, "**A** [Alpha")]
    assert found["arxiv-id-conflict"] == [line_of(CRAFTED, "**B**")]
    assert found["date-order"] == [line_of(CRAFTED, "**B**")]
    assert found["duplicate-in-section"] == [line_of(CRAFTED, "**A again**")]
    assert found["malformed-url"] == [line_of(CRAFTED, "**C**"), line_of(CRAFTED, "**D**")]
    assert found["no-link"] == [line_of(CRAFTED, "**E**")]
    assert found["title-markup"] == [line_of(CRAFTED, "**F**")]
    assert found["bad-date"] == [line_of(CRAFTED, "**F**")]
    assert "anchor-case" not in found  # the #-probing link reaches the emoji heading
    severities = {f.code: f.severity for f in findings}
    assert severities["date-order"] == "warning" and severities["arxiv-id-conflict"] == "error"


def test_clean_list_has_no_findings() -> None:
    clean = "## Papers\n+ **A** [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
    assert lint_text(clean) == []


def test_github_anchors_drop_emoji_and_punctuation() -> None:
    assert github_anchor("📚 Surveys:") == "-surveys"
    assert github_anchor("(Beyond) Logit Lens") == "beyond-logit-lens"
    assert github_anchor("Table of Contents") == "table-of-contents"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"# Notes\n\nJust some text, no list here.\n", "not an awesome list"),
        (b"", "not an awesome list"),
        (b"## Papers\n+ [A](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\xff\xfe broken\n", "f.md:3: not UTF-8"),
        (b"x" * (5 * 1024 * 1024 + 1), "over the 5 MiB limit"),
    ],
)
def test_bad_input_is_one_line_error(data: bytes, needle: str) -> None:
    with pytest.raises(ListFormatError) as caught:
        parse_bytes(data, "f.md")
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def test_non_utf8_is_a_lint_finding_with_its_line() -> None:
    data = b"## Papers\n+ [A](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n+ [B\xe9ta](https://x.org/b) (2020)\n"
    found = findings_by_code(lint_bytes(data, "f.md"))
    assert found["not-utf8"] == [3]


def test_truncated_file_is_reported_where_it_breaks() -> None:
    cut = SEED[: SEED.index(b"(https://arxiv.org/abs/2503.20483)") + 30]
    found = findings_by_code(lint_bytes(cut, "cut.md"))
    last_line = cut.count(b"\n") + 1
    assert found["no-link"] == [last_line] and found["no-final-newline"] == [last_line]


def test_escaping_keeps_hostile_titles_inert() -> None:
    hostile = "Evil](https://evil.example) <script>alert(1)</script> `x` *y* [z]\n@everyone"
    escaped = escape_text(hostile)
    assert "\n" not in escaped and "<script>" not in escaped
    assert not re.search(r"(?<!\\)[\[\]<>`*]", escaped)  # every bracket, tag, code and emphasis mark escaped
    parsed = parse_list(f"## P\n+ [{escaped}](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n")
    entry = parsed.sections[0].entries[0]
    assert entry.title == " ".join(hostile.split()) and entry.url == "https://arxiv.org/abs/2401.00001"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/a/b", "https://github.com/a/b"),
        ("https://github.com/a/b) [x](https://evil", None),
        ("https://github.com/a/b)[x](https://evil", "https://github.com/a/b%29%5Bx%5D%28https://evil"),
        ("javascript:alert(1)", None),
        ("http://user@evil.example/", None),
        ("https:/arxiv.org/abs/2401.00001", None),
        (None, None),
    ],
)
def test_only_plain_http_urls_are_written(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


@pytest.mark.parametrize(
    ("line", "is_entry"),
    [
        ("+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)", True),
        ("+ **SAE-V** [SAE-V: Interpreting](https://arxiv.org/abs/2502.17514) (Feb. 22, 2025)", True),
        (
            "- [![arXiv](https://img.shields.io/badge/arXiv-b31b1b.svg)](https://arxiv.org/abs/1) [T](https://x.org/t)",
            True,
        ),
        ("+ **E** Epsilon paper with no link (Jan. 1, 2022)", True),  # a broken entry: lint and import name it
        # '+' entries edited by hand: read as entries (or refused by import in one line), never dropped as text
        ("+ 🔥 [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)", True),
        ("+ *[Alpha paper](https://arxiv.org/abs/2401.00001)* (Jan. 5, 2024)", True),
        ('+ [Alpha paper](https://arxiv.org/abs/2401.00001 "arXiv") (Jan. 5, 2024)', True),
        ("- 🔥 [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)", False),  # not the list's marker
        ("- [2025-09] We wrote a [survey](https://arxiv.org/abs/2502.17516); feedback welcome!", False),
        ("+ Fork this repository, then open a [pull request](https://github.com/a/b/pulls)", False),
        ("- [Surveys](#-surveys)", False),
        ("  + [Indented](https://arxiv.org/abs/2401.00001)", False),
    ],
)
def test_a_bullet_is_an_entry_only_in_the_lists_entry_shape(line: str, is_entry: bool) -> None:
    assert is_entry_line(line) is is_entry


def test_code_blocks_hide_their_lines_and_nothing_else() -> None:
    text = (
        "## Tools\n"
        "+ [Alpha tool](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
        "  ```bash\n  pip install alpha\n  ```\n\n"
        "~~~~ markdown\n## Not a heading\n+ [Not an entry](https://arxiv.org/abs/2401.00009)\n~~~\n~~~~\n"
        "+ [Beta tool](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
        "  ```\n  an unclosed fence ends with its entry\n"
        "+ [Gamma tool](https://arxiv.org/abs/2201.00003) (Jan. 3, 2022)\n"
    )
    parsed = parse_list(text)
    assert [s.name for s in parsed.sections] == ["Tools"]
    assert [e.title for e in parsed.sections[0].entries] == ["Alpha tool", "Beta tool", "Gamma tool"]
    assert parsed.joined() == text


def test_html_comments_hide_their_lines_and_an_approval_goes_outside_them() -> None:
    text = (
        "## Steering\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\n"
        "<!-- link is dead: put back once the paper is on arXiv\n"
        "+ [Dead paper](https://example.org/gone) (Dec. 1, 2023)\n"
        "## Not a heading either\n-->\n\n"
        "<!-- one line --> + [Not an entry](https://arxiv.org/abs/2401.00009)\n"
        "+ [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
        "<!--\n+ [Also dead](https://example.org/gone2) (Jan. 1, 2022)\n-->\n\n----\n"
    )
    parsed = parse_list(text)
    assert [s.name for s in parsed.sections] == ["Steering"]
    assert [e.title for e in parsed.sections[0].entries] == ["Alpha paper", "Beta paper"]
    assert parsed.sections[0].entries[-1].raw.endswith("-->\n\n")  # a new oldest entry goes after the comment
    assert parsed.trailer == "----\n" and parsed.joined() == text
    assert "malformed-url" not in findings_by_code(lint_text(text.replace("https://example.org", "javascript:x")))


def test_a_title_edited_by_hand_is_the_paper_that_links_the_same_arxiv_id() -> None:
    held = {"winoground visio linguistic": "2204.03162", "token map": "2411.16198", "precision search": "2411.16198"}
    listed = {"winoground visiolinguistic": "2204.03162", "token map": "2411.16198", "visual precision": "2411.16198"}
    assert renamed_papers(held, listed) == {
        "winoground visiolinguistic": "winoground visio linguistic",
        "visual precision": "precision search",  # "token map" is still named: not taken
    }
    assert renamed_papers(held, {"another paper": None, "token map": "2411.16198"}) == {}


def test_a_byte_order_mark_is_kept_but_hides_no_heading() -> None:
    clean = "## Papers\n+ **A** [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
    parsed = parse_bytes(b"\xef\xbb\xbf" + clean.encode("utf-8"), "bom.md")
    assert [(s.name, s.line, len(s.entries)) for s in parsed.sections] == [("Papers", 1, 1)]
    assert parsed.joined() == "\ufeff" + clean
    assert lint_bytes(b"\xef\xbb\xbf" + clean.encode("utf-8"), "bom.md") == []


def test_an_empty_section_without_text_or_sub_sections_is_a_paper_section() -> None:
    text = (
        "# Awesome X\n\n## Contents\n- [Circuits](#circuits)\n\n## News\n\n- [2025-06] Started.\n\n"
        "## Papers\n\n### Probing\n+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n\n"
        "### Circuits\n([Back to Table of Contents](#contents))\n<!-- papers go here -->\n\n---\n\n"
        "## Contribution\n\nSend pull requests.\n"
    )
    kinds = {s.name: s.kind for s in parse_list(text).sections}
    assert kinds == {
        "Awesome X": "text",
        "Contents": "text",
        "News": "text",
        "Papers": "text",  # it has sub-sections
        "Probing": "papers",
        "Circuits": "papers",
        "Contribution": "text",
    }
    assert parse_list(text + "##\n").sections[-1].kind == "text"  # a heading without a name cannot be chosen


def test_an_unindented_note_right_under_the_last_entry_stays_with_it() -> None:
    text = (
        "## Papers\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
        "Note: superseded by the journal version.\n\n"
        "Text of its own after a blank line.\n"
        "## Tools\n"
        "+ [Beta tool](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
        "----\n"
    )
    parsed = parse_list(text)
    papers, tools = parsed.sections
    assert papers.entries[0].raw.endswith("(Jan. 5, 2024)\nNote: superseded by the journal version.\n\n")
    assert tools.intro_raw.startswith("Text of its own after a blank line.\n## Tools")
    assert tools.entries[0].raw.endswith("(Jan. 4, 2023)\n") and parsed.trailer == "----\n"  # a rule is no note


def test_setext_headings_are_sections() -> None:
    text = (
        "Awesome X\n=========\n\nA list.\n\nPapers\n------\n\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
        "Not a heading: it goes on with the entry's text\n---\n\n"
        "-----\n\nTools\n--\n+ [Beta tool](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
    )
    parsed = parse_list(text)
    assert [(s.name, s.level, s.line) for s in parsed.sections] == [
        ("Awesome X", 1, 1),
        ("Papers", 2, 6),
        ("Tools", 2, 15),
    ]
    assert [len(s.entries) for s in parsed.sections] == [0, 1, 1]
    assert parsed.sections[2].intro_raw.startswith("---\n\n-----\n\nTools\n--\n")
    assert parsed.joined() == text


def test_sections_of_one_name_are_told_apart_by_their_papers() -> None:
    held = [
        SectionKeys("probing", "probing", frozenset({"alpha", "alpha two"})),
        SectionKeys("steering", "steering", frozenset({"beta"})),
        SectionKeys("circuits", "circuits", frozenset()),
        SectionKeys("news", "news", frozenset()),
    ]
    listed = [
        SectionKeys("news", "news", frozenset()),
        SectionKeys("probing", "probing", frozenset({"gamma"})),  # 2025: new
        SectionKeys("steering", "steering", frozenset({"delta"})),  # 2025: new
        SectionKeys("probing", "probing-2", frozenset({"alpha", "alpha two"})),  # 2024: the held one
        SectionKeys("steering", "steering-2", frozenset({"beta"})),
        SectionKeys("circuits", "circuits", frozenset()),
    ]
    assert matched_sections(held, listed) == [3, None, None, 0, 1, 2]
    assert matched_sections(held[:1], [SectionKeys("probing", "probing", frozenset({"gamma"}))]) == [0]


def test_a_comment_or_fence_never_closed_hides_nothing() -> None:
    text = (
        "## Papers\n<!-- TODO: sort these\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n"
        "```\n+ [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n"
    )
    parsed = parse_list(text)
    assert [e.title for e in parsed.sections[0].entries] == ["Alpha paper", "Beta paper"]
    assert parsed.joined() == text


def test_a_comment_opened_inside_an_entry_ends_with_the_entry() -> None:
    text = (
        "## Papers\n+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n  <!-- venue? confirm\n"
        "+ [Beta paper](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n  <!-- a closed note -->\n"
        "+ [Gamma paper](https://arxiv.org/abs/2201.00003) (Jan. 3, 2022)\n"
    )
    parsed = parse_list(text)
    assert [e.title for e in parsed.sections[0].entries] == ["Alpha paper", "Beta paper", "Gamma paper"]
    assert parsed.joined() == text


def test_a_comment_after_a_blank_line_under_a_sections_last_entry_is_not_the_entrys() -> None:
    entry = "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n  <!-- its own note -->\n\n"
    text = "## Papers\n" + entry + "<!-- To do: workshop papers -->\n\n## Tools\n+ [Beta](https://x.org/b)\n"
    parsed = parse_list(text)
    assert parsed.sections[0].entries[-1].raw == entry
    assert parsed.sections[1].intro_raw.startswith("<!-- To do: workshop papers -->\n\n## Tools\n")
    assert parsed.joined() == text


@pytest.mark.parametrize(
    ("line", "title", "url"),
    [
        ("+ [A [nested] title](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)", "A [nested] title", None),
        (r"+ [A \] escaped \[ title](https://example.org/a_(b)) (2024-01-05)", "A ] escaped [ title", None),
        ("+ [Angle then text](<https://example.org/a>b) (Jan. 5, 2024)", "Angle then text", "<https://example.org/a>b"),
        ("+ [Angle](<https://example.org/a b>) (Jan. 5, 2024)", "Angle", "https://example.org/a b"),
        ("+ [Hover](https://example.org/h 'the paper') (Jan. 5, 2024)", "Hover", "https://example.org/h"),
    ],
)
def test_a_title_link_reads_the_same_whatever_brackets_escapes_or_targets_it_holds(
    line: str, title: str, url: str | None
) -> None:
    # Each line's links are read once, with runs of plain characters matched possessively: the same links as before.
    (entry,) = parse_list(f"## Papers\n{line}\n").sections[0].entries
    expected_url = url or line[line.index("](") + 2 : line.rindex(") (")]
    assert (entry.title, entry.url, entry.date_parts is not None) == (title, expected_url, True)


def test_lint_names_a_bad_link_outside_an_entrys_first_line_once_on_its_line() -> None:
    text = (
        "## News\n- We wrote [a survey](javascript:alert(1)) on it.\n\n## Papers\n"
        "+ [Alpha paper](https://arxiv.org/abs/2401.00001) (Jan. 5, 2024)\n  [Code](javascript:alert(2))\n\n"
        "+ [Beta paper](javascript:alert(3)) (Jan. 4, 2024)\n"
    )
    found = [(f.line, f.message.split(" ")[:3]) for f in lint_text(text) if f.code == "malformed-url"]
    assert found == [
        (2, ["link", "'javascript:alert(1)'", "uses"]),
        (6, ["link", "'javascript:alert(2)'", "uses"]),
        (8, ["title", "link", "'javascript:alert(3)'"]),
    ]


def test_lint_names_an_arxiv_link_to_an_id_arxiv_cannot_have_issued_and_why() -> None:
    """arxiv.org/abs/2501.0123 (a digit lost: IDs have five digits after the dot from 2015 on) and 0612.12345 passed
    lint as arXiv links, though `digest add` refuses both IDs: a reader following them finds no paper."""
    text = (
        "## Papers\n+ [Alpha paper](https://arxiv.org/abs/2501.0123) (Jan. 5, 2025)\n\n"
        "+ [Beta paper](https://arxiv.org/pdf/0612.12345) (Dec. 4, 2006)\n\n"
        "+ [Gamma paper](https://arxiv.org/abs/2501.01234) (Jan. 4, 2025)\n"
    )
    found = [(f.line, f.message) for f in lint_text(text) if f.code == "malformed-url"]
    assert [line for line, _ in found] == [2, 4], found
    assert "2501.0123 has 4 digits after the dot" in found[0][1], found
    assert "0612.12345 has 5 digits after the dot" in found[1][1], found


def test_lint_names_a_link_by_reference_to_a_label_the_list_does_not_define() -> None:
    """'+ [Beta paper][beta]' over a '[bta]: https://...' line (a typo in either label): GitHub shows the link as text,
    and the import reads no paper from it, but lint said nothing."""
    text = (
        "## Papers\n+ [Alpha paper][alpha] (Jan. 5, 2024)\n\n+ [Beta paper][beta] (Jan. 4, 2023)\n\n"
        "+ [Gamma paper][] (Jan. 4, 2022)\n\n+ Written `[as][this]` in code (Jan. 4, 2021)\n\n"
        "[alpha]: https://arxiv.org/abs/2401.00001\n[bta]: https://arxiv.org/abs/2301.00002\n"
    )
    found = [(f.line, f.severity, f.message) for f in lint_text(text) if f.code == "undefined-reference"]
    assert found == [  # was: []
        (4, "warning", "[Beta paper][beta] links nothing: no line defines [beta] ('[beta]: https://...'), so GitHub"
         " shows it as text and it lists no paper; add that line or fix the label"),
        (6, "warning", "[Gamma paper][] links nothing: no line defines [Gamma paper] ('[Gamma paper]: https://...'),"
         " so GitHub shows it as text and it lists no paper; add that line or fix the label"),
    ]  # fmt: skip


def test_lint_names_an_entry_whose_title_link_leads_nowhere_or_shows_nothing() -> None:
    """'+ [Alpha]()' (the address not pasted yet) links the page itself, and '+ [ ](url)' shows nothing to click: GitHub
    shows both, lint said nothing of either."""
    text = (
        "## Papers\n+ [Alpha paper]() (Jan. 5, 2024)\n\n+ [ ](https://arxiv.org/abs/2301.00002) (Jan. 4, 2023)\n\n"
        "+ [Gamma paper](https://arxiv.org/abs/2201.00003) (Jan. 4, 2022)\n"
    )
    found = [(f.line, f.severity, f.code, f.message) for f in lint_text(text) if f.code == "empty-link"]
    assert found == [  # was: []
        (2, "error", "empty-link", "title link of 'Alpha paper' has no address; put the paper's between the ()"),
        (4, "warning", "empty-link",
         "title link has no text, so GitHub shows nothing to click; put the title between the []"),
    ]  # fmt: skip
