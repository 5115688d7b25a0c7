"""What a candidate's message says of a decision made outside Discord (the web, the command line, a feed or email
link): who made it, through which channel, when, and whose reactions from before it no longer count (they stay on the
message: the bot may not take another member's reaction off)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from digest.vocab import decided_by


@dataclass(frozen=True)
class MadeElsewhere:
    """The decision that stands, or the return to pending, made outside Discord; `overruled`: the maintainers whose
    reactions, added since the decision made elsewhere before it (if any), it overruled."""

    actor: str
    channel: str
    at: datetime
    overruled: tuple[str, ...] = ()

    def who(self) -> str:
        """'root via cli', 'web maintainer', 'feed approval link': each said once (vocab.decided_by)."""
        return decided_by(self.actor, self.channel)

    def when(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} UTC"
