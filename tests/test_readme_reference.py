"""README.md against the code it describes, read from both: every setting (with its default), environment variable,
command and option the README names exists, and every one the code has is in the README. A maintainer follows the
README literally; a key, variable or flag added or renamed without it fails here."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from tests.readme_text import Mentions, code_spans, command_tree, fenced_blocks, options, readme_text, table_rows

SETTINGS_TABLE = "| table | keys, with their defaults |"
VARIABLES_TABLE = "| variable | what |"


def settings_fields() -> dict[str, FieldInfo]:
    """Every setting by its dotted key (`arxiv.retry_cron`; `data_dir` at the top level)."""
    from digest.config import Settings

    found: dict[str, FieldInfo] = {}

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, declared in model.model_fields.items():
            if isinstance(declared.annotation, type) and issubclass(declared.annotation, BaseModel):
                walk(declared.annotation, f"{prefix}{name}.")
            else:
                found[f"{prefix}{name}"] = declared

    walk(Settings, "")
    return found


def file_keys() -> dict[str, FieldInfo]:
    """The settings a TOML file may set: all but those the environment alone gives (secrets, the file's own path)."""
    from digest.config.declarations import also_in_file, environment_variable

    return {
        key: declared
        for key, declared in settings_fields().items()
        if environment_variable(declared) is None or also_in_file(declared)
    }


def tables() -> set[str]:
    return {key.rsplit(".", 1)[0] for key in file_keys() if "." in key}


def as_written(default: Any) -> Any:
    """A model's default as TOML would write it: a tuple is an array."""
    return list(default) if isinstance(default, tuple) else default


def keys_named(cell: str) -> list[str]:
    """The code spans of a cell of the settings table, less those in parentheses (said of the key before them)."""
    spans, depth = [], 0
    for span, parenthesis in re.findall(r"`([^`]+)`|([()])", cell):
        depth += {"(": 1, ")": -1}.get(parenthesis, 0)
        if span and depth == 0:
            spans.append(span)
    return spans


def test_the_settings_table_gives_every_setting_with_its_default() -> None:
    """The README named some 40 of the 67 settings, here and there in its prose; the table under Configuration names
    every key a settings file may hold, with its default when one can be written (a derived or unset one is said
    in words), each checked against the settings model."""
    keys = file_keys()
    listed, problems = set(), []
    for table, cell in table_rows(readme_text(), SETTINGS_TABLE):
        prefix = "" if table == "top level" else table.strip("`[]") + "."
        for span in keys_named(cell):
            written = re.fullmatch(r"([a-z_]+)(?: = (.+))?", span)
            if written is None or prefix + written.group(1) not in keys:
                problems.append(f"{table}: {span} is no setting")
                continue
            key, literal = prefix + written.group(1), written.group(2)
            listed.add(key)
            default = keys[key].get_default(call_default_factory=True)
            if literal is None:
                if not (default in (None, "") or isinstance(default, Path | dict)):
                    problems.append(f"{key}: the README gives no default; it is {default!r}")
            elif tomllib.loads(f"v = {literal}")["v"] != as_written(default):
                problems.append(f"{key}: the README says {literal}, the default is {default!r}")
    assert problems == []
    assert sorted(set(keys) - listed) == []


def test_the_readme_names_only_settings_there_are() -> None:
    """`[table] key`, `table.key` and `key = value` anywhere in the README (and the keys of its TOML examples) are
    keys of the settings model: a key renamed in the code while the prose kept the old name sends a maintainer to
    write one `digest config check` refuses."""
    keys, text = file_keys(), readme_text()
    leaves = {key.rsplit(".", 1)[-1] for key in keys}
    problems = []
    for span in code_spans(text):
        in_table = re.fullmatch(r"\[([a-z_]+)\] ([a-z_]+)", span) or re.fullmatch(r"([a-z_]+)\.([a-z_]+)", span)
        if f"data/{span}" in text:  # a file of the data folder (`arxiv.turn`), written so elsewhere
            continue
        if in_table and (span.startswith("[") or in_table.group(1) in tables()):
            if ".".join(in_table.groups()) not in keys:
                problems.append(span)
        elif re.fullmatch(r"[a-z_]+ = .+", span) and span.split(" = ")[0] not in leaves:
            problems.append(span)
    for info, lines in fenced_blocks(text):
        if info == "toml":
            for table, values in tomllib.loads("\n".join(lines)).items():
                problems += [f"[{table}] {name}" for name in values if f"{table}.{name}" not in keys]
    assert problems == []


def test_the_environment_variables_are_those_the_settings_read() -> None:
    """The README's table of variables holds each one the settings read, and every `DIGEST_...` name in the README is
    one of them."""
    from digest.config import Settings, environment_fields

    read = {variable for _, variable in environment_fields(Settings)}
    text = readme_text()
    tabled = {span for cell, _what in table_rows(text, VARIABLES_TABLE) for span in code_spans(cell)}
    assert sorted(tabled ^ read) == []
    assert sorted(set(re.findall(r"\bDIGEST_[A-Z_]+\b", text)) - read) == []


def commands_shown() -> Mentions:
    from digest.cli.program import build_parser

    text = readme_text()
    mentions = Mentions(command_tree(build_parser([])))
    usage = [lines for _info, lines in fenced_blocks(text) if lines and lines[0].startswith("digest [")]
    assert len(usage) == 1, "the Commands block"
    mentions.read_usage_block(usage[0])
    mentions.read_spans(code_spans(text))
    return mentions


def test_the_commands_and_options_shown_are_those_digest_takes() -> None:
    """Every `digest ...` the README shows (its Commands block, and inline) runs a command that exists with options
    it takes, and every command and option of `digest --help` is shown: `--json` in the sentence naming the
    commands that print a report, `--help` by "Every command has `--help`"."""
    mentions = commands_shown()
    assert mentions.problems == []
    leaves = [path for path in mentions.tree if not mentions.subcommands(path)]
    assert sorted(path for path in leaves if path not in mentions.commands) == []
    said = re.search(r"\(([^()]*)\) take `--json`", " ".join(readme_text().split()))
    assert said is not None, "the sentence naming the commands that take --json"
    named = [tuple(span.split()) for span in code_spans(said.group(1))]
    with_json = {path for path in leaves if "--json" in options(mentions.tree[path])}
    assert sorted(with_json ^ {path for path in leaves if any(path[: len(n)] == n for n in named)}) == []
    unshown = [
        f"digest {' '.join(path)} {action.option_strings[-1]}"
        for path, parser in mentions.tree.items()
        if path in leaves or path == ()
        for action in parser._actions
        if action.option_strings and action.dest not in ("help", "json") and (path, action.dest) not in mentions.shown
    ]
    assert unshown == []


def test_the_list_pages_search_is_described_with_its_limit() -> None:
    """The README did not say the list page could be searched (`?q=`), nor how: words, "quoted phrases", and at most
    200 characters. The paragraph is held to the page's limit."""
    from digest.web.pages import MAX_SEARCH

    said = re.search(r"`/\?q=[^`]*`.*?\"quoted phrase\".*? more than (\d+) characters", " ".join(readme_text().split()))
    assert said is not None, "the paragraph on the list page's search"
    assert int(said.group(1)) == MAX_SEARCH


def test_the_stops_bounds_are_those_of_the_code() -> None:
    """The README did not say how long a stop takes (systemd's default TimeoutStopSec is 90 s, docker stop kills at
    10 s) nor what becomes of the work it catches. The paragraph's figures are held to the service's grace, its
    wind-down and the web's share of the grace."""
    from digest.arxiv.turns import STOP_GRACE_SECONDS, WIND_DOWN_SECONDS
    from digest.web.app import REQUEST_GRACE_SECONDS

    text = " ".join(readme_text().split())
    said = re.search(r"ends the service within (\d+) s: an (\d+) s grace, then (\d+) s for a poll", text)
    assert said is not None, "the paragraph on the service's stop"
    within, grace, wind_down = (float(group) for group in said.groups())
    assert (grace, wind_down, within) == (STOP_GRACE_SECONDS, WIND_DOWN_SECONDS, STOP_GRACE_SECONDS + WIND_DOWN_SECONDS)
    web = re.search(r"a web request in flight gets (\d+) s of the grace", text)
    assert web is not None, "the web's share of the stop's grace"
    assert float(web.group(1)) == REQUEST_GRACE_SECONDS
    poll = re.search(r"`digest poll` stopped so \(by cron's time-out too\) ends within the same (\d+) s", text)
    assert poll is not None, "the bound on a stopped `digest poll` (tests/test_poll_stop_bounds.py holds it)"
    assert float(poll.group(1)) == STOP_GRACE_SECONDS + WIND_DOWN_SECONDS


def test_the_feeds_approval_links_last_as_long_as_the_readme_says() -> None:
    """With `approval_link_days = 14` the private feed said "links expire 2026-12-27", 20 days on, where the README
    said only that links expire after 14 days: renewed every half period, they work 14 to 21 days. The README's
    figures are held to the feed's expiry at every hour of a fortnight and to the emailed links' own."""
    from digest.config.sections import WebSettings
    from digest.web.private_feed import links_expiry

    days = WebSettings().approval_link_days
    text = " ".join(readme_text().split())
    said = re.search(r"\(`web.approval_link_days`, (\d+)\).*?a feed entry's links work (\d+) to (\d+) days", text)
    assert said is not None, "the paragraph on the private feed's approval links"
    named, shortest, longest = (int(group) for group in said.groups())
    assert named == days
    assert f"the weekly email's exactly {days}." in text  # weekly.contents: now + approval_link_days
    start = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)
    lasting = [links_expiry(now, days) - now for now in (start + timedelta(hours=hour) for hour in range(14 * 24))]
    assert timedelta(days=shortest) <= min(lasting) < timedelta(days=shortest + 1)
    assert timedelta(days=longest - 1) < max(lasting) <= timedelta(days=longest)


