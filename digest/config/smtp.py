"""The [smtp] table: the mail server of the weekly email, its login, and the readers of each edition; and when a
login would cross the network unencrypted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from digest.config.declarations import from_environment
from digest.config.lookups import LookupTimeoutError
from digest.config.loopback import loopback_check
from digest.config.problems import problem
from digest.config.sections import Section
from digest.config.values import EmailAddress, Host, Mailbox, Port, Seconds, trimmed_secret


class SmtpSettings(Section):
    host: Host | None = Field(None, description="the mail server; email is off without it")
    port: Port = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = from_environment("SMTP_PASSWORD", "the mail server's password, with username")
    sender: Mailbox = "awesome-digest@localhost"
    recipients: Annotated[tuple[EmailAddress, ...], Field(strict=False)] = Field(
        (), description="the readers' edition of the weekly digest: the week's new papers, nothing to approve"
    )
    maintainer_recipients: Annotated[tuple[EmailAddress, ...], Field(strict=False)] = Field(
        (), description="the maintainers' edition: what waits for review and the second tier's approval links"
    )
    timeout_seconds: Seconds = 30.0

    @field_validator("password", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """As DISCORD_TOKEN: a password of spaces only is not set, said by `config check`, not at the weekly send."""
        return trimmed_secret(value, keep_space=True)

    @field_validator("username")
    @classmethod
    def _blank_is_refused(cls, value: str | None) -> str | None:
        """A blank user name was no login, unsaid, as though the key were left out: refused, as a blank host is."""
        if value is not None and not value.strip():
            raise problem("is empty: leave it out to send without a login, or write the mail server's user name")
        return value

    @property
    def enabled(self) -> bool:
        """Email is on: a server, and someone to send an edition to."""
        return bool(self.host and (self.recipients or self.maintainer_recipients))

    @property
    def password_missing(self) -> str | None:
        """A login without its password: said by what sends mail (`weekly --send`, the service), not by all commands."""
        if not self.username or self.password:
            return None
        return (
            "smtp.username is set but SMTP_PASSWORD is not set (absent or blank): set SMTP_PASSWORD in the environment,"
            " or remove [smtp] username if the mail server takes mail without a login"
        )

    @property
    def cleartext_login(self) -> str | None:
        """A login over plain text to another machine: anyone on the way reads the password. Refused before connecting
        by what sends mail (`weekly --send`, the service, the send itself) and `config check`; a relay on this machine
        (localhost, a loopback address, a name of loopback addresses only) crosses no network and keeps its login. A
        name with no answer within timeout_seconds cannot be told to be this machine: said so."""
        try:
            return self.route()[0]
        except LookupTimeoutError as exc:  # the resolver's silence, not the host: said as such, and what it stops
            return (
                f"smtp.security is none and smtp.username is set: {exc}, so {self.host} cannot be told to be this"
                " machine and the SMTP password would not be sent to it unencrypted; start again once it answers, or"
                ' set [smtp] security = "starttls" or "tls"'
            )

    def route(self, stopped: Callable[[], bool] | None = None) -> tuple[str | None, str]:
        """The host resolved once for a send: the line refusing a plain-text login (None: none refused), and where to
        connect. A plain-text login goes to the loopback address the check accepted, never to the name resolved
        again (an answer changed since, by DNS rebinding or a short TTL, would take the password elsewhere); otherwise
        the host as configured (TLS checks the server's certificate against the name). The lookup waits timeout_seconds
        at most (LookupTimeoutError), and no longer than `stopped` is false (LookupStoppedError)."""
        host = self.host or ""
        if self.security != "none" or not self.username or not host:
            return None, host
        checked = loopback_check(host, self.timeout_seconds, stopped)
        if checked.address is not None:
            return None, checked.address
        if not checked.resolves:
            return (
                f"smtp.security is none and smtp.username is set: {host} does not resolve to an address here,"
                " so it cannot be told to be this machine and the SMTP password would not be sent to it unencrypted;"
                ' check [smtp] host, set [smtp] security = "starttls" or "tls", or remove [smtp] username'
            ), host
        return (
            f"smtp.security is none and smtp.username is set: the SMTP password would cross the network to {host}"
            ' unencrypted; set [smtp] security = "starttls" or "tls", or remove [smtp] username'
        ), host

    def recipients_of(self, edition: str) -> tuple[str, ...]:
        """Who gets the edition ("readers" or "maintainers"); empty: that edition is not emailed."""
        if not self.host:
            return ()
        return tuple(self.maintainer_recipients if edition == "maintainers" else self.recipients)

    @model_validator(mode="after")
    def _usable(self) -> SmtpSettings:
        problems = []
        if self.host and not self.recipients and not self.maintainer_recipients:
            problems.append("smtp.recipients is empty: the weekly digest email would go to nobody")
        if problems:
            raise problem("\n".join(problems))
        return self
