"""Does a cited passage say what a generated sentence says? Pure functions, one verdict per sentence.

Why more than a share of shared words: a model that writes "30" where the passage says "20", "Gates
said" where it says "Ma said", or "did" where it says "did not" reuses nearly every word of the
passage, so word overlap alone keeps it. A sentence is kept only if all of these hold against the
passage sentences that support it (its *window*: the best-matching sentence, plus up to two more that
add content of their own):

- its content words: a weighted share of at least ``MIN_SUPPORT`` (names and numbers count double),
  and each clause of three or more content words at least ``MIN_CLAUSE`` (an added, unsupported
  clause fails even when the rest is quoted);
- every number and every date word (months, weekdays, seasons, years) is in the window;
- every name (capitalised word, acronym) is in the window or where the window's words are
  attributed (the quotation it belongs to and its "said X"; the sentence before a "he"/"she");
- negation agrees: a sentence negating what the window states, or stating what the window negates.

What is not checked: meaning beyond these words (a paraphrase with the right words in a wrong
relation, "A hosted B" for "B hosted A", passes); quantifiers ("all" for "some") and modality
("must" for "may").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from assistant.reading.sentences import sentence_spans
from assistant.reading.text import STOPWORDS, stem

#: Weighted share of a sentence's content words its window must hold.
MIN_SUPPORT = 0.5
#: Weighted share each clause (of CLAUSE_WORDS or more content words) must hold.
MIN_CLAUSE = 0.4
CLAUSE_WORDS = 3
WINDOW = 3  # passage sentences a generated sentence may draw on

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "million": 10**6, "billion": 10**9, "dozen": 12, "half": 0.5, "quarter": 0.25,
}
_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "twentieth": 20, "hundredth": 100,
}
#: "one" names no quantity in "no one", "one of the"; only digits and the other words count.
_NOT_A_COUNT = frozenset({"one"})
_DATE_WORDS = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday spring summer autumn winter".split()
)
#: "may" is a month only when capitalised mid-sentence.
_MODAL_MONTHS = frozenset({"may", "march"})
_NEGATIONS = frozenset("not no never none nor neither nobody nothing without cannot lack lacks lacking lacked".split())
_CLAUSE_SPLIT = re.compile(r"[,;:–—()]|\s(?:and|but|while|whereas|which|who|because|although)\s", re.I)
_PRONOUN = re.compile(r"\b(?:he|she|his|her|him|they|their|it)\b", re.I)
_QUOTES = "“”\""


@dataclass(frozen=True)
class Verdict:
    """Whether a passage supports a sentence, why not, and the passage sentence that supports it."""

    supported: bool
    reason: str  # empty when supported
    span: tuple[int, int]  # the best supporting sentence of the passage: passage[span[0]:span[1]]
    score: float  # weighted share of content words the window holds


# --- words ---------------------------------------------------------------------------------------


def _norm(word: str) -> str:
    return word.lower().replace("’", "'")


def _tokens(text: str) -> list[tuple[str, int]]:
    """Words with their start offsets."""
    return [(m.group(0), m.start()) for m in _WORD.finditer(text)]


def number_value(word: str) -> str | None:
    """A number's value as text ("nine" and "9" -> "9", "2nd" -> "2", "20-person" splits to "20")."""
    w = _norm(word)
    digits = re.fullmatch(r"(\d+(?:[.,]\d+)*)(?:st|nd|rd|th|s)?", w)
    if digits:
        return digits.group(1).replace(",", "")
    if w in _NOT_A_COUNT:
        return None
    for table in (_UNITS, _ORDINALS):
        base = w[:-1] if w.endswith("s") and w[:-1] in table else w  # "billions", "thousands"
        if base in table:
            value = table[base]
            return str(value)
    return None


def numbers(text: str) -> set[str]:
    return {v for w, _ in _tokens(text) if (v := number_value(w)) is not None}


def dates(text: str) -> set[str]:
    """Month, weekday and season words (years are numbers)."""
    found = set()
    for i, (w, _) in enumerate(_tokens(text)):
        lw = _norm(w)
        if lw in _DATE_WORDS and (lw not in _MODAL_MONTHS or (w[0].isupper() and i > 0)):
            found.add(lw)
    return found