def test_the_feeds_name_a_papers_authors_as_the_readme_says() -> None:
    """The README said Atom gives each author its `<author>`, while the Atom feed names them all in one (readers show
    one author of an entry): a maintainer checking an entry against the README took it for a bug. The sentence is held
    to the number of author elements each feed gives a paper of three authors."""
    import xml.etree.ElementTree as ET

    from digest.web.syndication import ATOM_NS, DC_NS, Feed, FeedItem, build_atom, build_rss

    moment = datetime(2026, 12, 7, tzinfo=UTC)
    item = FeedItem("tag:x,2026:1", "A paper", "https://arxiv.org/abs/2504.08729", moment, authors=("A", "B", "C"))
    feed = Feed(
        "List", "http://127.0.0.1/", "http://127.0.0.1/feeds/list.xml", "papers", "tag:x,2026:list", moment, [item]
    )
    rss = ET.fromstring(build_rss(feed)).findall(f"channel/item/{{{DC_NS}}}creator")
    atom = ET.fromstring(build_atom(feed)).findall(f"{{{ATOM_NS}}}entry/{{{ATOM_NS}}}author")
    said = {"one": 1, "each its": 3}
    text = " ".join(readme_text().split())
    names = re.search(
        r"RSS names the authors in (one|each its) `dc:creator`.*?Atom (?:in|gives) (one|each its) `<author>`", text
    )
    assert names is not None, "the sentence on how the feeds name a paper's authors"
    assert (said[names.group(1)], said[names.group(2)]) == (len(rss), len(atom))


