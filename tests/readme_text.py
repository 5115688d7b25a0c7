"""README.md read as a reference: its sections, inline code, tables, the Commands block and the `digest ...` commands
it shows, for the tests that hold it to the code it describes."""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```.*?^```[^\n]*$", flags=re.MULTILINE | re.DOTALL)
OPTION = re.compile(r"--?[a-z][a-z-]*")


def readme_text() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def readme_section(heading: str) -> str:
    """The text of one `## heading` section of README.md, up to the next."""
    found = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", readme_text(), flags=re.MULTILINE | re.DOTALL)
    assert found is not None, heading
    return found.group(1)


def code_spans(text: str) -> list[str]:
    """Every inline code span outside the fenced blocks, its line breaks read as spaces."""
    return [" ".join(span.split()) for span in re.findall(r"`([^`]+)`", FENCE.sub("", text))]


def fenced_blocks(text: str) -> list[tuple[str, list[str]]]:
    """Each fenced block: its info string (`sh`, `toml`, or empty) and its lines."""
    blocks = []
    for block in FENCE.findall(text):
        first, *lines = block.splitlines()
        blocks.append((first.strip("`").strip(), lines[:-1]))
    return blocks


def table_rows(text: str, header: str) -> list[list[str]]:
    """The rows of the Markdown table whose header row is `header` (`| table | keys |`), each a list of its cells."""
    lines = text.splitlines()
    assert header in lines, f"README.md has no table headed {header}"
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


# -- the commands ----------------------------------------------------------------------------------------------------
CommandPath = tuple[str, ...]


def command_tree(parser: argparse.ArgumentParser) -> dict[CommandPath, argparse.ArgumentParser]:
    """Every command's parser by its words (`("list", "export")`); `()` is `digest` itself."""
    found: dict[CommandPath, argparse.ArgumentParser] = {}

    def walk(command: argparse.ArgumentParser, path: CommandPath) -> None:
        found[path] = command
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, (*path, name))

    walk(parser, ())
    return found


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """A command's options by each of their spellings (`-o` and `--output` alike)."""
    return {spelling: action for action in parser._actions for spelling in action.option_strings}


@dataclass
class Mentions:
    """What the README shows of the command line: each command named, each option shown with it, what is wrong."""

    tree: dict[CommandPath, argparse.ArgumentParser]
    commands: set[CommandPath] = field(default_factory=set)
    shown: set[tuple[CommandPath, str]] = field(default_factory=set)  # (command, the option's dest)
    problems: list[str] = field(default_factory=list)

    def subcommands(self, path: CommandPath) -> set[str]:
        return {other[-1] for other in self.tree if len(other) == len(path) + 1 and other[:-1] == path}

    def read(self, words: list[str], where: str) -> CommandPath:
        """`digest` followed by `words`: the command they name and the options shown with it, checked against the
        parser; returns the command."""
        path: CommandPath = ()
        rest = list(words)
        while rest and rest[0] in self.subcommands(path):
            path = (*path, rest.pop(0))
        if rest and self.subcommands(path) and re.fullmatch(r"[a-z][a-z-]*", rest[0]):
            self.problems.append(f"{where}: `digest {' '.join((*path, rest[0]))}` is no command")
            return path
        self.commands.add(path)
        known = {**options(self.tree[()]), **options(self.tree[path])}
        for index, word in enumerate(rest):
            token = word.strip("[]").split("=")[0]
            if not OPTION.fullmatch(token):
                continue
            action = known.get(token)
            if action is None:
                self.problems.append(f"{where}: `digest {' '.join(path)}` has no option {token}")
                continue
            self.shown.add((path if token not in options(self.tree[()]) else (), action.dest))
            given = rest[index + 1].strip("[]") if index + 1 < len(rest) else ""
            if action.choices is not None and "|" in given and set(given.split("|")) != set(action.choices):
                self.problems.append(f"{where}: {token} {given} but digest takes {'|'.join(action.choices)}")
        return path

    def read_usage_block(self, lines: list[str]) -> None:
        """The Commands block: `digest [--config FILE] ... COMMAND`, then a line per command, two spaces in, its usage
        up to the first run of spaces, alternatives separated by ` | ` (a subcommand of the same command, the same
        command with other options, or another command); lines further in are the descriptions' continuation."""
        self.read([word for word in lines[0].split()[1:] if word != "COMMAND"], "Commands block")
        for line in lines[1:]:
            if not line.startswith("  ") or line.startswith("   "):
                continue
            before: CommandPath = ()
            for alternative in re.split(r"\s{2,}", line.strip())[0].split(" | "):
                words = alternative.split()
                if words[0].startswith("-"):
                    words = [*before, *words]
                elif len(before) > 1 and words[0] in self.subcommands(before[:-1]):
                    words = [*before[:-1], *words]
                before = self.read(words, f"Commands block, {line.strip()[:40]!r}")

    def read_spans(self, spans: list[str]) -> None:
        for span in spans:
            if span.startswith("digest "):
                self.read(span.split()[1:], f"`{span}`")