def proper_words(text: str) -> set[str]:
    """Words ``text`` capitalises mid-sentence and never writes in lower case: its names."""
    starts = {a for a, _ in sentence_spans(text)}
    upper, lower = set(), set()
    for w, at in _tokens(text):
        if w[0].islower():
            lower.add(_norm(w))
        elif at not in starts and text[max(0, at - 2) : at].strip() not in ("“", '"', "(", "‘"):
            upper.add(_norm(w))
    return {w for w in upper - lower if w not in STOPWORDS}


def names(text: str, known: set[str] | None = None, seen: set[str] | None = None) -> list[str]:
    """Capitalised words of a sentence that name someone or something: people, organisations, places.

    A word mid-sentence counts unless it is a stopword, a date word or a number. A sentence-initial
    word ("Guterres said", "Members discussed") counts only when ``known`` (the proper words of the
    passages the model read) holds it: a capital there says nothing. With ``seen`` (every word of
    those passages, lower-cased), a mid-sentence word they write in lower case ("Digital") is no name.
    """
    out = []
    spans = sentence_spans(text) or [(0, len(text))]
    starts = {a for a, _ in spans}
    for w, at in _tokens(text):
        lw = _norm(w)
        if not w[0].isupper() or lw in STOPWORDS or lw in _DATE_WORDS or number_value(w) or lw == "i":
            continue
        initial = at in starts or text[max(0, at - 2) : at].strip() in ("“", '"', "(", "‘")
        if initial and (known is None or lw not in known):
            continue
        if not initial and known is not None and seen is not None and lw not in known and lw in seen:
            continue
        out.append(w)
    return list(dict.fromkeys(out))


def _acronyms(text: str) -> set[str]:
    """Initials of runs of capitalised words ("United Nations" -> "un"), so "UN" matches them."""
    out, run = set(), []
    for w, _ in [*_tokens(text), ("x", 0)]:
        if w[0].isupper() and w.lower() not in ("of", "and", "for", "the"):
            run.append(w[0].lower())
        elif w.lower() in ("of", "and", "for", "the") and run:
            continue
        else:
            for i in range(len(run)):
                for j in range(i + 2, len(run) + 1):
                    out.add("".join(run[i:j]))
            run = []
    return out


def weighted_terms(sentence: str) -> dict[str, float]:
    """Stemmed content words; names and numbers weigh double, being what a wrong answer gets wrong."""
    weights: dict[str, float] = {}
    for i, (raw, _) in enumerate(_tokens(sentence)):
        word = _norm(raw)
        if word in STOPWORDS and number_value(word) is None:
            continue
        key = number_value(word) is not None or (i > 0 and raw[0].isupper())
        term = number_value(word) or stem(word)
        weights[term] = max(weights.get(term, 0.0), 2.0 if key else 1.0)
    return weights


def terms_of(text: str) -> set[str]:
    """Every stemmed word of a text, numbers as their values."""
    return {number_value(w) or stem(_norm(w)) for w, _ in _tokens(text)}


# --- negation ------------------------------------------------------------------------------------

_POLARITY_SPLIT = re.compile(r"[,;:–—()]|\s(?:but|while|whereas|although)\s", re.I)


def denies(clause: str) -> bool:
    """Whether a clause negates: "not", "no", "never", "cannot", "n't", the verb "lack"; not "not only
    X but Y" (which adds) nor "the lack of" (a noun)."""
    toks = [_norm(w) for w, _ in _tokens(clause)]
    for i, w in enumerate(toks):
        if w == "not" and i + 1 < len(toks) and toks[i + 1] in ("only", "just", "merely", "simply"):
            continue
        if w.startswith("lack") and i > 0 and toks[i - 1] in ("the", "a", "of"):
            continue
        if w in _NEGATIONS or w.endswith("n't"):
            return True
    return False


def polarity_clauses(text: str) -> list[str]:
    return [c for c in _POLARITY_SPLIT.split(text) if c and weighted_terms(c)]


SCOPE = 3  # content words a negation is read as denying: those after it in its clause, else those before


def negated_scopes(clause: str) -> list[set[str]]:
    """The stems each denying negation of a clause bears on."""
    toks = [_norm(w) for w, _ in _tokens(clause)]
    out = []
    for i, w in enumerate(toks):
        if not denies(" ".join(toks[max(0, i - 1) : i + 2])) or not (w in _NEGATIONS or w.endswith("n't")):
            continue
        after = [stem(t) for t in toks[i + 1 :] if t not in STOPWORDS and t not in _NEGATIONS][:SCOPE]
        before = [stem(t) for t in toks[:i] if t not in STOPWORDS][-SCOPE:]
        out.append(set(after or before))
    return out