def test_the_sweep_of_stale_temporaries_is_described_as_it_runs(tmp_path: Path) -> None:
    """The README said nothing of the hidden `.tmp` files a killed command leaves in the data folder, nor that the
    next command that writes there removes them. Its sentence is held to the sweep: the names it gives, in the data
    folder and the weekly folder, are removed past its age and kept short of it."""
    import os
    import time

    from digest.storage.files import LEFTOVER_AGE_SECONDS, remove_leftover_temporaries

    text = " ".join(readme_text().split())
    said = re.search(
        r"leaves a hidden temporary beside it, such as `([^`]+)` or `([^`]+)`: `digest run` at start, and every "
        r"command that writes to the data folder, removes those in the data folder and the weekly folder once older "
        r"than (\d+) s",
        text,
    )
    assert said is not None, "the sentence on the temporaries a killed command leaves"
    age = float(said.group(3))
    assert age == LEFTOVER_AGE_SECONDS
    data, weekly = tmp_path / "data", tmp_path / "weekly"
    weekly.mkdir(parents=True)
    data.mkdir()

    def left(path: Path, seconds: float) -> Path:
        path.write_text("half a file", encoding="utf-8")
        then = time.time() - seconds
        os.utime(path, (then, then))
        return path

    named = [said.group(1).replace("XXXXXXXX", "k1ll3d_9"), said.group(2).replace("XXXXXXXX", "k1ll3d_9")]
    stale = [left(folder / name, age + 30) for folder in (data, weekly) for name in named]
    fresh = [
        left(folder / name.replace("k1ll3d_9", "wr1t1ng_"), age - 30) for folder in (data, weekly) for name in named
    ]
    remove_leftover_temporaries(data, weekly)
    assert [path.name for path in stale if path.exists()] == []
    assert [path.name for path in fresh if not path.exists()] == []
