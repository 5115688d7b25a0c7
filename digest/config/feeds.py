"""feeds/sources.toml: what the poller watches, read through one typed model by the service and `config check` alike.

A malformed file stops either with one line per problem, each naming the file and the key.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, ValidationError

from digest.config.problems import FEEDS_FILE, ConfigError, problem_lines, toml_file_problem
from digest.config.sections import Section
from digest.config.values import Address
from digest.resources import read_small_file, toml_text

SOURCES_FILE = "sources.toml"
# The most results arXiv's API gives for one request; a query asking more is refused or cut short by arXiv.
API_MAX_RESULTS = 2000


class FeedsError(ConfigError):
    """A feeds file that cannot be read or does not fit its model; each problem names the file."""


def _trimmed(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class ApiQuery(Section):
    # Read trimmed, as feed addresses are: the query's address is its key in the database (migration 0022).
    search_query: Annotated[str, BeforeValidator(_trimmed)] = Field(
        min_length=1, description="an arXiv API search, polled like a feed"
    )
    max_results: int = Field(
        100, ge=1, le=API_MAX_RESULTS, description="the newest this many results (arXiv gives at most 2000 a request)"
    )


class FeedSources(Section):
    feeds: Annotated[tuple[Address, ...], Field(strict=False)] = Field(
        (), description="RSS/Atom feed URLs, e.g. one per arXiv category"
    )
    api: Annotated[tuple[ApiQuery, ...], Field(strict=False)] = Field((), description="[[api]] queries")


def read_feed_sources(feeds_dir: Path) -> FeedSources:
    """`<feeds_dir>/sources.toml` as a FeedSources; raises FeedsError when it is missing or malformed."""
    path = feeds_dir / SOURCES_FILE
    try:
        raw = tomllib.loads(toml_text(read_small_file(path)))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise FeedsError([toml_file_problem(path, exc, FEEDS_FILE)]) from None
    try:
        return FeedSources.model_validate(raw)
    except ValidationError as exc:
        raise FeedsError([f"{path}: {line}" for line in problem_lines(FeedSources, exc, raw)]) from None
