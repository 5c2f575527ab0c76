"""Who speaks in each sentence of a page, from the way news text attributes words. Patterns, no model.

Classes of attribution:
- "X said / says / told / added / noted / stressed / warned / urged / ...", with an apposition allowed
  between ("Ma, the Alibaba founder, said");
- "..., said X", "according to X";
- "X: “..." (a speaker's name, a colon, a quotation);
- "he said" / "she added": the pronoun's speaker is the one of the sentence before, or the last name
  it mentions;
- a sentence that starts inside a quotation opened earlier in its paragraph is the speaker's who opened
  it, and a paragraph that opens a quotation with no attribution of its own continues the previous
  paragraph's speaker when that paragraph left its quotation open or ended with it (the news
  convention for a quotation running over paragraphs).
Ingestion stores the speaker with each sentence, so "what did X say" can prefer X's own words and an
answer can show whose words it quotes.
"""

from __future__ import annotations

import re

from assistant.reading.follow_up import names

_VERBS = (r"(?:said|says|say|told|tells|added|adds|noted|notes|stressed|stresses|warned|warns|urged|urges|"
          r"explained|explains|argued|argues|asked|asks|declared|declares|observed|observes|remarked|remarks|"
          r"emphasi[sz]ed|emphasi[sz]es|insisted|insists|suggested|suggests|called on|calls on|quipped|recalled|"
          r"pointed out|points out|concluded|continued|replied|responded|wrote|writes)")
_NAME = r"((?:[A-Z][\w’'.-]+)(?:\s+(?:[A-Z][\w’'.-]+|de|van|von|bin|al|and(?=\s+[A-Z])))*)"
_PRONOUN = r"(he|she|they|it)"
_ADVERB = r"(?:\s+(?:also|further|then|later|again|once again|on (?:his|her|their) part))?"
#: "the panel said", "the report added", "the UN chief noted": a body or a role speaks.
_BODY = (r"((?:the|The)\s+(?:UN\s+|U\.N\.\s+)?"
         r"(?i:panel|report|chief|secretary-general|secretary general|co-chairs?|article))")
_SUBJECT_SAID = re.compile(
    rf"(?:^|[\s“\"(,])(?:{_NAME}|{_PRONOUN}|{_BODY})(?:,[^,“”]{{1,160}},)?{_ADVERB}\s+{_VERBS}\b"
)
_SAID_SUBJECT = re.compile(rf"\b{_VERBS}\s+(?:{_NAME}|{_PRONOUN}|{_BODY})\b")
_ACCORDING = re.compile(rf"\b[Aa]ccording to\s+(?:the\s+)?{_NAME}")
_COLON_QUOTE = re.compile(rf"^\s*{_NAME}\s*:\s*[“\"]")
#: "Secretary-General António Guterres": a role named once with its holder, so that "the
#: Secretary-General explained" later on the page is his.
_ROLE_NAME = re.compile(r"(?i:(secretary-general|secretary general|general secretary|chief|co-chair))\s+" + _NAME)
_OPEN, _CLOSE = "“", "”"
_PRONOUNS = ("he", "she", "they", "it")


#: Capitalised words of a subject that are not a name (a sentence's first word, titles).
_NOT_NAME = frozenset(
    "the a an this that these those it its but and so then today however also in on at for of while when "
    "ms mr mrs dr prof secretary-general secretary general chair co-chair chief un he she they it we".split()
)


def _name(text: str | None) -> str:
    """The name in a matched subject, without a title or sentence word that opens it ("Mr Guterres")."""
    if not text:
        return ""
    if " and " in text:  # "Co-chairs Melinda Gates and Jack Ma also stressed": both speak
        both = [_name(part) for part in text.split(" and ")]
        return " and ".join(b for b in both if b)
    parts = [w for w in text.replace(".", " ").split() if w.lower() not in _NOT_NAME]
    if len(parts) > 2:  # "WACC General Secretary Philip Lee": a person is named by the last two
        parts = parts[-2:]
    return " ".join(parts) if parts and len(" ".join(parts)) > 1 else ""


def attributed(sentence: str) -> tuple[str, str]:
    """(name, pronoun) the sentence's own attribution gives; empty strings where it gives none."""
    for pattern in (_COLON_QUOTE, _SUBJECT_SAID, _SAID_SUBJECT, _ACCORDING):
        m = pattern.search(sentence)
        if not m:
            continue
        subject = m.group(1) or ""
        if subject.lower() in _PRONOUNS:  # "He added" matches as a capitalised word
            return "", subject.lower()
        name = _name(subject)
        if name:
            return name, ""
        if subject and re.fullmatch(_BODY, subject):  # "The Secretary-General" matched as capitalised words
            return subject[0].lower() + subject[1:], ""
        pronoun = m.group(2) if (m.lastindex or 0) >= 2 else None
        if pronoun:
            return "", pronoun.lower()
        body = m.group(3) if (m.lastindex or 0) >= 3 else None
        if body:
            return body[0].lower() + body[1:], ""
    return "", ""


def _holder(speaker: str, roles: dict[str, str]) -> str:
    """"the Secretary-General" -> the person the page named in that role, when it did."""
    if speaker.lower().startswith("the "):
        role = speaker[4:].lower().removeprefix("un ").replace(" ", "-")
        return roles.get(role, speaker)
    return speaker


def speakers(sentences: list[str], paras: list[int]) -> list[str]:
    """The speaker of each sentence of one page (in reading order, with its paragraph numbers), or ""."""
    out: list[str] = []
    open_in_para = 0  # quotation marks opened and not closed so far in the paragraph
    para_speaker = ""  # the speaker whose quotation is open
    previous_para_open = ""  # the speaker of a quotation the previous paragraph left open
    roles: dict[str, str] = {}  # role -> the person the page names in it
    for i, (text, para) in enumerate(zip(sentences, paras, strict=True)):
        new_para = i == 0 or para != paras[i - 1]
        if new_para:  # the quotation the previous paragraph left open, or ended with, may run on
            quoted_last = i > 0 and (open_in_para > 0 or _CLOSE in sentences[i - 1])
            previous_para_open = (para_speaker or out[-1]) if quoted_last else ""
            open_in_para, para_speaker = 0, ""
        for m in _ROLE_NAME.finditer(text):
            holder = _name(m.group(2))
            if holder and " and " not in holder:
                roles[m.group(1).lower().replace(" ", "-")] = holder
        name, pronoun = attributed(text)
        speaker = _holder(name, roles)
        if not speaker and pronoun and i:
            before = sentences[i - 1]
            speaker = out[-1] or (names(before)[-1] if names(before) else "")
        if not speaker and open_in_para > 0:
            speaker = para_speaker  # inside a quotation opened earlier in the paragraph
        if not speaker and new_para and text.lstrip().startswith(_OPEN):
            speaker = previous_para_open  # a quotation running on from the previous paragraph
        out.append(speaker)
        opened = text.count(_OPEN) - text.count(_CLOSE)
        if opened > 0 or (open_in_para > 0 and opened == 0):
            para_speaker = speaker or para_speaker
        open_in_para = max(0, open_in_para + opened)
    return out
