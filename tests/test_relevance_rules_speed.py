"""The keyword rules" fast matching (one look-up per distinct word for all term sets, remembered words, the gate on
spaced ASCII bytes) against a plain reading of feeds/rules.toml"s semantics, on hostile and odd texts: whole words,
case ignored except for short all-caps acronyms (SAE, ViT) matched as written, hyphens and spaces interchangeable,
a trailing "*" a prefix, text outside ASCII (which separates words, and two characters of which lower to ASCII).
"""

from __future__ import annotations

import base64
import pickle
import random
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from digest.relevance import terms as terms_module
from digest.relevance.features import rule_match
from digest.relevance.rules import Rules, TermGate, TermSet, Words, load_rules
from digest.relevance.terms import _term_parts
from digest.relevance.tokeniser import tokens
from digest.relevance.types import PaperText

FEEDS = Path(__file__).resolve().parent.parent / "feeds"

# Odd terms the shipped rules do not have: acronyms with a prefix or a plural, phrases of acronyms, a term that is
# one letter, terms whose capitals are outside ASCII (an acronym by the rule, but its only word is lower case).
# fmt: off
ODD_TERMS = [
    "A-B", "AB*", "ABs", "ab*", "x*y*", "foo-*", "Qwen2.5-VL", "  spaced   term  ", "a", "I", "ÉÉx", "ÉÉx*", "ΣΣ",
    "vision  language", "vision-language model*", "t2i", "T2I", "DINOv2", "interpret", "interpretab*"
]

PIECES = [
    "SAE", "sae", "Sae", "SAEs", "saes", "ViT", "VIT", "vit", "ViTs", "vits", "CLIP", "Clip", "clip", "CLIPs",
    "BLIP", "BLIP2", "BLIPv2", "blip", "InstructBLIP", "XAI", "xai", "MLP", "MLPs", "mlp", "VLM", "VLMs", "vlm",
    "interpretab", "Interpretability", "INTERPRETABLE", "interpret", "interprets", "interpreting", "Interpret",
    "vision", "Vision", "VISION", "visual", "language", "Language", "model", "models", "Modeling", "multi", "modal",
    "multimodal", "cross", "image", "text", "to", "T2I", "t2i", "Qwen2", "qwen2", "5", "VL", "in", "In", "context",
    "learning", "we", "We", "find", "show", "that", "logit", "Logit", "lens", "LENS", "attention", "heads", "head",
    "sparse", "autoencoders", "autoencoder", "DINOv2", "dino", "DINO", "feed", "forward", "fine", "tuning", "A",
    "B", "AB", "ABs", "ab", "abc", "x", "X", "xy", "y", "foo", "FOO", "I", "i", "term", "spaced", "medical",
    "diagnosis", "survey", "review", "probing", "probe", "steering", "neurons", "circuits", "\u0130", "\u212a", "ß",
    "é", "naïve", "ﬁ", "Σ", "ΣΣ", "ÉÉx", "0", "42", "2.5"
]
# fmt: on
SEPARATORS = [" ", " ", " ", "", "-", "  ", "\n", "_", "\u2013", "/", "(", ").", ", ", "\u00a0", "-\n", "*"]


def _matches(sequence: Sequence[str], start: int, parts: Sequence[str]) -> bool:
    if start + len(parts) > len(sequence):
        return False
    for word, part in zip(sequence[start:], parts, strict=False):
        if not (word.startswith(part[:-1]) if part.endswith("*") else word == part):
            return False
    return True


def _occurs(sequence: Sequence[str], parts: Sequence[str]) -> bool:
    return any(_matches(sequence, start, parts) for start in range(len(sequence)))


