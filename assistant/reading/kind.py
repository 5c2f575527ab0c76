"""What shape of answer a question asks for, read from its interrogative form alone.

A closed set of forms, not a list of questions:
- ``summary``: "summarize/summarise", "overview", "main/key points", "highlights", "in brief",
  "what happened at/during/in", "what was discussed" (but "according to the meeting summary" names
  a source, it does not ask for one);
- ``list``: "list", "name/enumerate the", "what/which are/were the <plural>", "which <plural> ...",
  "what <plural> did ...", a number before a plural ("the nine enablers", "three ways");
- ``reason``: "why", "how come", "for what reason", "what was the reason/purpose/motivation",
  "how did/does/can/could/would/should/will ..." (but not "how many/much/long/old/often/far", and
  not "how did she describe / define / call / react to ...": those ask for what was said, a factoid);
- ``factoid``: everything else.

``expected_type`` is the kind of value a factoid wants: "quote" (how did she describe / define,
what did he say / call, what was her message: words said, usually in quotation marks), "number"
(how many/much), "date" (when, what/which year/month/date/day), "person" (who/whom/whose),
"place" (where, which city/country/place), "author" (who wrote / authored: a byline), or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("factoid", "list", "summary", "reason")

_SUMMARY = re.compile(
    r"\b(summari[sz]e|summary|overview|(?:main|key) (?:points|ideas|themes|messages|findings|takeaways)|"
    r"highlights|in brief|in a nutshell|"
    r"what happened|what was discussed|what were the discussions|gist)\b",
    re.I,
)
#: "according to the second-meeting summary", "what does the summary of the meeting say": a source,
#: not a request.
_SOURCE_REFERENCE = re.compile(
    r"\b(?:according to|in|from|per|by)\s+(?:the\s+|its\s+|their\s+|this\s+|that\s+)?(?:[\w’'-]+\s+){0,3}?"
    r"(?:summary|overview|highlights)\b|"
    r"\bsummary\s+(?:of\s+(?:[\w’'-]+\s+){1,5}?)?(?:say|says|said|mention|mentions|state|states|report|reports)\b",
    re.I,
)
#: "Can you give me a short overview of ...": the request around the topic, not the topic.
_SUMMARY_REQUEST = re.compile(
    r"^\s*(?:(?:can|could|would) you\s+)?(?:please\s+)?(?:give|provide|write|offer|share)\s+(?:me\s+|us\s+)?"
    r"(?:an?\s+)?(?:short\s+|brief\s+|quick\s+)?(?:overview|summary|rundown)\s+of\s+",
    re.I,
)
_LIST_VERB = re.compile(r"^\s*(?:please\s+)?(list|name|enumerate|itemi[sz]e)\b", re.I)
_NUMBER = (
    r"(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|\d+)"
)
_COUNTED_PLURAL = re.compile(rf"\b{_NUMBER}\s+(?:[\w’'“”\"-]+\s+){{0,2}}[a-z]+s\b", re.I)
_REASON = re.compile(
    r"^\s*(?:and\s+|so\s+|but\s+)?(?:why\b|how come\b|for what (?:reason|purpose)\b|"
    r"what (?:was|is|were|are) the (?:reason|reasons|purpose|motivation|rationale|aim|goal)\b|"
    r"what (?:motivated|prompted|led)\b|"
    r"how (?:did|does|do|can|could|would|should|will|is|are|was|were)\b)",
    re.I,
)
_HOW_QUANTITY = re.compile(r"\bhow (?:many|much|long|old|often|far|big|large|soon)\b", re.I)
#: "How did Gates describe the task?", "How does the article define it?": the words said are the answer.
_HOW_SAID = re.compile(
    r"^\s*(?:and\s+|so\s+|but\s+)?how (?:did|does|do|would|was|were|is|are)\b.*?"
    r"\b(?:describe[sd]?|define[sd]?|call(?:s|ed)?|"
    r"characteri[sz]e[sd]?|portray(?:s|ed)?|refer(?:s|red)? to|phrase[sd]?|word(?:s|ed)?|term(?:s|ed)?|"
    r"react(?:s|ed)?|respond(?:s|ed)?|repl(?:y|ies|ied)|sum(?:s|med)? up|put it)\b",
    re.I,
)
_WH_PLURAL = re.compile(
    r"\b(?:what|which)\s+(?!(?:should|did|does|do|is|was|has|have|had|can|could|would|will|must|may|might)\b)"
    r"(?:(?:are|were)\s+(?:the\s+|some\s+(?:of\s+the\s+)?)?)?"
    r"(?:[\w’'“”\"-]+\s+){0,3}?([a-z]+)\s+(?:are|were|did|do|does|has|have|had|was|is|should|could|would|will|can|must|may|might|"
    r"according|that|of|in|for|to|at|by|from|on|\?|$)",
    re.I,
)
#: Words in -s that are not plurals; "-ics" only as a field of study ("topics" is plural, "economics" not).
_NOT_PLURAL = re.compile(
    r"(?:ss|us|is|ous|news|sis|(?:econom|polit|eth|phys|mathemat|statist|analyt|logist|robot)ics)$", re.I
)
_DATE = re.compile(r"^\s*(?:and\s+)?when\b|\b(?:what|which)\s+(?:year|month|date|day|time)\b", re.I)
_NUMBER_Q = re.compile(r"\bhow (?:many|much)\b|\bwhat (?:number|percentage|share|proportion)\b", re.I)
#: "Who wrote the WACC article?": its author, named in a byline more often than in a sentence.
_AUTHOR = re.compile(
    r"^\s*(?:and\s+)?(?:who\s+(?:wrote|authored|penned|reported|is the author of|was the author of)\b|"
    r"who\s+(?:is|was)\s+(?:the\s+)?(?:author|writer|reporter)\b|by whom\b)",
    re.I,
)
_PERSON = re.compile(r"^\s*(?:and\s+)?(?:who|whom|whose)\b|\bwhich (?:person|people|official|leader)\b", re.I)
_PLACE = re.compile(
    r"^\s*(?:and\s+)?where\b|\b(?:which|what)\s+(?:city|country|countries|place|venue|location)\b", re.I
)
_QUOTES = re.compile(r"[“”\"]|(?<!\w)[‘']|[’'](?!\w)")  # quotation marks, not apostrophes
#: "What did Guterres say / call on / tell ...", "What was her message / exhortation": words said.
_SAID = re.compile(
    r"^\s*(?:and\s+)?what\s+(?:did|does|do|has|have|had|would)\b.*?\b(?:say|said|call|tell|write|warn|urge|"
    r"stress|declare|exclaim|remark|quip)\b|"
    r"^\s*(?:and\s+)?what\s+(?:was|is|were|are)\b.*?\b(?:words?|message|exhortation|slogan|motto|quote|quip|"
    r"phrase|remark|catchphrase|description|definition)\b",
    re.I,
)
#: "How was Jack Ma described?": a description of him ("Alibaba founder Jack Ma"), rarely a quotation.
_PASSIVE = re.compile(r"^\s*(?:and\s+|so\s+|but\s+)?how (?:was|were|is|are)\b", re.I)


@dataclass(frozen=True)
class QuestionForm:
    kind: str
    expected_type: str | None = None
    topic: str = ""  # the question without the words that only ask for a shape ("Summarize", "List")


def classify(question: str) -> QuestionForm:
    """The answer kind and, for factoids, the expected value type of ``question``."""
    q = question.strip()
    plain = _QUOTES.sub("", q)  # "the nine 'enablers'" counts as "the nine enablers"
    if _SUMMARY.search(_SOURCE_REFERENCE.sub(" ", q)):
        return QuestionForm("summary", topic=_without(_SUMMARY, _SUMMARY_REQUEST.sub("", q)))
    if _REASON.search(q) and not _HOW_QUANTITY.search(q) and not _HOW_SAID.search(q):
        return QuestionForm("reason", topic=q)
    if _LIST_VERB.search(q):
        return QuestionForm("list", topic=_without(_LIST_VERB, q))
    if _COUNTED_PLURAL.search(plain) or _asks_for_plural(plain):
        return QuestionForm("list", topic=q)
    return QuestionForm("factoid", expected_type(q), topic=q)


def _without(cue: re.Pattern[str], question: str) -> str:
    """``question`` with the shape cue removed, or the question itself if nothing would be left."""
    rest = re.sub(r"\s+", " ", cue.sub(" ", question)).strip(" ,.;:?!")
    return rest if len(rest.split()) >= 2 else question


def expected_type(question: str) -> str | None:
    if (_HOW_SAID.search(question) and not _PASSIVE.search(question)) or _SAID.search(question):
        return "quote"
    if _AUTHOR.search(question):
        return "author"
    if _NUMBER_Q.search(question):
        return "number"
    if _DATE.search(question):
        return "date"
    if _PERSON.search(question):
        return "person"
    if _PLACE.search(question):
        return "place"
    return None


def _asks_for_plural(question: str) -> bool:
    """"Which priority actions did ...", "What were the risks ...": the asked-for head noun is plural."""
    match = _WH_PLURAL.search(question)
    if not match:
        return False
    head = match.group(1)
    return head.lower().endswith("s") and not _NOT_PLURAL.search(head) and len(head) > 3
