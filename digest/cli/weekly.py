"""`digest weekly`: the weekly digest of an ISO week as Markdown or email, in the readers' or the maintainers' edition;
`--send` sends each edition once to its own recipients."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from digest.cli.context import CommandError, Context, FeatureOffError
from digest.cli.weekly_sending import interrupted_line, outcome_line, outcomes_said_here, rest_unsent, stopped_by_signal
from digest.vocab import EDITIONS

if TYPE_CHECKING:
    import threading
    from datetime import datetime
    from email.message import EmailMessage

    from digest.config import Settings
    from digest.vocab import Edition
    from digest.weekly.issue import IsoWeek, WeeklyDigestData
    from digest.weekly.outcome import SendOutcome


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "weekly",
        help="build the weekly digest (Markdown file or email) and optionally send it",
        description=(
            "Build the digest of an ISO week (default: the last complete week in the configured time zone). "
            "Two editions: the readers' (new papers; YYYY-Www.md, emailed to [smtp] recipients) and the maintainers' "
            "(also what waits for review and the second tier's approval links; YYYY-Www.maintainers.md, emailed to "
            "[smtp] maintainer_recipients). --send emails each edition at most once per week; --send --again sends "
            "one sent already once more, to all its recipients."
        ),
    )
    parser.add_argument("--week", help="ISO week, e.g. 2026-W48 (default: the last complete week)")
    parser.add_argument(
        "--format",
        choices=("md", "email"),
        default="md",
        help="md writes the Markdown file; email prints the email (default: md)",
    )
    parser.add_argument(
        "--edition",
        choices=EDITIONS,
        help="the edition to print, write or send (default: readers when printing; both when writing or sending)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the result; write and send nothing")
    parser.add_argument("--send", action="store_true", help="send the email (each edition skipped when already sent)")
    parser.add_argument(
        "--again",
        action="store_true",
        help="with --send: send the week's edition(s) sent already once more, to all their recipients",
    )
    parser.add_argument(
        "--now",
        action="store_true",
        help="the current week as it stands; with --send, sent now (it then counts as sent: later papers wait for "
        "no one)",
    )
    parser.set_defaults(handler=handle)


def readable(message: EmailMessage) -> str:
    """The message as a person reads it: headers, then each part decoded (the wire form is quoted-printable)."""
    from email.message import EmailMessage

    lines = [f"{name}: {value}" for name, value in message.items() if name.lower() != "content-type"]
    for part in message.iter_parts():
        if isinstance(part, EmailMessage):
            lines += ["", f"--- {part.get_content_type()} ---", str(part.get_content()).rstrip("\n")]
    return "\n".join(lines) + "\n"


def chosen_week(args: argparse.Namespace, context: Context, now: datetime) -> IsoWeek | None:
    """The week the command is about (--week, --now or the last complete one); None after a usage error's line."""
    from digest.weekly.issue import IsoWeek, last_complete_week

    try:
        chosen = IsoWeek.parse(args.week) if args.week is not None else None  # "" (WEEK unset) is no week
    except ValueError as exc:
        # A usage error (exit 2) in one line, before the settings are read or the database is opened.
        print(f"digest: {exc}", file=sys.stderr)
        return None
    if args.again and not args.send:
        print("digest: --again sends an edition sent already once more: give it with --send", file=sys.stderr)
        return None
    complete = last_complete_week(now, context.settings.tz)
    current = complete.next()
    if args.now and chosen is not None and chosen != current:
        print(f"digest: --now is the current week, {current}: give --week {chosen} or --now, not both", file=sys.stderr)
        return None
    week = chosen or (current if args.now else complete)
    unfinished = week > current or (week == current and not args.now)
    if unfinished and args.send:
        # Sent half-way a week counts as sent, and its later papers would never reach readers.
        print(
            f"digest: {week} is not over yet: --send sends complete weeks ({complete} is the last; --dry-run shows "
            "any week as it stands, and --send --now sends the current one as it stands)",
            file=sys.stderr,
        )
        return None
    if unfinished and args.format == "md" and not args.dry_run:
        # Its file would call the week quiet, or miss the rest of its papers, and nothing would say why.
        print(
            f"digest: {week} is not over yet: its file is written for complete weeks ({complete} is the last; "
            "--dry-run shows any week as it stands, and --now writes the current one as it stands)",
            file=sys.stderr,
        )
        return None
    return week