def plain_find(terms: Sequence[str], words: Sequence[str]) -> list[str]:
    """The terms found in a text"s words, read straight from the semantics: case-sensitive terms against the words
    as written, the others against them in lower case; consecutive words, the last a prefix if it ends in "*"."""
    lower = [word.lower() for word in words]
    found = []
    for term in terms:
        parts, case_sensitive = _term_parts(term)
        if parts and _occurs(words if case_sensitive else lower, parts):
            found.append(term)
    return found


def plain_gate(term_sets: Sequence[TermSet], text: str) -> bool:
    """Whether any term occurs ignoring case altogether (the gate"s superset): ASCII words compared in lower case."""
    words = [word.lower() for word in re.findall(r"[A-Za-z0-9]+", text)]
    return any(_occurs(words, [part.lower() for part in parts]) for term_set in term_sets for parts in term_set.parts)


def hostile_texts(count: int, seed: int) -> list[str]:
    chooser = random.Random(seed)
    texts = []
    for _ in range(count):
        pieces = chooser.choices(PIECES, k=chooser.randint(0, 12))
        texts.append("".join(piece + chooser.choice(SEPARATORS) for piece in pieces))
    return texts


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(FEEDS)


def _term_sets(rules: Rules) -> list[TermSet]:
    named = [
        rules.modality_strong, rules.modality_weak, rules.interpretability_strong, rules.interpretability_weak,
        rules.penalties, rules.general, rules.internals,
    ]  # fmt: skip
    return [*named, *rules.sections.values(), TermSet(ODD_TERMS)]


def test_every_term_set_finds_what_the_semantics_say_on_hostile_texts(rules: Rules) -> None:
    term_sets = _term_sets(rules)
    for text in hostile_texts(1500, seed=1):
        words = Words.of(text)
        for term_set in term_sets:
            assert term_set.find(words) == plain_find(term_set.terms, words.original), (text, term_set.terms)


def test_the_rules_find_each_set_in_one_pass_as_each_set_alone(rules: Rules) -> None:
    for text in hostile_texts(1000, seed=2):
        words = Words.of(text)
        assert rules.find(words) == (
            rules.modality_strong.find(words),
            rules.modality_weak.find(words),
            rules.interpretability_strong.find(words),
            rules.interpretability_weak.find(words),
            rules.penalties.find(words),
            rules.general.find(words),
            rules.internals.find(words),
        )


def test_the_gate_says_no_only_when_no_term_occurs_in_any_case(rules: Rules) -> None:
    gates = [[rules.modality_strong, rules.interpretability_strong], [TermSet(ODD_TERMS)], [TermSet([])]]
    texts = hostile_texts(2000, seed=3)
    texts += [text.upper() for text in texts[:500]] + ["", " ", "\u0130", "vision\u212alanguage", "SAE\u0130s"]
    for term_sets in gates:
        gate = TermGate(*term_sets)
        for text in texts:
            assert gate.may_match(text) == plain_gate(term_sets, text), (text, term_sets[0].terms)
            if not gate.may_match(text):
                assert not any(term_set.find(Words.of(text)) for term_set in term_sets), text


def test_words_are_matched_the_same_once_the_index_stops_remembering(
    rules: Rules, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terms_module, "_REMEMBERED", 5)
    term_set = TermSet([*rules.interpretability_strong.terms, *ODD_TERMS])
    for text in hostile_texts(500, seed=4):
        words = Words.of(text)
        assert term_set.find(words) == plain_find(term_set.terms, words.original), text


def test_a_phrase_may_run_from_the_title_into_the_abstract_and_acronyms_keep_their_case(rules: Rules) -> None:
    match = rule_match(rules, PaperText("Looking inside vision", "language models with an SAE and a vit"))
    assert "vision-language" in match.terms and "SAE" in match.terms and "ViT" not in match.terms
    chooser = random.Random(5)
    texts = hostile_texts(1000, seed=6)
    for _ in range(500):
        title, abstract = chooser.choice(texts), chooser.choice(texts)
        words = tokens(title) + tokens(abstract)
        expected = [
            *plain_find(rules.modality_strong.terms, words),
            *plain_find(rules.interpretability_strong.terms, words),
            *plain_find(rules.internals.terms, words),
        ]
        assert rule_match(rules, PaperText(title, abstract)).terms == tuple(dict.fromkeys(expected))


