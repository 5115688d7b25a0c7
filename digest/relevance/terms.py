"""Terms of the keyword rules and how a text is matched against them: a text split into words once (`Words`), a named
group of terms (`TermSet`) and several sets matched together, each distinct word looked up once (`TermIndex`). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from operator import itemgetter
from typing import Any

from digest.relevance.tokeniser import WORD, tokens


def _is_acronym(term: str) -> bool:
    # Short all-caps terms (SAE, VLM, CLIP, ViT) are matched case-sensitively so that "clip" or "sae" in ordinary
    # prose does not count.
    core = term.rstrip("*")
    core = core[:-1] if core.endswith("s") else core
    return 2 <= len(core) <= 5 and sum(ch.isupper() for ch in core) >= 2


class Words:
    """A text split into words once (as `Words.of` splits it: ASCII letters and digits) for every term set to
    match: its distinct words, and the words joined by spaces for phrases."""

    __slots__ = ("_lower_text", "_original_text", "original", "original_set")

    def __init__(self, original: Sequence[str]) -> None:
        self.original = original
        self.original_set = set(original)
        self._lower_text: str | None = None
        self._original_text: str | None = None

    def joined(self, case_sensitive: bool) -> str:
        """The words joined by single spaces with a space at each end: a phrase is then one substring search
        (C speed) instead of a scan over every word, which a common first word ("in", "image") made costly."""
        if self._original_text is None:
            self._original_text = " " + " ".join(self.original) + " "
        if case_sensitive:
            return self._original_text
        if self._lower_text is None:
            # Lowering the joined text lowers each word (one call instead of one a word); only words outside ASCII
            # (which `Words.of` never makes) could lower differently in context, so they are lowered one by one.
            text = self._original_text
            if text.isascii():
                self._lower_text = text.lower()
            else:
                self._lower_text = " " + " ".join(word.lower() for word in self.original) + " "
        return self._lower_text

    @classmethod
    def of(cls, text: str) -> Words:
        return cls(tokens(text))


@dataclass(frozen=True)
class _Term:
    index: int  # in its set's terms
    parts: tuple[str, ...]  # lower case unless case-sensitive; a trailing "*" on the last part matches any ending
    case_sensitive: bool


@dataclass(frozen=True, eq=False)  # each phrase is one object: hashed by identity, quickly
class _Phrase:
    """A term of several words, found as a substring of the text's joined words (see `Words.joined`)."""

    number: int  # in its TermIndex
    needle: str
    case_sensitive: bool
    requires: frozenset[int]  # its words' numbers in the TermIndex: each must occur for the phrase to

    @classmethod
    def of(cls, number: int, term: _Term, requires: frozenset[int]) -> _Phrase:
        # Words are joined by single spaces: the phrase with a space before it, and after it unless the last part
        # is a prefix ("model*" goes on with any ending).
        text = " " + " ".join(term.parts)
        return cls(number, text[:-1] if text.endswith("*") else text + " ", term.case_sensitive, requires)


def _term_parts(term: str) -> tuple[list[str], bool]:
    """A term as words like the text's (lower case unless an acronym), the last one ending in "*" if a prefix."""
    case_sensitive = _is_acronym(term)
    raw_parts = [part for part in re.split(r"[\s\-]+", term.strip()) if part]
    parts: list[str] = []
    for position, part in enumerate(raw_parts):
        star = part.endswith("*") and position == len(raw_parts) - 1
        words = WORD.findall(part)
        if not case_sensitive:
            words = [word.lower() for word in words]
        if star and words:
            words[-1] += "*"
        parts.extend(words)
    return parts, case_sensitive


class TermSet:
    """A named group of terms; `find` returns the terms that occur in a text, in rule order, each once.

    A term is split into words like the text ("vision-language model*" is three words, the last a prefix).
    """

    def __init__(self, terms: Sequence[str]) -> None:
        self._compile(terms)

    def _compile(self, terms: Sequence[str]) -> None:
        self.terms = tuple(terms)
        self.compiled: list[_Term] = []  # every term with words, as words
        for index, term in enumerate(self.terms):
            parts, case_sensitive = _term_parts(term)
            if parts:
                self.compiled.append(_Term(index, tuple(parts), case_sensitive))
        self.parts = [term.parts for term in self.compiled]  # every term as words (see TermGate)

    @cached_property
    def _index(self) -> TermIndex:
        # Built on first use: the rules' own sets are matched through `Rules.find`'s index, so only the section
        # hints ever need theirs, and loading a saved model (every `digest score`) builds none it will not use.
        return TermIndex(self)

    def __getstate__(self) -> dict[str, tuple[str, ...]]:
        return {"terms": self.terms}  # a saved model holds the terms, not the lookups nor the words remembered

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._compile(state["terms"])  # also a term set pickled by older code, whose lookups were not these

    def find(self, words: Words) -> list[str]:
        return self._index.find(words)[0]


# Words an index remembers (85,000 arXiv abstracts use 166,000 distinct words): the first it meets, most of them the
# common ones; a word met later is worked out each time. It never forgets one, so a scoring thread never misses a word
# another thread's call just put there. 20,000 words hold about 2 MB, so a service running for years stays well under
# its memory budget (100,000 grew to 10 MB over the haystack).
_REMEMBERED = 20_000
_Hits = tuple[tuple[int, ...], tuple[_Phrase, ...]]  # a word's terms (and phrases' words), the phrases it begins