def refuse_unsendable(settings: Settings, *, dry_run: bool) -> None:
    """--send with email off, its login without the password, or a login in plain text to another machine: a settings
    problem said before anything is written (as `digest publish` with publishing off); a dry run warns, in the
    command's log (with time and level, or as JSON)."""
    import logging

    log, smtp = logging.getLogger(__name__), settings.smtp
    if not smtp.enabled:
        if not dry_run:
            raise FeatureOffError(
                "email is off: set [smtp] host and recipients in the config to send the weekly digest, or leave out "
                "--send to write its Markdown alone (nothing was written or sent)"
            )
        log.warning("email is off (set [smtp] host and recipients): --send would send nothing")
    elif smtp.password_missing:
        if not dry_run:  # the server would refuse the send, after the Markdown was written
            raise FeatureOffError(f"{smtp.password_missing} (nothing was written or sent)")
        log.warning("%s: --send would not log in", smtp.password_missing)
    elif refused := smtp.cleartext_login:  # resolves the host: asked once
        if not dry_run:  # the send would refuse it, after the Markdown was written
            raise FeatureOffError(f"{refused} (nothing was written or sent)")
        log.warning("%s: --send would refuse to log in", refused)


def handle(args: argparse.Namespace, context: Context) -> int:
    from datetime import UTC, datetime

    from digest.weekly.contents import compose_email, kept_markdown, write_markdown
    from digest.weekly.mailer import MailError
    from digest.weekly.rendering import render

    # The email printed and not sent writes and sends nothing either: it is shown as a dry run shows it.
    printing = args.dry_run or (args.format == "email" and not args.send)
    context.reading_only = printing  # a read-only or full data folder still shows it
    context.dry_run = printing  # a new data folder is shown as it would start, and not made
    now = datetime.now(UTC)
    week = chosen_week(args, context, now)
    if week is None:
        return 2
    settings = context.settings
    if args.send:
        try:
            refuse_unsendable(settings, dry_run=args.dry_run)
        except KeyboardInterrupt:  # in the plain-text login's lookup of the server's name: said as the send's stop
            print("digest: interrupted while [smtp] host was looked up: nothing was written or sent", file=sys.stderr)
            return 130
    editions: tuple[Edition, ...] = (args.edition,) if args.edition else ("readers", "maintainers")
    digests = _loaded(
        context, week, editions[:1] if printing else editions, now, dry_run=args.dry_run, printing=printing
    )
    shown = digests[0]  # printing shows one edition: the chosen one, else the readers'

    if args.format == "md":
        if args.dry_run:
            sys.stdout.write(render(shown, settings.templates_dir, "digest.md.j2"))
        else:
            for digest in digests:
                if (kept := kept_markdown(digest, settings)) is not None:
                    print(f"{week}: kept {kept}: its second tier, forgotten 8 weeks after, would be lost")
                    continue
                try:
                    path = write_markdown(digest, settings)
                except OSError as exc:
                    where = settings.weekly_dir
                    raise CommandError(f"cannot write the digest in {where}: {exc.strerror or exc}") from None
                print(f"{week}: wrote {path}")
    try:
        if args.format == "email" and (args.dry_run or not args.send):
            sys.stdout.write(readable(compose_email(shown, settings, now)))
        if args.format == "md" and args.dry_run and args.send:
            sys.stdout.write("\n" + readable(compose_email(shown, settings, now)))
    except MailError as exc:  # a setting the message cannot carry: the line the job records and config check gives
        raise CommandError(f"{week}: the email cannot be built: {exc}") from None

    if not args.send or args.dry_run:
        return 0
    return send(context, week, editions, now, again=args.again)


