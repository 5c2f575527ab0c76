"""Word-level text handling shared by keyword search, sentence selection and abstention.

One tokenizer for all three so that "a term of the question occurs in the corpus" means the same
thing everywhere.
"""

from __future__ import annotations

import re
from functools import lru_cache

VARIANT_PREFIX = 5  # a term unknown as such is known when a corpus term shares this many first letters

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves s t don didn doesn isn wasn weren
    won wouldn shouldn couldn ve ll re d m o y ain aren hadn hasn haven mightn mustn needn shan did
    does say said says tell told according whose many much two per via within without upon among""".split()
)

#: Words that ask rather than carry content ("what did the panel say about ...").
QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how kind sort type name list give describe explain
    mention mentioned called known""".split()
)


def words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


@lru_cache(maxsize=1 << 18)
def stem(word: str) -> str:
    """A light English stemmer: enough to match plurals and simple verb forms. Cached: a corpus has few
    distinct words, and building the keyword index at 100k passages stemmed ~15M of them."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + repl
    return word


def terms(text: str) -> list[str]:
    """Content terms: lowercased, stopwords dropped, lightly stemmed. Order and repeats kept."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


def query_terms(text: str) -> list[str]:
    """Content terms of a question, without the words that only make it a question."""
    seen: dict[str, None] = {}
    for w in words(text):
        if w in STOPWORDS or w in QUESTION_WORDS:
            continue
        seen.setdefault(stem(w), None)
    return list(seen)
