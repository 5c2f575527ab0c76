"""Does a sentence hold a value of the type a question asks for? Patterns, no model.

"How many" wants a number, "when" a date or time expression, "who" a name and "where" a place
that the question does not already name. Names and places are told by capitalisation (not at the
start of the sentence, not a word of the question); numbers and dates by pattern.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(
    r"\b\d[\d,.]*\b|\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    r"forty|fifty|sixty|hundred|thousand|million|billion|dozens?|half|third|quarter)\b",
    re.I,
)
_DATE = re.compile(
    r"\b(?:1[89]\d\d|20\d\d)\b|\b(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Spring|Summer|Autumn|"
    r"Winter)\b|\b(?:last|next|this) (?:year|month|week)\b|\b(?:yesterday|today|tomorrow)\b",
)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_PLACE_CUE = re.compile(r"\b(?:in|at|from|to|across|visits? to)\s+(?:the\s+)?[A-Z][a-z]+")

#: Capitalised words that are not names (titles and institutions every sentence of this genre uses).
_NOT_NAMES = frozenset(
    "the a an un united nations panel secretary general chair co chief ms mr mrs dr what which who whom whose "
    "when where why how in on at of for to by with from it its this that these those he she they we our".split()
)


def _titles_only(text: str) -> bool:
    """Nothing but title and function words ("Secretary-General", "UN")."""
    return set(text.lower().replace("-", " ").split()) <= _NOT_NAMES


def names_someone(name: str) -> bool:
    """A capitalised run that names a person, place or body: not a date ("June") and not titles only
    ("Secretary General", whom a text calls by name instead)."""
    return not _DATE.fullmatch(name) and not _titles_only(name)


def without_titles(name: str) -> str:
    """"Secretary-General Philip Lee" -> "Philip Lee": the title is not part of what names him."""
    parts = name.split()
    while len(parts) > 1 and _titles_only(parts[0]):
        parts.pop(0)
    return " ".join(parts)


#: Words said: a quotation mark, reported speech ("he called migrants ...", "she said that"), a definition.
_QUOTED = re.compile(
    r"[“”\"]|\b(?:says?|said|told|tells|call(?:s|ed)|warn(?:s|ed)|urg(?:es|ed)|stress(?:es|ed)|argu(?:es|ed)|"
    r"describ(?:es|ed)|defin(?:es|ed)|explain(?:s|ed)|insist(?:s|ed)|maintain(?:s|ed)|add(?:s|ed))\b",
    re.I,
)


#: A byline: "— by Marites N. Sison", "By Jane Doe", "written by ...".
_BYLINE = re.compile(r"(?:^|[—–-]\s*|\bwritten\s+)[Bb]y\s+[A-Z][a-z]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-z]+)+")


def holds_value(sentence: str, expected: str, question_words: set[str]) -> bool:
    if expected == "author":
        return bool(_BYLINE.search(sentence))
    if expected == "quote":
        return bool(_QUOTED.search(sentence))
    if expected == "number":  # "How many of the 20 members ...": the 20 is asked with, not answered
        return any(m.group(0).lower() not in question_words for m in _NUMBER.finditer(sentence))
    if expected == "date":
        return bool(_DATE.search(sentence))
    if expected in ("person", "place"):
        names = [
            m.group(0) for m in _CAPITALISED.finditer(sentence)
            if not set(m.group(0).lower().split()) <= (question_words | _NOT_NAMES)
        ]
        if expected == "place":  # a month, season or weekday after "in" is a time, not a place
            cues = [m.group(0) for m in _PLACE_CUE.finditer(sentence) if not _DATE.search(m.group(0))]
            return bool(names) and bool(cues)
        return bool(names)
    return False
