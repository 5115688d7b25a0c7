"""The list's paper sections with the label each is offered and recorded under, read without the list's rendering: a
listing of candidates names their sections and loads no templates."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.sectionlabels import section_labels
from digest.storage.models import Section

Labelled = Sequence[tuple[Section, str]]  # the paper sections with their labels, as `labelled_sections` reads them


def labelled_sections(session: Session) -> list[tuple[Section, str]]:
    """The paper sections in the list's order, each with the label it is offered under (sectionnames.section_labels:
    its name, told apart from a section of the same name by the heading above it)."""
    every = list(session.scalars(select(Section).order_by(Section.position)))
    labels = section_labels([(section.name, section.slug, section.level) for section in every])
    return [(section, label) for section, label in zip(every, labels, strict=True) if section.kind != "text"]


def labelled_or_read(session: Session, labelled: Labelled | None) -> Labelled:
    """`labelled`, the list's sections read already by the caller (so that one edit or page reads them once), else
    `labelled_sections`."""
    return labelled if labelled is not None else labelled_sections(session)
