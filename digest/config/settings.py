"""`Settings`: every setting of the service in one immutable object, built by `config.loading.load_settings`.

Top-level keys are declared here, the tables in `sections`, `publish` and `credentials`; nothing is read at import.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from digest import resources
from digest.config.credentials import Secrets
from digest.config.declarations import from_environment
from digest.config.feeds import SOURCES_FILE, FeedsError, read_feed_sources
from digest.config.paths import PathValue
from digest.config.problems import problem
from digest.config.publish import PublishSettings, mistyped_repository
from digest.config.relevance import RelevanceSettings
from digest.config.sections import (
    ARXIV_MIN_INTERVAL,
    ArxivSettings,
    DiscordSettings,
    WebSettings,
    WeeklySettings,
)
from digest.config.smtp import SmtpSettings
from digest.config.values import DatabaseUrl, TimeZoneName
from digest.text import is_blank

FilePath = PathValue
Folder = PathValue


def _existing(path: Path) -> Path:
    """A file or folder the settings name must be there; checked per field, so it is listed beside other problems."""
    if not path.exists():
        where = (
            ""
            if path.is_absolute()
            else f" (looked for {Path.cwd() / path}: a relative path is read from the working folder)"
        )
        raise problem(f"{path} does not exist{where}")
    return path


def _titled(title: str) -> str:
    """The pages', the feeds' and the weekly digest's title (its subject too): an empty one titles them by nothing."""
    if is_blank(title):  # zero-width characters alone (U+200B, a BOM pasted in) draw nothing either
        said = "is empty" if not title.strip() else "shows nothing (only characters that draw nothing, as U+200B)"
        raise problem(
            f"{said}: the pages, the feeds and the weekly digest are titled by it; leave it out for the default"
        )
    return title


ExistingPath = Annotated[FilePath, AfterValidator(_existing)]  # a default (the bundled files) is not checked


class DataFolderFrom(StrEnum):
    """What named the data folder in use. A command printed for the user to run (`config.invocation`) repeats it
    unless the settings file it names names it: run from another folder, or without the service's environment
    (cron, another shell), the option, the variable and the default `./data` are not there."""

    OPTION = "--data-dir"
    ENVIRONMENT = "DIGEST_DATA_DIR"
    SETTINGS_FILE = "data_dir"
    DEFAULT = "default"


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'digest.sqlite3').resolve()}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, strict=True, extra="forbid", validate_default=False)

    data_dir: Folder = from_environment("DIGEST_DATA_DIR", "the data folder", default=Path("data"), file_key=True)
    database_url: DatabaseUrl = from_environment(
        "DIGEST_DATABASE_URL", "an SQLAlchemy URL (default: SQLite in the data folder)", default="", file_key=True
    )
    config_path: FilePath | None = from_environment("DIGEST_CONFIG", "the settings file (or --config)")
    feeds_dir: ExistingPath = Field(default_factory=resources.feeds_dir, description="sources.toml and rules.toml")
    templates_dir: ExistingPath = Field(default_factory=resources.templates_dir)
    seed_list: ExistingPath = Field(
        default_factory=resources.seed_list_path, description="the list a new folder starts with"
    )
    list_title: Annotated[str, AfterValidator(_titled)] = "Awesome LMMs Mechanistic Interpretability"
    timezone: TimeZoneName = Field("UTC", description="the weekly digest's time zone")
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    arxiv: ArxivSettings = Field(default_factory=ArxivSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    weekly: WeeklySettings = Field(default_factory=WeeklySettings)
    relevance: RelevanceSettings = Field(default_factory=RelevanceSettings)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    secrets: Secrets = Field(default_factory=Secrets)
    # Not a setting (no file or variable sets it): `load_settings` records it; settings built otherwise (tests, a
    # caller's own) do not know, and are taken as the default's, which a printed command must repeat.
    _data_dir_from: DataFolderFrom = PrivateAttr(default=DataFolderFrom.DEFAULT)
    _database_by_variable: bool = PrivateAttr(default=False)  # DIGEST_DATABASE_URL, which a printed command repeats

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """`Settings(...)` takes only what it is given; `load_settings` adds the file and the environment."""
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _database_in_data_folder(cls, data: Any) -> Any:
        blank = data.get("database_url") if isinstance(data, dict) else None
        if isinstance(blank, str) and not blank.strip():  # the file's; a blank variable is unset (EnvironmentSource)
            raise problem(
                "database_url is empty: leave it out for digest.sqlite3 in the data folder, or write the URL, as "
                "sqlite:////absolute/path/digest.sqlite3"
            )
        if isinstance(data, dict) and not data.get("database_url"):
            folder = data.get("data_dir", Path("data"))
            if isinstance(folder, str | Path):
                try:
                    path = resources.home_path(folder)
                except resources.NoHomeError as exc:
                    raise problem(f"data_dir {exc}") from None
                try:
                    resolved = path.resolve()
                except (RuntimeError, OSError):  # Python 3.11 says a loop so (RuntimeError), later ones OSError
                    raise problem(
                        f"data_dir {str(path)!r} is a symbolic link that leads round in a loop: give a folder"
                    ) from None
                if "?" in str(resolved):  # a database URL reads it as the start of its query
                    raise problem(
                        f"data_dir {str(path)!r}: a data folder whose path holds '?' cannot hold the database (its URL "
                        "would name another file); choose another folder, or set DIGEST_DATABASE_URL"
                    )
                return {**data, "database_url": default_database_url(path)}
        return data

    @model_validator(mode="after")
    def _polite_to_arxiv_feeds(self) -> Settings:
        """Without `[arxiv] sources` the polls read the feeds of feeds/sources.toml: the pause arXiv asks for holds
        when those are on arxiv.org, not when they name a mirror. A file that cannot be read is its own problem
        (`config check`, the start and every poll refuse it), reported there."""
        arxiv = self.arxiv
        if arxiv.sources or arxiv.min_interval_seconds >= ARXIV_MIN_INTERVAL:
            return self
        try:
            feeds = read_feed_sources(self.feeds_dir).feeds
        except FeedsError:
            return self
        self.arxiv.impolite_to(feeds, str(self.feeds_dir / SOURCES_FILE))
        return self

    @model_validator(mode="after")
    def _repository_there(self) -> Settings:
        """A local repository that is nothing here is a typo, unless the data folder's clone followed it before."""
        mistyped = mistyped_repository(self.publish, self.data_dir)
        if mistyped:
            raise problem(mistyped)
        return self

    @property
    def data_dir_from(self) -> DataFolderFrom:
        return self._data_dir_from

    @property
    def database_by_variable(self) -> bool:
        """The database is the one DIGEST_DATABASE_URL names in this process's environment, not its settings file's."""
        return self._database_by_variable

    def with_data_dir_from(self, origin: DataFolderFrom, database_by_variable: bool = False) -> Settings:
        """These settings, knowing what named their data folder, and whether the environment named their database."""
        settings = self.model_copy()
        settings._data_dir_from = origin
        settings._database_by_variable = database_by_variable
        return settings

    @property
    def list_markdown_path(self) -> Path:
        """Where the regenerated list Markdown is written after every change."""
        return self.data_dir / "list.md"

    @property
    def arxiv_turn_file(self) -> Path:
        """The file that spaces requests to arXiv across the processes on this data folder (arxiv/turn_file.py)."""
        return self.data_dir / "arxiv.turn"

    @property
    def weekly_dir(self) -> Path:
        return self.weekly.out_dir or self.data_dir / "weekly"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)
