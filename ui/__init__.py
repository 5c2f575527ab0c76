"""The Gradio web UI: a thin layer over the ``assistant`` and ``ingest`` APIs.

launch.py (start-up) · layout.py (tabs and wiring) · chat.py, documents.py, evaluation.py (callbacks)
· render.py (pure answer/document -> HTML/Markdown functions) · assets.py (CSS and the citation script).
"""
