"""The Gradio web UI: a thin layer over the ``assistant``, ``ingest`` and ``eval`` APIs (it sits above them).

launch.py (start-up) · layout.py (tabs and wiring) · chat.py (queue, Stop, Regenerate, conversations),
documents.py, evaluation.py, viewer.py (callbacks) · conversations.py (kept conversations) · pages.py
(PDF pages with the quote marked) · render.py, cards.py, markdown.py (pure answer/document -> HTML) ·
assets.py (CSS and the page script).
"""
