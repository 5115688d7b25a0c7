"""The list's stored text around its sections (preamble, trailer) and what is known of its import, key by key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.storage.models import ListMeta


def list_meta(session: Session) -> dict[str, str]:
    return {row.key: row.value for row in session.scalars(select(ListMeta))}


def set_meta(session: Session, key: str, value: str) -> None:
    row = session.get(ListMeta, key)
    if row is None:
        session.add(ListMeta(key=key, value=value))
    elif row.value != value:
        row.value = value
