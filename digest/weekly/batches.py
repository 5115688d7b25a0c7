"""One message to a list of readers, a batch of recipients at a time over one SMTP connection, and what the server
said in the middle of it: recipients past its limit (452) go in the next message; a connection it closed (421), a
failure after some batch went out, or a stop, leaves the rest owed (a 4xx); a 5xx to the message after earlier
batches refuses it for good for the rest."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Protocol

from digest.weekly.refusals import CLOSED, STOPPED, UNSENT
from digest.weekly.smtpsession import for_good, reply_line

Replies = dict[str, tuple[int, bytes]]


class Stop(Protocol):
    """Set when the send is to end: the running service stopping (its asyncio.Event, read from the sending thread, a
    flag it only reads) or `digest weekly --send` interrupted (a threading.Event its signal handler sets)."""

    def is_set(self) -> bool: ...


def send_in_batches(
    client: smtplib.SMTP,
    message: EmailMessage,
    sender: str,
    to: Sequence[str],
    per_message: int,
    stop: Stop | None = None,
) -> tuple[Replies, list[str]]:
    """The message to `to`, `per_message` at a time: who was refused and why, and who the message was refused for
    for good (a 5xx to MAIL FROM or DATA after an earlier batch went out: the same message would be refused again).
    A batch whose recipients are all refused does not stop the others; a failure after some batch went out leaves
    the rest owed (a 4xx), so the retry goes to them alone, and so does `stop` set between two batches (the caller
    checks it before the first) or during one (its connection shut: said stopped, not lost). Raises as smtplib does
    when none went out."""
    refused: Replies = {}
    sent_some = False
    waiting = list(to)
    while waiting:
        if stop is not None and stop.is_set() and (sent_some or refused):
            refused.update(dict.fromkeys(waiting, STOPPED))
            break
        batch, waiting = waiting[:per_message], waiting[per_message:]
        try:
            answer = client.send_message(message, from_addr=sender, to_addrs=batch)
            sent_some = True
        except smtplib.SMTPRecipientsRefused as exc:
            if not any(code == 421 for code, _ in exc.recipients.values()):
                refused.update(exc.recipients)  # every one of the batch refused; the connection is still open
                continue
            # A 421 closed the connection: nobody of the batch has it (no DATA went), nor any batch after it.
            refused = {**refused, **dict.fromkeys([*batch, *waiting], CLOSED), **exc.recipients}
            break
        except (OSError, smtplib.SMTPException) as exc:
            if not sent_some:
                raise
            if isinstance(exc, smtplib.SMTPResponseException) and for_good(exc):
                said = exc.smtp_error if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error).encode()
                refused.update(dict.fromkeys([*batch, *waiting], (exc.smtp_code, said)))
                return refused, [*batch, *waiting]
            if stop is not None and stop.is_set() and not isinstance(exc, smtplib.SMTPResponseException):
                # The stop shut the connection, the batch in flight unanswered (weekly/connectionwatch.py).
                refused.update(dict.fromkeys([*batch, *waiting], STOPPED))
                break
            reason = UNSENT + f" after an earlier batch: {reply_line(exc)}".encode()
            refused.update(dict.fromkeys([*batch, *waiting], (451, reason)))
            break
        later = past_the_limit(batch, answer)
        if later and batch[-len(later) :] == later:  # the limit, not a reader's own 452: later messages hold fewer
            per_message = len(batch) - len(later)
        waiting = [*later, *waiting]
        refused.update({address: reply for address, reply in answer.items() if address not in later})
    if not sent_some:
        raise smtplib.SMTPRecipientsRefused(refused)
    return refused, []


def past_the_limit(batch: Sequence[str], answer: Replies) -> list[str]:
    """The recipients of a message sent that the server answered 'too many recipients' (RFC 5321 4.5.3.1.10: a 452,
    or an older server's 552) after taking some of its recipients: not refused, only to go in the next message. A 452
    before any recipient was taken is the recipient's own (a full mailbox): refused for now."""
    taken, later = 0, []
    for address in batch:
        reply = answer.get(address)
        if reply is None:
            taken += 1
        elif taken and too_many(reply):
            later.append(address)
    return later


def too_many(reply: tuple[int, bytes]) -> bool:
    """Whether the reply to a RCPT can be a server's limit of recipients a message."""
    code, text = reply
    return code == 452 or (code == 552 and (b"4.5.3" in text or b"too many recipients" in text.lower()))