def negation_conflict(sentence: str, window: str) -> str | None:
    """Why the sentence and its window disagree on a negation, if they do.

    Each negation of the sentence must bear on words of a negated window clause (the window clause
    sharing most of those words), and each negation of the window whose words the sentence restates
    must be negated in the sentence's clause that restates them."""
    mine = [(terms_of(c), denies(c)) for c in polarity_clauses(sentence)]
    theirs = [(terms_of(c), denies(c)) for c in polarity_clauses(window)]
    if not mine or not theirs:
        return None

    def closest(scope: set[str], clauses: list[tuple[set[str], bool]]) -> tuple[int, bool]:
        held, negated = max(clauses, key=lambda c: (len(scope & c[0]), c[1]))
        return len(scope & held), negated

    for clause in polarity_clauses(sentence):
        for scope in negated_scopes(clause):
            shared, negated = closest(scope, theirs)
            if shared and not negated:
                return "a negation the passage does not make"
    for clause in polarity_clauses(window):
        for scope in negated_scopes(clause):
            shared, negated = closest(scope, [(t, n) for t, n in mine])
            if shared >= min(2, len(scope)) and shared and not negated:
                return "the passage negates this"
    return None


# --- the window ----------------------------------------------------------------------------------


def _sentences(passage: str) -> list[tuple[int, int]]:
    return sentence_spans(passage) or [(0, len(passage))]


def support_window(sentence: str, passage: str, min_plain: int = 2) -> list[int]:
    """Indexes of the passage sentences that support ``sentence``: the best one, then up to
    ``WINDOW - 1`` more that each add ``min_plain`` uncovered ordinary words (names alone do not count:
    "New York is Co-Chair of the Foundation" must not draw in the sentence that mentions New York)."""
    spans = _sentences(passage)
    weights = weighted_terms(sentence)
    held = [terms_of(passage[a:b]) for a, b in spans]

    def gain(i: int, covered: set[str]) -> tuple[float, float]:
        new = [t for t in weights if t in held[i] and t not in covered]
        return sum(weights[t] for t in new), -len(held[i])

    chosen: list[int] = []
    covered: set[str] = set()
    for _ in range(WINDOW):
        rest = [i for i in range(len(spans)) if i not in chosen]
        if not rest:
            break
        best = max(rest, key=lambda i: gain(i, covered))
        new = [t for t in weights if t in held[best] and t not in covered]
        if chosen and sum(1 for t in new if weights[t] == 1.0) < min_plain:
            break  # a further sentence must bring ordinary words of its own, not only a name or a number
        chosen.append(best)
        covered |= held[best]
    return chosen


def _quote_blocks(passage: str, spans: list[tuple[int, int]]) -> list[int]:
    """For each sentence, the id of the quotation it is part of (-1 outside quotations)."""
    block, open_, ids = -1, False, []
    for a, b in spans:
        text = passage[a:b]
        starts_inside = open_
        for ch in text:
            if ch == "“" or (ch == '"' and not open_):
                if not open_:
                    block += 1
                open_ = True
            elif ch == "”" or ch == '"':
                open_ = False
        ids.append(block if (starts_inside or open_ or any(c in _QUOTES for c in text)) else -1)
    return ids


LOOK_BACK = 4  # sentences searched back for the speaker of an unattributed quotation or a "he"


def attribution_context(passage: str, chosen: list[int]) -> str:
    """Text where the window's statements are attributed: a quotation whole (with its "said X"); for a
    quotation naming no one, or a sentence saying "he"/"she"/"they", the nearest sentence before it
    that names someone (and the sentence after the quotation)."""
    spans = _sentences(passage)
    blocks = _quote_blocks(passage, spans)
    proper = proper_words(passage)
    texts = [passage[a:b] for a, b in spans]

    def naming(j: int) -> bool:
        return any(_norm(w) in proper for w, _ in _tokens(texts[j]))

    def back(j: int) -> set[int]:
        return next(({k} for k in range(j - 1, max(-1, j - 1 - LOOK_BACK), -1) if naming(k)), set())

    keep: set[int] = set(chosen)
    for i in chosen:
        if blocks[i] >= 0:
            members = [j for j, blk in enumerate(blocks) if blk == blocks[i]]
            keep |= set(members)
            if not any(naming(j) for j in members):
                keep |= back(min(members)) | {max(members) + 1}
        elif _PRONOUN.search(texts[i]) and not naming(i):
            keep |= back(i)
    return " ".join(texts[j] for j in sorted(keep) if 0 <= j < len(spans))


