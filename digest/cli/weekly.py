"""`digest weekly`: the weekly digest of an ISO week as Markdown or email; `--send` sends the email once."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from digest.cli.context import CommandError, Context

if TYPE_CHECKING:
    from email.message import EmailMessage


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "weekly",
        help="build the weekly digest (Markdown file or email) and optionally send it",
        description=(
            "Build the digest of an ISO week (default: the last complete week in the configured time zone). "
            "Markdown is written to the weekly folder as YYYY-Www.md; --send emails it, at most once per week."
        ),
    )
    parser.add_argument("--week", help="ISO week, e.g. 2026-W48 (default: the last complete week)")
    parser.add_argument(
        "--format",
        choices=("md", "email"),
        default="md",
        help="md writes the Markdown file; email prints the email (default: md)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the result; write and send nothing")
    parser.add_argument("--send", action="store_true", help="send the email (skipped when already sent)")
    parser.set_defaults(handler=handle)


def readable(message: EmailMessage) -> str:
    """The message as a person reads it: headers, then each part decoded (the wire form is quoted-printable)."""
    from email.message import EmailMessage

    lines = [f"{name}: {value}" for name, value in message.items() if name.lower() != "content-type"]
    for part in message.iter_parts():
        if isinstance(part, EmailMessage):
            lines += ["", f"--- {part.get_content_type()} ---", str(part.get_content()).rstrip("\n")]
    return "\n".join(lines) + "\n"


def handle(args: argparse.Namespace, context: Context) -> int:
    from datetime import UTC, datetime

    from digest.config.secretstore import SecretStoreError
    from digest.weekly.contents import compose_email, load_digest, write_markdown
    from digest.weekly.issue import IsoWeek, last_complete_week, render
    from digest.weekly.store import send_week

    try:
        chosen = IsoWeek.parse(args.week) if args.week else None
    except ValueError as exc:
        # A usage error (exit 2) in one line, before the settings are read or the database is opened.
        print(f"digest: {exc}", file=sys.stderr)
        return 2
    settings = context.settings
    now = datetime.now(UTC)
    week = chosen or last_complete_week(now, settings.tz)
    if args.send and args.dry_run and not settings.smtp.enabled:
        print(
            "digest: warning: email is off (set [smtp] host and recipients): --send would send nothing",
            file=sys.stderr,
        )
    try:
        # The second tier's approval links are signed with the web app's key (read, or generated, in the data folder).
        with context.database.reading() as session:
            digest = load_digest(session, settings, week, now=now)
    except SecretStoreError as exc:
        raise CommandError(str(exc)) from None

    if args.format == "md":
        if args.dry_run:
            sys.stdout.write(render(digest, settings.templates_dir, "digest.md.j2"))
        else:
            try:
                path = write_markdown(digest, settings)
            except OSError as exc:
                raise CommandError(f"cannot write the digest in {settings.weekly_dir}: {exc.strerror or exc}") from None
            print(f"{week}: wrote {path}")
    elif args.dry_run or not args.send:
        sys.stdout.write(readable(compose_email(digest, settings, now)))
    if args.format == "md" and args.dry_run and args.send:
        sys.stdout.write("\n" + readable(compose_email(digest, settings, now)))

    if not args.send or args.dry_run:
        return 0
    # A maintainer asking by hand does not wait out the back-off of a failed scheduled attempt.
    outcome = send_week(settings, context.database, week, now, ignore_backoff=True)
    if outcome.status in ("off", "failed", "busy"):
        raise CommandError(f"{week}: email not sent: {outcome.message}")
    print(f"{week}: {outcome.message}")
    return 0
