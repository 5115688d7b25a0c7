"""Checking a configuration: every problem at once, what works but is probably not meant, what is on and off.

Reads the files and folders the settings name, and leaves nothing written (a folder's write check makes an empty folder
and takes it away); `digest config check` prints the report.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from digest.addresses import unsubscribe_problem
from digest.cli.config_database import DatabaseFindings, database_findings
from digest.cli.config_features import Feature, features_of
from digest.cli.config_folders import folder_problem, nearest_existing
from digest.config import secretstore
from digest.config.feeds import SOURCES_FILE, FeedsError, read_feed_sources
from digest.config.loading import config_variable, load_settings, named_by_environment
from digest.config.poll_schedule import poll_schedule
from digest.config.problems import FEEDS_FILE, MIN_SECRET_LENGTH, ConfigError, toml_file_problem
from digest.config.settings import Settings, default_database_url
from digest.config.web_address import WILDCARD_HOSTS
from digest.resources import home_or_as_written, read_small_file, shared_with_group, toml_text

# Shorter secrets are refused when the service starts (config/secretstore.py); checked here to say so earlier.
SECRET_VARIABLES = tuple(secretstore.GENERATED.values())
# Addresses a server listens on but no browser can open (so never valid in a link).


@dataclass
class CheckReport:
    config_path: Path | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    features: list[Feature] = field(default_factory=list)
    database: str | None = None  # how the database stands (probe.Standing); None when it was not opened
    settings: Settings | None = None  # as read, when they could be: the command's log is written as they say


def check_configuration(
    config_path: Path | None, data_dir: Path | None, environ: Mapping[str, str] | None = None
) -> CheckReport:
    """Every problem of a configuration; `environ` None means the process environment plus `.env`."""
    settings: Settings | None = None
    problems: list[str] = []
    try:
        settings = load_settings(config_path, data_dir, environ=environ, load_dotenv_file=environ is None)
    except ConfigError as exc:
        problems.extend(exc.problems)
        problems.extend(_unsubscribe_problems(_raw_unsubscribe(config_path, environ)))  # the rest needs the settings
    environment = os.environ if environ is None else environ
    if config_path is None:
        config_path = config_variable(environment)
    shown_config = home_or_as_written(config_path) if config_path else None
    report = CheckReport(config_path=shown_config, problems=problems, settings=settings)
    for name in SECRET_VARIABLES:
        value = environment.get(name)
        if value and len(value) < MIN_SECRET_LENGTH:
            problems.append(f"{name} is too short: use at least {MIN_SECRET_LENGTH} random characters")
    if settings is not None:
        from digest.awesome.seed import bundled_rules_kept, bundled_title_kept, seed_list_left_out
        from digest.cli.config_sections import (
            list_sections,
            section_emoji_warnings,
            section_hint_warnings,
            sections_feature,
            unimported_edit_warnings,
        )
        from digest.templating import template_findings
        from digest.web.filters import PAGE_FILTERS
        from digest.weekly.rendering import template_environment

        problems.extend(named_by_environment(file_problems(settings), environment, data_dir is not None))
        for refused in (settings.smtp.password_missing, settings.smtp.cleartext_login):
            if settings.smtp.enabled and refused:  # the service would not start, nor a send
                problems.append(refused)
        database = _database_findings(settings, environment, data_dir is not None)
        problems.extend(database.problems)
        report.warnings.extend(database.warnings)
        report.database = database.standing
        report.warnings.extend(warnings_for(settings))
        # The filters of every part's own environment: the weekly digest's (md, long_date), the pages' (authors).
        filters = {**template_environment(settings.templates_dir).filters, **PAGE_FILTERS}
        broken, unread = template_findings(settings.templates_dir, filters)
        sections = list_sections(settings, database.standing)  # where the service reads them: the database's
        report.warnings.extend(section_emoji_warnings(settings, sections))
        bundled_rules = bundled_rules_kept(settings)  # says the sections too: the bundled file is no one's to edit
        report.warnings.extend([] if bundled_rules else section_hint_warnings(settings, sections))
        report.warnings.extend(unimported_edit_warnings(settings, sections))
        report.warnings.extend(filter(None, [seed_list_left_out(settings), bundled_title_kept(settings)]))
        report.warnings.extend([bundled_rules] if bundled_rules else [])
        problems.extend(broken)
        report.warnings.extend(unread)
        report.features.extend(features_of(settings, database.note) + sections_feature(sections))
    return report


def _database_findings(settings: Settings, environment: Mapping[str, str], data_dir_given: bool) -> DatabaseFindings:
    from digest.storage.failures import sqlite_file

    named_by = named_by_environment(["database_url"], environment, data_dir_given)[0]
    if named_by == "database_url" and settings.database_url == default_database_url(settings.data_dir):
        named_by = "--data-dir or DIGEST_DATABASE_URL"  # the data folder's own file
    found = database_findings(settings, reached(settings, sqlite_file(settings.database_url)), named_by)
    found.problems = named_by_environment(found.problems, environment, data_dir_given)
    return found


def feeds_problems(feeds_dir: Path, sources_given: bool = False) -> list[str]:
    """The feeds files, each read as the service reads it: sources.toml through its model, rules.toml as rules.
    `sources_given`: [arxiv] sources names the feeds, so no command reads a sources.toml that is not there."""
    from digest.relevance.rules import RULES_FILE, RulesError, load_rules

    if not feeds_dir.is_dir():
        return [f"feeds_dir {feeds_dir} is not a folder"]
    problems: list[str] = []
    unreadable: set[str] = set()
    for path in sorted(feeds_dir.glob("*.toml")):
        if path.name == SOURCES_FILE:
            continue  # read below as the poller reads it, so both say the same line
        try:
            tomllib.loads(toml_text(read_small_file(path)))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            problems.append(toml_file_problem(path, exc, FEEDS_FILE))
            unreadable.add(path.name)
    try:
        if not (sources_given and not (feeds_dir / SOURCES_FILE).exists()):
            read_feed_sources(feeds_dir)
    except FeedsError as exc:
        problems.extend(exc.problems)
    if RULES_FILE in unreadable:
        return problems  # said once above: the rules would only repeat the same TOML error
    try:
        load_rules(feeds_dir)
    except RulesError as exc:
        problems.append(f"keyword rules: {exc}")
    return problems


def file_problems(settings: Settings) -> list[str]:
    """The files and folders the settings name: present, readable, writable, well-formed."""
    problems = feeds_problems(settings.feeds_dir, bool(settings.arxiv.sources))
    if not settings.templates_dir.is_dir():
        problems.append(f"templates_dir {settings.templates_dir} is not a folder")
    if not settings.seed_list.is_file():
        problems.append(f"seed_list {settings.seed_list} is not a file")
    else:
        problems += _seed_list_problems(settings)
    data_problem = folder_problem("data_dir", settings.data_dir, settings.data_dir)
    problems += [data_problem] if data_problem else []
    # A folder inside the data folder (weekly.out_dir's default) fails with it: one cause, said once, for the data one.
    if not (data_problem and settings.weekly_dir.resolve().is_relative_to(settings.data_dir.resolve())):
        problems += filter(None, [folder_problem("weekly.out_dir", settings.weekly_dir, settings.data_dir)])
    problems.extend(_unsubscribe_problems(settings.weekly.list_unsubscribe))
    if settings.publish.enabled:  # what every publish would stop on: git missing, or too old
        from digest.publish.git_version import git_version_problem

        problems.extend(f"[publish] is on but {line}" for line in filter(None, [git_version_problem()]))
    if reached(settings, secretstore.secrets_path(settings)):
        problems.extend(secretstore.stored_secrets_problems(settings))  # as the start reads it, beside the environment
    return problems


def reached(settings: Settings, path: Path | None) -> bool:
    """False for a file in a data folder this user cannot enter, or that a file stands in the place of (--data-dir
    naming a file): said once, for the folder; the files in it (the database, secrets.json) are no problem of their
    own."""
    from digest.storage.folders import unenterable_folder

    closed = unenterable_folder(settings.data_dir.resolve()) or not nearest_existing(settings.data_dir).is_dir()
    return not closed or not path or not path.resolve().is_relative_to(settings.data_dir.resolve())


def _unsubscribe_problems(unsubscribe: object) -> list[str]:
    """The weekly email's own check of its List-Unsubscribe: what passes here, the message carries."""
    refused = unsubscribe_problem(unsubscribe) if isinstance(unsubscribe, str) and unsubscribe else None
    return [f"weekly.list_unsubscribe {unsubscribe!r} {refused}"] if refused else []


