"""The review bot's slash command: `/add <arxiv id or URL> [section]` lets a maintainer add a paper to the list, as
`digest add` does (digest.arxiv.additions, approved through the Reviewer with channel "discord").

Commands in, paper_add calls out. Who may add is review.may_decide, the rule the reactions use; every answer is
ephemeral (only the maintainer who asked sees it) and one line.
"""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from sqlalchemy.exc import SQLAlchemyError

from digest.arxiv import additions as paper_add
from digest.config import Settings
from digest.discord import store
from digest.discord.connection import NO_MENTIONS
from digest.discord.legend import shown_section
from digest.discord.markup import clip, escape, units
from digest.discord.members import Members
from digest.review import handpicked
from digest.review.reviewer import Reviewer
from digest.review.rules import Actor, may_decide
from digest.storage.db import Database
from digest.storage.failures import failure_line
from digest.text import blank_invisible

log = logging.getLogger("digest.discord")

NOT_A_MAINTAINER = "Only the list's maintainers can add papers; ask one of them, or suggest it on the list's page."
MAX_REPLY = 1900  # Discord refuses messages over 2,000 UTF-16 units
MAX_CHOICE = 100  # an autocomplete choice's name and value, in UTF-16 units
MAX_CHOICES = 25  # Discord shows at most 25 autocomplete choices
MAX_INPUT = 300


def reply_text(text: str) -> str:
    """An answer as the member sees it: it may name the list's sections, whose headings keep what the maintainer wrote
    (a U+202E would reverse the rest of the line), so the text policy's invisible characters are blanked; cut to
    what Discord takes."""
    return clip(blank_invisible(text, keep_line_breaks=True), MAX_REPLY)


def actor_of(user: discord.User | discord.Member, settings: Settings) -> Actor | None:
    """The maintainer behind an interaction, or None: listed users and members holding a maintainer role."""
    roles = [role.id for role in user.roles] if isinstance(user, discord.Member) else []
    if may_decide(roles, user.id, settings.discord):
        return Actor(user.display_name, str(user.id), "discord", command="add")
    return None


class SlashCommands:
    """Builds the command tree of each new client and registers the commands in the review server once."""

    def __init__(self, settings: Settings, database: Database, reviewer: Reviewer, members: Members) -> None:
        self.settings = settings
        self.database = database
        self.reviewer = reviewer
        self.members = members
        self.tree: app_commands.CommandTree[discord.Client] | None = None
        self.synced_guild: int | None = None

    def attach(self, client: discord.Client) -> None:
        """Gives a new client its command tree (discord.py routes the client's interactions to it)."""
        tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)

        @tree.command(name="add", description="Add a paper to the list by its arXiv ID or URL (maintainers)")
        @app_commands.describe(
            paper="2501.01234, arXiv:2501.01234 or https://arxiv.org/abs/2501.01234",
            section="the section to add it to (default: the one the model suggests)",
        )
        async def add(interaction: discord.Interaction, paper: str, section: str | None = None) -> None:
            await self.add(interaction, paper, section)

        @add.autocomplete("section")
        async def sections(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            return await self.section_choices(current)

        self.tree = tree

    async def register(self) -> None:
        """Registers the commands in the review server (once per process; Discord keeps them). Never raises."""
        guild_id = await self.members.guild_id()
        if self.tree is None or guild_id is None:
            log.warning("discord: /add is not registered: the review server is not known (set [discord] guild_id)")
            return
        guild = discord.Object(guild_id)
        self.tree.copy_global_to(guild=guild)
        if self.synced_guild == guild_id:
            return
        try:
            await self.tree.sync(guild=guild)
        except (discord.HTTPException, app_commands.AppCommandError) as exc:
            log.warning("discord: could not register /add in server %s: %s", guild_id, exc)
            return
        self.synced_guild = guild_id
        log.info("discord: /add registered in server %s", guild_id)

    async def section_choices(self, current: str) -> list[app_commands.Choice[str]]:
        try:
            names = await asyncio.to_thread(store.section_names, self.database)
        except SQLAlchemyError as exc:
            said = failure_line(exc, str(self.database.engine.url))
            log.warning("discord: could not read the list's sections for /add: %s", said)
            return []
        wanted = current.strip().casefold()
        # Matched against the name as written and as shown (a heading of invisible characters by what it reads).
        found = [name for name in names if wanted in name.casefold() or wanted in shown_section(name).casefold()]
        found = found[:MAX_CHOICES]
        # The name is shown (without a heading's bidi controls); the value comes back and names the section as written.
        # Discord counts both in UTF-16 units, and refuses every choice offered with one too long or blank; a heading
        # of characters that draw nothing is named so.
        shown = [(clip(blank_invisible(shown_section(name)), MAX_CHOICE), clip(name, MAX_CHOICE)) for name in found]
        return [app_commands.Choice(name=name, value=value) for name, value in shown]

    async def add(self, interaction: discord.Interaction, paper: str, section: str | None) -> None:
        actor = actor_of(interaction.user, self.settings)
        if actor is None:
            log.info("discord: refused /add by non-maintainer %s", interaction.user.id)
            await self._answer(interaction, NOT_A_MAINTAINER)
            return
        arxiv_id = paper_add.parse_arxiv_reference(paper[:MAX_INPUT])
        if arxiv_id is None:
            await self._answer(interaction, paper_add.reference_refused(paper[:MAX_INPUT], quote=True, escape=escape))
            return
        # Fetching from arXiv may take longer than the 3 s Discord waits for an answer: say "thinking" first.
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
        except discord.HTTPException as exc:
            log.warning("discord: could not answer /add by %s (nothing was added): %s", actor.name, exc)
            return
        section = (section or "").strip()[:200] or None
        try:
            section = await self._chosen(section)
            added = await handpicked.add_and_approve(
                self.database,
                self.settings,
                self.reviewer,
                arxiv_id,
                section,
                actor,
                section_hint="in the section field",
            )
            reply = added.describe()
        except paper_add.AddError as exc:
            reply = exc.shown(escape)  # the title it may quote comes from arXiv: inert, as in candidate messages
        except (SQLAlchemyError, OSError) as exc:
            log.error("discord: /add %s by %s failed: %s", arxiv_id, actor.name, exc)
            reply = f"{arxiv_id} was not added: the database could not be written (see the service's log)"
        log.info("discord: /add %s by %s: %s", arxiv_id, actor.name, reply)
        try:
            await interaction.followup.send(reply_text(reply), ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("discord: could not answer /add by %s: %s", actor.name, exc)

    async def _chosen(self, section: str | None) -> str | None:
        """The section a choice names: the value of one whose heading is over a choice's 100 units is its first 100
        (section_choices), taken for the one heading it starts; anything else as typed."""
        if section is None or units(section) > MAX_CHOICE:
            return section
        names = await asyncio.to_thread(store.section_names, self.database)
        longer = [name for name in names if name != section and clip(name, MAX_CHOICE).strip() == section]
        return longer[0] if len(longer) == 1 and section not in names else section

    async def _answer(self, interaction: discord.Interaction, text: str) -> None:
        try:
            await interaction.response.send_message(reply_text(text), ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("discord: could not answer /add by %s: %s", interaction.user.id, exc)