# --- the verdict ---------------------------------------------------------------------------------


def _share(weights: dict[str, float], held: set[str]) -> float:
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in held) / total if total else 0.0


def idf(read: str) -> dict[str, float]:
    """Inverse sentence frequency of each term in what the model read: a word every passage uses
    ("digital", "panel") is no evidence that a clause was read there."""
    spans = _sentences(read)
    df: dict[str, int] = {}
    for a, b in spans:
        for t in terms_of(read[a:b]):
            df[t] = df.get(t, 0) + 1
    n = len(spans)
    return {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()}


def clause_support(clause: str, held: set[str], weights_of: dict[str, float]) -> float:
    """Share of a clause's content words (weighted by ``idf``; unseen words weigh most) that ``held`` has."""
    terms = weighted_terms(clause)
    top = max(weights_of.values(), default=1.0)
    w = {t: weights_of.get(t, top) for t in terms}
    total = sum(w.values())
    return sum(v for t, v in w.items() if t in held) / total if total else 1.0


def clauses(sentence: str) -> list[str]:
    return [c for c in _CLAUSE_SPLIT.split(sentence) if c and c.strip()]


def verify(
    sentence: str, passage: str, read: str | None = None, min_support: float = MIN_SUPPORT,
    min_clause: float = MIN_CLAUSE, min_plain: int = 2,
) -> Verdict:
    """Whether ``passage`` supports ``sentence`` (markers already stripped), and where.

    ``read`` is everything the model was given (all passages; default: this one): it says which
    capitalised words are names, so a sentence-initial "Guterres" is checked and "Members" is not."""
    spans = _sentences(passage)
    weights = weighted_terms(sentence)
    if not weights:
        return Verdict(False, "no content words", spans[0], 0.0)
    chosen = support_window(sentence, passage, min_plain)
    best = spans[chosen[0]]
    window = " ".join(passage[spans[i][0] : spans[i][1]] for i in sorted(chosen))
    held = terms_of(window)
    score = round(_share(weights, held), 3)

    def fail(reason: str) -> Verdict:
        return Verdict(False, reason, best, score)

    missing_numbers = sorted(numbers(sentence) - numbers(window))
    if missing_numbers:
        return fail(f"number(s) {', '.join(missing_numbers)} not in the passage")
    missing_dates = sorted(dates(sentence) - dates(window))
    if missing_dates:
        return fail(f"date(s) {', '.join(missing_dates)} not in the passage")
    context = attribution_context(passage, chosen)
    context_terms, initials = terms_of(context), _acronyms(passage)
    absent = [
        n for n in names(sentence, proper_words(read or passage), {_norm(w) for w, _ in _tokens(read or passage)})
        if stem(_norm(n)) not in context_terms and not (n.isupper() and n.lower() in initials)
    ]
    if absent:
        elsewhere = [n for n in absent if stem(_norm(n)) in terms_of(passage)]
        if elsewhere:
            return fail(f"the passage does not say this of {', '.join(elsewhere)}")
        return fail(f"name(s) {', '.join(absent)} not in the passage")
    conflict = negation_conflict(sentence, window)
    if conflict:
        return fail(conflict)
    if score < min_support:
        missing = [t for t in weights if t not in held]
        return fail(f"support {score:.2f} < {min_support:.2f}; not in the passage: {', '.join(missing)}")
    rarity = idf(read or passage)
    for clause in clauses(sentence):
        if len(weighted_terms(clause)) >= CLAUSE_WORDS and clause_support(clause, held, rarity) < min_clause:
            return fail(f"the passage does not say: {clause.strip()!r}")
    return Verdict(True, "", best, score)


def verify_cited(
    sentence: str, passages: list[str], read: str | None = None, **limits: float
) -> tuple[Verdict, list[int]]:
    """Verdict over the cited passages: the first that supports it alone, else all of them read together.

    Returns the verdict and the indexes (into ``passages``) of the passages that support it.
    """
    verdicts = [verify(sentence, p, read, **limits) for p in passages]
    alone = [i for i, v in enumerate(verdicts) if v.supported]
    if alone:
        return verdicts[alone[0]], alone
    if len(passages) > 1:
        # the model says several passages back it together: a sentence of each may add one word
        joined = verify(sentence, "\n".join(passages), read, **limits, min_plain=1)
        if joined.supported:
            return joined, list(range(len(passages)))
    best = max(verdicts, key=lambda v: v.score)
    return best, []
