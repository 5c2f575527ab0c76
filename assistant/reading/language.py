"""Which language a text is in, with how sure the detector is (lingua: its models ship in the wheel).

Ingestion stores each passage's language; a question in a language no indexed passage is in gets one
clear line instead of unrelated quotes. Short questions are hard to place ("gates vs ma on trust" is
English at 0.3), so a question counts as being in a language only at ``QUESTION_CONFIDENCE``; below
it, it is read as if it were in the documents' language, as before.
"""

from __future__ import annotations

import threading
from functools import lru_cache

#: ISO 639-1 code -> English name, for the languages told apart (a closed set is more accurate).
LANGUAGES = {
    "en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "ru": "Russian", "zh": "Chinese", "ja": "Japanese", "ar": "Arabic", "pl": "Polish",
    "sv": "Swedish", "tr": "Turkish", "ko": "Korean", "hi": "Hindi",
}
QUESTION_CONFIDENCE = 0.75  # a question's language below this is not trusted
TEXT_CHARS = 1000  # a passage's first characters say its language as well as all of it
MIN_LETTERS = 3  # less than this (a number, a name) is in no language

_lock = threading.Lock()
_detector = None


def _get_detector():
    global _detector
    with _lock:
        if _detector is None:
            from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

            languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in LANGUAGES]
            _detector = LanguageDetectorBuilder.from_languages(*languages).build()
        return _detector


@lru_cache(maxsize=4096)
def detect(text: str) -> tuple[str | None, float]:
    """(ISO 639-1 code, confidence) of the likeliest language, or (None, 0.0) for too little text."""
    text = text[:TEXT_CHARS]
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return None, 0.0
    values = _get_detector().compute_language_confidence_values(text)
    if not values:
        return None, 0.0
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), float(best.value)


def question_language(text: str) -> str | None:
    """The question's language when the detector is sure of it, else None (read as the documents')."""
    code, confidence = detect(text)
    return code if confidence >= QUESTION_CONFIDENCE else None


def name(code: str | None) -> str:
    return LANGUAGES.get(code or "", code or "an unknown language")
