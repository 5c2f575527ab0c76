"""Near-topic questions: the people and the topic a question names must meet in one answer sentence."""

from __future__ import annotations

import pytest

from assistant.answer import Passage
from assistant.answering.abstention import topic_held, topic_slot
from assistant.answering.evidence import ScoredSentence, near_terms
from assistant.answering.value_types import names_someone, without_titles
from assistant.reading.text import stem
from assistant.search.sentence_index import SentenceRow


class _Corpus:
    """A keyword index that knows every word but the ones given."""

    def __init__(self, *unknown: str) -> None:
        self.unknown = {stem(w) for w in unknown}

    def contains(self, term: str) -> bool:
        return term not in self.unknown

    def has_prefix(self, prefix: str) -> bool:
        return False


@pytest.mark.parametrize(
    ("question", "unknown", "slot"),
    [
        ("What did Jack Ma say about migration?", (), ["migration"]),
        ("What did Gates say about the trust deficit disorder?", (), ["trust", "deficit", "disorder"]),
        ("Which warning about trust is recalled in the summary?", (), ["trust"]),  # stops at "is"
        ("What was the Secretary-General optimistic about during the webcast?", (), []),  # no noun follows
        ("What did Ma say about the link between size and duty?", ("link",), []),  # unknown: not asked of a sentence
        ("Who chaired the first meeting?", (), []),  # no topic slot at all
    ],
)
def test_topic_slot_is_the_noun_phrase_after_about(question, unknown, slot):
    assert topic_slot(question, _Corpus(*unknown)) == slot


def test_dates_and_bare_titles_name_no_one():
    assert names_someone("Jack Ma") and names_someone("World Bank")
    assert not names_someone("June")
    assert not names_someone("Secretary General")
    assert without_titles("General Philip Lee") == "Philip Lee"
    assert without_titles("Secretary-General Guterres") == "Guterres"


def _rows(*texts: str) -> list[SentenceRow]:
    return [SentenceRow(i, "doc", t, 1, i * 100, i * 100 + len(t)) for i, t in enumerate(texts)]


def test_a_quotation_keeps_its_speaker_to_its_last_sentence():
    rows = _rows(
        "The panel met in New York.",
        "Guterres says: “Technology is not standing still.",
        "Developments are accelerating.",
        "New tools emerge every day.",
        "If migration is inevitable, it needs to be organised.”",
    )
    assert stem("guterres") in near_terms(rows, 4)  # named three sentences back, where the quotation began
    assert stem("york") not in near_terms(rows, 4)  # but not beyond the attribution


def test_without_an_attribution_only_the_previous_sentence_counts():
    rows = _rows("Melinda Gates led the meeting.", "Trust was low.", "Migration came up.")
    assert stem("trust") in near_terms(rows, 2)
    assert stem("gates") not in near_terms(rows, 2)


def _scored(text: str, near: str) -> ScoredSentence:
    passage = Passage(id="p", doc_id="doc", title="t", source="s", text=text, char_end=len(text))
    near_set = frozenset(stem(w) for w in near.lower().split())
    return ScoredSentence(
        passage=passage, passage_rank=0, text=text, span=(0, len(text)), similarity=0.5, coverage=0.5,
        setting_coverage=0.5, setting_terms=near_set, terms=near_set, score=1.0, near_terms=near_set,
    )


def test_names_and_topic_must_meet_in_one_sentence():
    ma = [[stem("jack"), stem("ma")]]
    apart = [_scored("a", "jack ma said education matters"), _scored("b", "guterres said migration is inevitable")]
    together = [*apart, _scored("c", "jack ma said migration helps")]
    assert topic_held([stem("migration")], ma, apart) == 0.0
    assert topic_held([stem("migration")], ma, together) == 1.0
    assert topic_held([], [], apart) == 1.0  # a question naming no one and nothing asks nothing of this signal


def test_a_person_is_held_by_the_surname_used_after_the_first_mention():
    ma = [[stem("jack"), stem("ma")]]
    assert topic_held([stem("migration")], ma, [_scored("a", "ma said migration helps")]) == 1.0


def test_the_refusal_says_which_part_is_missing_as_the_user_wrote_it():
    from assistant.answering.abstention import Focus, SupportSignals, why_not

    signals = SupportSignals(0.3, 0.3, 1.0, 1.0, 0.3, topic_held=0.0)
    slot = topic_slot("What did Guterres say about the eTrade initiative?", _Corpus())
    etrade = Focus({}, ["Guterres"], [], topic=slot, own_names=["Guterres"])
    assert why_not(etrade, signals, None) == (
        "The documents mention Guterres and “eTrade initiative”, but no passage puts them together."
    )
    two = Focus({}, ["Philip Lee", "Jack Ma"], [], topic=["Jack", "Ma"], own_names=["Philip Lee", "Jack Ma"])
    assert why_not(two, signals, None) == (
        "The documents mention Philip Lee and Jack Ma, but no passage puts them together."
    )