def _loaded(
    context: Context, week: IsoWeek, editions: tuple[Edition, ...], now: datetime, *, dry_run: bool, printing: bool
) -> list[WeeklyDigestData]:
    """Each edition's digest. The maintainers' second tier approval links are signed with the web app's key (read, or
    generated, in the data folder); the readers' edition signs nothing. A command that only prints (a dry run, the
    email shown and not sent) generates no key (_previewed)."""
    from digest.config.secretstore import SecretStoreError
    from digest.weekly.contents import load_digest

    try:
        signing, throwaway = _previewed(context.settings) if printing else (context.settings, False)
        with context.database.reading() as session:
            digests = [load_digest(session, signing, week, now=now, edition=edition) for edition in editions]
    except SecretStoreError as exc:
        raise CommandError(str(exc)) from None
    if throwaway and any(digest.links_expire_at is not None for digest in digests):
        print(
            f"digest: {'dry run: ' if dry_run else ''}the approval links shown are signed with a throwaway key and "
            "will not work: no signing key yet (set DIGEST_SECRET_KEY, or the service makes one in secrets.json when "
            "it starts)",
            file=sys.stderr,
        )
    return digests


def _previewed(settings: Settings) -> tuple[Settings, bool]:
    """The settings a dry run signs the approval links with: the key as kept (environment or secrets.json), read and
    never generated, so secrets.json is neither made nor changed; a throwaway key when there is none yet (True)."""
    import secrets

    from pydantic import SecretStr

    from digest.config.secretstore import signing_key_as_kept

    kept = signing_key_as_kept(settings)
    key = kept or SecretStr(secrets.token_urlsafe(32))
    return settings.model_copy(update={"secrets": settings.secrets.model_copy(update={"secret_key": key})}), not kept


def send(context: Context, week: IsoWeek, editions: tuple[Edition, ...], now: datetime, *, again: bool) -> int:
    """Sends each edition once (`again`: once more, each sent already); an edition without recipients is one line
    saying so. A failure is the last line. Ctrl-C or SIGTERM ends the send after the batch of mail in flight, as at
    the service's stop: who got the edition is recorded and the others are owed it (exit 130)."""
    from digest.config.invocation import noted
    from digest.weekly.issue import last_complete_week
    from digest.weekly.weeks import long_date

    settings, failures = context.settings, []  # email is on: handle refused --send without it
    left: list[Edition] = []
    partly = False  # an edition sent to some, the others owed it (named on its line)
    went_out: list[Edition] = []
    with stopped_by_signal() as stop, outcomes_said_here():
        for edition in editions:
            if stop.is_set():
                left.append(edition)
                continue
            outcome = _send_edition(context, week, edition, now, stop, went_out, again=again)
            label = "" if editions == ("readers",) else f" {edition}' edition"
            line, failed = outcome_line(settings, outcome, label, len(editions))
            if failed:
                failures.append(line)
                continue
            partly = partly or outcome.status == "partly-sent"
            went_out += [edition] if outcome.status in ("sent", "partly-sent") else []
            print(line)
    if stop.is_set():
        print(f"digest: interrupted{interrupted_line(settings, week, failures, left, partly, again=again)}",
              file=sys.stderr)  # fmt: skip
        return 130
    if went_out and week == last_complete_week(now, settings.tz).next():  # --send --now: the rest of it goes nowhere
        sunday = long_date(week.sunday)
        said = (
            f"{week} is not over: it now counts as sent, so the papers that join the list by {sunday} go in no weekly"
        )
        print(f"digest: {said} digest", file=sys.stderr)
    if failures:
        raise CommandError(noted("; ".join(failures)))
    return 0


def _send_edition(
    context: Context,
    week: IsoWeek,
    edition: Edition,
    now: datetime,
    stop: threading.Event,
    went_out: list[Edition],
    *,
    again: bool,
) -> SendOutcome:
    """One edition sent (`again`: once more), not waiting out the back-off of a failed scheduled attempt (a maintainer
    asks by hand). The database failing after `went_out` did (a full disk) says they are on record and how to send the
    rest."""
    from sqlalchemy.exc import SQLAlchemyError

    from digest.weekly.resending import resend_week
    from digest.weekly.store import send_week

    settings, database = context.settings, context.database
    try:
        if again:
            return resend_week(settings, database, week, now, edition=edition, stop=stop)
        return send_week(settings, database, week, now, edition=edition, ignore_backoff=True, stop=stop)
    except SQLAlchemyError as exc:
        if not went_out:
            raise  # nothing went out: "nothing was changed", the line every command gives, is true
        raise CommandError(rest_unsent(settings, str(week), went_out, edition, exc, again=again)) from exc