def _raw_unsubscribe(config_path: Path | None, environ: Mapping[str, str] | None) -> object:
    """weekly.list_unsubscribe as the file writes it, for a configuration that did not load for other reasons."""
    from digest.config.sources import read_toml

    environment = os.environ if environ is None else environ
    path = config_path or config_variable(environment)
    if path is None or not home_or_as_written(path).is_file():
        return None
    weekly = read_toml(home_or_as_written(path), []).get("weekly")
    return weekly.get("list_unsubscribe") if isinstance(weekly, dict) else None


def warnings_for(settings: Settings) -> list[str]:
    """Settings that work but probably do not do what was meant."""
    from urllib.parse import urlsplit

    from digest.publish.git import ssh_key_warning

    warnings: list[str] = []
    discord, smtp = settings.discord, settings.smtp
    crowded = poll_schedule(settings).warning
    publish = (settings.publish.key_warning, settings.publish.away_warning)
    said = (settings.arxiv.contact_warning, settings.web.cleartext_warning, crowded, *publish)
    warnings.extend(line for line in (*said, ssh_key_warning(settings.data_dir, settings.publish)) if line)
    warnings.extend(_watching_nothing(settings))
    warnings.extend(_data_folder_by_default(settings))
    if not discord.enabled and (discord.channel_id or discord.guild_id):
        warnings.append("[discord] ids are set but DISCORD_TOKEN is not: Discord review stays off")
    if not smtp.host and (smtp.recipients or smtp.maintainer_recipients):
        warnings.append("smtp.recipients is set but smtp.host is not: the digest is not emailed")
    if smtp.host and not smtp.maintainer_recipients:
        warnings.append(
            "smtp.maintainer_recipients is empty: the maintainers' edition (what waits for review, the second tier's"
            f" approve links) is not emailed, only written to {settings.weekly_dir}"
        )
    if smtp.host and smtp.sender.rpartition("@")[2].rstrip(">").strip().lower() == "localhost":
        warnings.append(
            f"smtp.sender {smtp.sender} is not an address of your domain: mail servers refuse mail from localhost or"
            " file it as spam; set [smtp] sender to an address of the domain you send from"
        )
    if set(smtp.recipients) & set(smtp.maintainer_recipients):
        warnings.append(
            "smtp.recipients and smtp.maintainer_recipients share addresses: those get both editions"
            " (only maintainers should get the maintainers' one)"
        )
    mode = secretstore.readable_by_others(secretstore.secrets_path(settings))
    if mode is not None:
        shared = shared_with_group(settings.data_dir)  # a team's folder: its group keeps reading it
        warnings.append(
            f"{secretstore.secrets_path(settings)} is readable by other users (mode {mode}): whoever reads it can sign "
            f"in and sign approval links; the service makes it {'owner and group only' if shared else 'owner-only'} "
            f"when it starts (or: chmod {'640' if shared else '600'} it)"
        )
    if not smtp.enabled and smtp.password_missing:  # email off: nothing fails yet, the day it is on it would
        warnings.append(f"{smtp.password_missing} (email is off: this is needed once smtp.host and recipients are set)")
    if urlsplit(settings.web.base_url).path not in ("", "/"):
        warnings.append(
            f"web.base_url {settings.web.base_url} has a path: links in feeds and emails carry it, but the pages and"
            " their links are served at the root; serve the site at the root of its own host name"
        )
    if settings.web.unreachable_links:
        warnings.append(settings.web.unreachable_links)
    if (urlsplit(settings.web.base_url).hostname or "") in WILDCARD_HOSTS:
        warnings.append(
            f"web.base_url {settings.web.base_url} is a listening address, not one a browser can open:"
            " set [web] base_url to the address people use"
        )
    return warnings


