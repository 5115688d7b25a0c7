"""The review bot's own tables: the reactions it has seen on a candidate's message, the messages it owes a catching
up, and the reactions waiting for Discord to say who made them. Apart from the list's schema (models.py), so that
the commands that never touch Discord map none of them; storage/state.py maps them with the rest."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from digest.storage.models import Base
from digest.storage.times import UTCDateTime


class DiscordReaction(Base):
    """A reaction the review bot has seen on a candidate's message: what its emoji meant then (a section emoji's
    section as the list named it; None: ✅'s suggested one), and whether its author was a maintainer then. One made by
    someone who was not does not decide later, when they are; and a reaction keeps its meaning when the config gives
    its emoji to another section."""

    __tablename__ = "discord_reactions"
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(64), primary_key=True)  # without variation selector or skin tone
    action: Mapped[str] = mapped_column(String(16))  # approve | reject
    section: Mapped[str | None] = mapped_column(String(200))
    counted: Mapped[bool] = mapped_column(Boolean)  # its author was a maintainer when the bot saw it
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DiscordOwedMessage(Base):
    """A review message the bot owes a catching up whatever its paper's age: a reaction on it came while the database
    or a member lookup failed. Kept here, not in memory only, so that a restart acts on it; gone once caught up."""

    __tablename__ = "discord_owed_messages"
    message_id: Mapped[str] = mapped_column(String(32), primary_key=True)  # no candidate: its lookup may have failed
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DiscordHeldReaction(Base):
    """A live reaction whose deciding waits for Discord to say who made it, with the id of the candidate's last decision
    when it came: one older than the decision that stands when it is decided does not overturn it, restarted too."""

    __tablename__ = "discord_held_reactions"
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(64), primary_key=True)
    action: Mapped[str] = mapped_column(String(16))  # approve | reject
    section: Mapped[str | None] = mapped_column(String(200))
    last_decision_id: Mapped[int] = mapped_column(Integer)
