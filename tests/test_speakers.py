"""Who speaks in each sentence, as ingestion stores it: the attribution classes news text uses."""

from __future__ import annotations

import pytest

from assistant.reading.speakers import attributed, speakers


@pytest.mark.parametrize(("sentence", "speaker"), [
    ("Ma said that his job has been “chief education officer”.", "Ma"),
    ("“We cannot wait,” said Melinda Gates.", "Melinda Gates"),
    ("Reacting to the findings, WACC General Secretary Philip Lee said, “we need more”.", "Philip Lee"),
    ("Guterres, on his part, noted the importance of a people-centred approach.", "Guterres"),
    ("Ma, the executive chairman of Alibaba, said education must change.", "Ma"),
    ("Co-chairs Melinda Gates and Jack Ma also stressed the importance of bold proposals.",
     "Melinda Gates and Jack Ma"),
    ("According to Guterres, technology moves fast.", "Guterres"),
    ("Guterres: “Technology is moving fast.”", "Guterres"),
    ("Women must be supported, said the panel, with specific policies.", "the panel"),
    ("The report also said there is an urgent need to act.", "the report"),
])
def test_a_sentence_that_attributes_its_words_names_the_speaker(sentence, speaker):
    assert attributed(sentence)[0] == speaker


def test_pronouns_and_running_quotations_take_the_speaker_before_them():
    sentences = [
        "Reacting to the report, Philip Lee said, “individuals have rights.",   # opens a quotation
        "States must respect them.”",                                          # still inside it
        "He added that government action is needed.",                         # pronoun: the speaker before
        "The meeting ended in the evening.",                                   # nobody speaks
        "“We must be bold.",                                                   # a quotation nobody is given
        "“Our task is to be clear-eyed,” Gates said.",                         # new paragraph, her own
        "“And we will be.”",                                                   # runs on after her quotation
    ]
    paras = [1, 1, 1, 2, 3, 4, 5]
    assert speakers(sentences, paras) == ["Philip Lee", "Philip Lee", "Philip Lee", "", "", "Gates", "Gates"]
    left_open = ["“Our task is to be clear-eyed, Gates said.", "“We must be bold,” she went on."]
    assert speakers(left_open, [1, 2]) == ["Gates", "Gates"]  # a quotation left open runs on


def test_a_name_in_the_sentence_is_not_a_speaker_unless_it_speaks():
    assert attributed("Melinda Gates and Jack Ma led the meeting at UN Headquarters.") == ("", "")


def test_a_role_named_with_its_holder_speaks_as_that_person_later_on():
    sentences = ["Secretary-General António Guterres convened the meeting.",
                 "The Secretary-General explained his motivation: “There are many solutions.",
                 "We must find them.”"]
    assert speakers(sentences, [1, 2, 2]) == ["", "António Guterres", "António Guterres"]