def test_lower_case_phrases_match_words_outside_ascii_given_directly() -> None:
    # `Words.of` makes ASCII words only; words given directly may be anything and are lowered one by one.
    term_set = TermSet(["ǅx y", "straße x"])
    words = Words(["STRASSE", "X", "ǅx", "Y", "straße", "x"])
    assert term_set.find(words) == plain_find(term_set.terms, words.original)


def test_the_tokeniser_finds_the_words_its_regular_expression_defines() -> None:
    every_ascii = "".join(map(chr, range(128)))
    texts = [*hostile_texts(2000, seed=7), every_ascii, every_ascii[::-1], "", "\x1c\x1dword\x1e\x1f", "a\x00b\x7fc"]
    for text in texts:
        assert tokens(text) == re.findall(r"[A-Za-z0-9]+", text), text


# Rules and a gate as the code before the one-pass index pickled them (in a saved model): modality strong terms
# "vision-language model*" and "ViT", weak "image*", interpretability strong "SAE" and "interpretab*", a section
# "Probing" with "probe*".
OLDER_PICKLE = (
    "gASV6gQAAAAAAACMFmRpZ2VzdC5yZWxldmFuY2UucnVsZXOUjAVSdWxlc5STlCmBlH2UKIwPbW9kYWxpdHlfc3Ryb25nlGgAjAdUZXJtU2V0lJOU"
    "KYGUfZQojAV0ZXJtc5SMFnZpc2lvbi1sYW5ndWFnZSBtb2RlbCqUjANWaVSUhpSMBl93b3Jkc5R9lIwJX2Fjcm9ueW1zlH2UaAxdlEsBYXOMDl9h"
    "Y3JvbnltX3N0ZW1zlF2UjAhfcGhyYXNlc5R9lIwGdmlzaW9ulF2UaACMBV9UZXJtlJOUKYGUfZQojAVpbmRleJRLAIwFcGFydHOUjAZ2aXNpb26U"
    "jAhsYW5ndWFnZZSMBm1vZGVsKpSHlIwOY2FzZV9zZW5zaXRpdmWUiYwGbmVlZGxllIwWIHZpc2lvbiBsYW5ndWFnZSBtb2RlbJR1YmFzaB5dlCho"
    "H2ggaCGHlGgMhZRljAVfaGVhZJRLA4wGX3N0ZW1zlH2UdWKMDW1vZGFsaXR5X3dlYWuUaAcpgZR9lChoCowGaW1hZ2UqlIWUaA59lGgQfZRoE12U"
    "aBV9lGgeXZSMBmltYWdlKpSFlGFoKUsDaCp9lIwDaW1hlF2UjAVpbWFnZZRdlEsAYYaUYXN1YowXaW50ZXJwcmV0YWJpbGl0eV9zdHJvbmeUaAcp"
    "gZR9lChoCowDU0FFlIwMaW50ZXJwcmV0YWIqlIaUaA59lGgQfZRoQV2USwBhc2gTXZRoFX2UaB5dlChoQYWUjAxpbnRlcnByZXRhYiqUhZRlaClL"
    "A2gqfZSMA2ludJRdlIwLaW50ZXJwcmV0YWKUXZRLAWGGlGFzdWKMFWludGVycHJldGFiaWxpdHlfd2Vha5RoBymBlH2UKGgKKWgOfZRoEH2UaBNd"
    "lGgVfZRoHl2UaClLA2gqfZR1YowJcGVuYWx0aWVzlGgHKYGUfZQoaAopaA59lGgQfZRoE12UaBV9lGgeXZRoKUsDaCp9lHVijAdnZW5lcmFslGgH"
    "KYGUfZQoaAopaA59lGgQfZRoE12UaBV9lGgeXZRoKUsDaCp9lHVijAhzZWN0aW9uc5R9lIwHUHJvYmluZ5RoBymBlH2UKGgKjAZwcm9iZSqUhZRo"
    "Dn2UaBB9lGgTXZRoFX2UaB5dlIwGcHJvYmUqlIWUYWgpSwNoKn2UjANwcm+UXZSMBXByb2JllF2USwBhhpRhc3Vic4wJaW50ZXJuYWxzlGgHKYGU"
    "fZQoaAopaA59lGgQfZRoE12UaBV9lGgeXZRoKUsDaCp9lHVidWJoAIwIVGVybUdhdGWUk5QpgZR9lCiMBl9sb3dlcpSMAnJllIwIX2NvbXBpbGWU"
    "k5SMbFteYS16MC05XSg/Oig/OmludGVycHJldGFiW2EtejAtOV0qfHNhZXx2aSg/OnNpb25bXmEtejAtOV0rbGFuZ3VhZ2VbXmEtejAtOV0rbW9k"
    "ZWxbYS16MC05XSp8dCkpKSg/IVthLXowLTldKZRNAAGGlFKUjAlfYW55X2Nhc2WUaJKMcCg/PCFbYS16MC05XSkoPzooPzppbnRlcnByZXRhYlth"
    "LXowLTldKnxzYWV8dmkoPzpzaW9uW15hLXowLTldK2xhbmd1YWdlW15hLXowLTldK21vZGVsW2EtejAtOV0qfHQpKSkoPyFbYS16MC05XSmUTQIB"
    "hpRSlHVihpQu"
)


