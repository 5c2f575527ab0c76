"""panel-assistant: cited answers about the UN High-level Panel on Digital Cooperation.

Public API: ``Assistant`` (ask / stream), ``Answer``, ``Citation``, ``Passage``, ``Settings``.
"""

from assistant.answer import NOT_COVERED, Answer, Citation, Passage
from assistant.service import Assistant
from assistant.settings import Settings, get_settings

__all__ = ["NOT_COVERED", "Answer", "Assistant", "Citation", "Passage", "Settings", "get_settings"]