def _data_folder_by_default(settings: Settings) -> list[str]:
    """DIGEST_DATABASE_URL (PostgreSQL, or a SQLite file elsewhere) set alone: the data folder is still ./data in the
    working folder, and holds what the database does not (the list's file, the generated secrets, the model, the
    weekly digests). A command run from another folder used another, signing links with secrets of its own."""
    if "data_dir" in settings.model_fields_set or settings.database_url == default_database_url(settings.data_dir):
        return []
    return [
        f"the data folder is the default, ./data in the working folder ({settings.data_dir.resolve()}), though the "
        "database is elsewhere: the list's file, the generated secrets, the model and the weekly digests are kept "
        "there, and a command run from another folder keeps them in another; set DIGEST_DATA_DIR (or data_dir) to the "
        "service's data folder"
    ]


def _watching_nothing(settings: Settings) -> list[str]:
    """A sources file with no feed and no query: every poll succeeds at watching nothing."""
    if settings.arxiv.sources:
        return []
    try:
        sources = read_feed_sources(settings.feeds_dir)
    except FeedsError:
        return []  # a problem of its own, listed by feeds_problems
    if sources.feeds or sources.api:
        return []
    return [
        f"{settings.feeds_dir / SOURCES_FILE} lists no feeds and no [[api]] queries: polls watch nothing; add the "
        "arXiv feeds to watch there (or set [arxiv] sources)"
    ]


def _seed_list_problems(settings: Settings) -> list[str]:
    """A seed list a new database could not start from (read only for a new data folder, so checked here first)."""
    from digest.awesome.parse import ListFormatError, parse_bytes

    try:
        parse_bytes(settings.seed_list.read_bytes(), str(settings.seed_list))
    except ListFormatError as exc:
        return [f"seed_list {exc}"]
    except OSError as exc:
        return [f"seed_list {settings.seed_list} cannot be read ({exc.strerror or exc})"]
    return []