def test_rules_and_a_gate_pickled_by_older_code_are_read_back_and_match() -> None:
    older, gate = pickle.loads(base64.b64decode(OLDER_PICKLE))
    words = Words.of("Interpretable vision language models: SAE features of a ViT probe images")
    found = older.find(words)
    assert found.modality == ["vision-language model*", "ViT"] and found.weak_modality == ["image*"]
    assert found.interpretability == ["SAE", "interpretab*"] and older.sections["Probing"].find(words) == ["probe*"]
    assert gate.may_match("a Sparse-Autoencoder? no: an sae") and not gate.may_match("a sparse autoencoder")
    assert gate.may_match("an s\u00e6 or an SAE") and not gate.may_match("an s\u00e6")


def test_a_pickled_model_holds_the_terms_not_the_words_remembered(rules: Rules) -> None:
    gate = TermGate(rules.modality_strong, rules.interpretability_strong)
    texts = hostile_texts(300, seed=8)
    before = [(rules.find(Words.of(text)), gate.may_match(text)) for text in texts]  # the index remembers words
    size = len(pickle.dumps((rules, gate)))
    rules_again, gate_again = pickle.loads(pickle.dumps((rules, gate)))
    assert [(rules_again.find(Words.of(text)), gate_again.may_match(text)) for text in texts] == before
    assert size == len(pickle.dumps((rules_again, gate_again)))  # nothing remembered was pickled


def test_prefix_terms_that_begin_one_another_are_each_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """A word is looked up by its beginnings, shortest first, and the look-up stops at the first beginning no term
    has: a longer term that shares a shorter one's beginning is still found, and one the word leaves is not."""
    monkeypatch.setattr(terms_module, "_REMEMBERED", 0)  # every word worked out anew, as past the index's memory
    terms = ["int*", "interp*", "interpretab*", "probe", "SAE*", "SAEs"]
    term_set = TermSet(terms)
    for text in ("interpretability probe", "interpolate", "intent SAEs", "in interp", "SAEx sae", "i"):
        words = Words.of(text)
        assert term_set.find(words) == plain_find(terms, words.original), text
    assert term_set.find(Words.of("interpretability")) == ["int*", "interp*", "interpretab*"]