class _Prefixes:
    """Stems of prefix terms ("interpretab*"): the numbers of the stems a word begins with, a look-up per length."""

    def __init__(self) -> None:
        self.numbers: dict[str, list[int]] = {}
        self._lengths: list[int] = []
        self._starts: set[str] = set()  # each stem's beginnings, cut at each stem length

    def add(self, stem: str, number: int) -> None:
        self.numbers.setdefault(stem, []).append(number)
        self._lengths = sorted({len(stem) for stem in self.numbers})
        self._starts = {known[:length] for known in self.numbers for length in self._lengths if length <= len(known)}

    def of(self, word: str) -> list[int]:
        # A word whose beginning of one length begins no stem begins no longer stem either: most words stop at the
        # first length, where a word of the poll not remembered (TermIndex._learn) used to try every length.
        found: list[int] = []
        for length in self._lengths:
            start = word[:length]
            if length > len(word) or start not in self._starts:
                break
            found += self.numbers.get(start, ())
        return found


class TermIndex:
    """Several term sets matched together: each distinct word of a text is looked up once for all their terms.

    Every term has a number, in set order then rule order. What a word is by itself (an exact word, an acronym as
    written, a word a prefix term begins) depends on the word alone: it is worked out once per word and
    remembered. A phrase's words are numbered too (after the terms), as one-word terms of their own: the phrase is
    looked for in place (a substring of the joined words) only when all of them occur.
    """

    def __init__(self, *term_sets: TermSet) -> None:
        self._owners: list[tuple[int, str]] = []  # term number -> (its set's position, the term)
        self._words: dict[str, list[int]] = {}  # one word, lower case
        self._acronyms: dict[str, list[int]] = {}  # one word, matched as written
        self._stems, self._acronym_stems = _Prefixes(), _Prefixes()  # one word with "*" (lower case; as written)
        self._phrases: dict[str, list[_Phrase]] = {}  # by the first word (lower case)
        phrases: list[tuple[int, _Term]] = []
        for position, term_set in enumerate(term_sets):
            for term in term_set.compiled:
                number = len(self._owners)
                self._owners.append((position, term_set.terms[term.index]))
                if len(term.parts) > 1:
                    phrases.append((number, term))
                else:
                    self._add_word(number, term.parts[0], term.case_sensitive)
        self._sets, self._terms = len(term_sets), len(self._owners)
        part_numbers: dict[tuple[str, bool], int] = {}
        for number, term in phrases:
            requires = frozenset(self._part_number(part_numbers, part, term.case_sensitive) for part in term.parts)
            self._phrases.setdefault(term.parts[0].lower(), []).append(_Phrase.of(number, term, requires))
        # What the words of texts seen so far are: the numbers of the terms (and phrases' words) each is and the
        # phrases each begins; or none of these (most words).
        self._hits: dict[str, _Hits] = {}
        self._misses: set[str] = set()

    def _add_word(self, number: int, word: str, case_sensitive: bool) -> None:
        if word.endswith("*"):
            (self._acronym_stems if case_sensitive else self._stems).add(word[:-1], number)
        else:
            (self._acronyms if case_sensitive else self._words).setdefault(word, []).append(number)

    def _part_number(self, numbers: dict[tuple[str, bool], int], part: str, case_sensitive: bool) -> int:
        key = (part, case_sensitive)
        if key not in numbers:
            numbers[key] = self._terms + len(numbers)
            self._add_word(numbers[key], part, case_sensitive)
        return numbers[key]

    def _learn(self, word: str) -> _Hits:
        """Works out what one word is (its terms and phrases' words, the phrases it begins), remembering it."""
        lower = word.lower()
        numbers = [*self._words.get(lower, ()), *self._acronyms.get(word, ())]
        numbers += self._stems.of(lower) + self._acronym_stems.of(word)
        hits = (tuple(numbers), tuple(self._phrases.get(lower, ())))
        if len(self._hits) + len(self._misses) < _REMEMBERED:
            if hits[0] or hits[1]:
                self._hits[word] = hits
            else:
                self._misses.add(word)
        return hits

    def find(self, words: Words) -> list[list[str]]:
        """The terms of each set that occur in the words, in rule order, each once."""
        # Most words of a text are known to be no term and no phrase's word: set differences at C speed.
        known = words.original_set - self._misses
        unknown = known.difference(self._hits)
        hits = [*map(self._hits.__getitem__, known - unknown), *map(self._learn, unknown)]
        numbers = set(chain.from_iterable(map(itemgetter(0), hits)))
        for phrase in set(chain.from_iterable(map(itemgetter(1), hits))):
            if phrase.requires <= numbers and phrase.needle in words.joined(phrase.case_sensitive):
                numbers.add(phrase.number)
        found: list[list[str]] = [[] for _ in range(self._sets)]
        for number in sorted(numbers):
            if number >= self._terms:
                break
            position, term = self._owners[number]
            found[position].append(term)
        return found
