"""The UI's pure rendering: Markdown answers, citation links, compact cards, escaping, abstention, export."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.answer import NOT_COVERED, Answer, Citation, Passage
from assistant.settings import Settings
from ui import cards, render
from ui.conversations import Turn
from ui.documents import GradioProgress
from ui.markdown import markdown_html

SCRIPT = "<script>alert(1)</script>"


def make_citation(number=1, passage="First sentence. The supporting sentence here. Last one.", title="Doc title",
                  page=None, sentence="The supporting sentence here.") -> Citation:
    start = passage.index(sentence)
    return Citation(
        number=number, doc_id="doc", title=title, source="corpus/doc.md", page=page, passage_id=f"p{number}",
        passage=passage, sentence=sentence, span=(start, start + len(sentence)),
    )


def make_passage(text="Closest passage text.", title="Near doc", page=None) -> Passage:
    return Passage(id="x", doc_id="near", title=title, source="uploads/near.pdf", text=text, page=page)


def make_answer(citations, text="Answer sentence. [1]", question="Who?", abstained=False, passages=None,
                query="") -> Answer:
    return Answer(
        question=question, text=text, abstained=abstained, citations=citations, passages=passages or [],
        query=query or question,
    )


def test_markers_link_to_card_anchors():
    answer = make_answer([make_citation(1), make_citation(2)], text="One. [1] Two. [2] Three. [1, 2] Four. [7]")
    html = render.answer_html(answer, 3)
    assert html.count('href="#cite-3-1"') == 2
    assert html.count('href="#cite-3-2"') == 2
    assert "[7]" in html and 'href="#cite-3-7"' not in html  # no citation 7: the marker stays text
    panel = cards.sources_html([Turn(answer)] * 3)
    for n in (1, 2):
        assert f'id="cite-3-{n}"' in panel and f'id="cite-1-{n}"' in panel


def test_each_answer_has_its_own_sources_section_and_the_newest_is_shown():
    turns = [Turn(make_answer([make_citation(1)], question=f"Question {i}?")) for i in (1, 2, 3)]
    panel = cards.sources_html(turns)
    sections = re.findall(r'<section class="([^"]+)" id="sources-(\d)"', panel)
    assert [(n, "active" in c) for c, n in sections] == [("1", False), ("2", False), ("3", True)]
    assert re.findall(r'class="turn-tab[^"]*" data-turn="(\d)"', panel) == ["1", "2", "3"]
    assert "turn-tab" not in cards.sources_html(turns[:1])  # one answer: nothing to switch between


def test_card_shows_the_sentence_with_a_little_context_and_the_full_passage_on_demand():
    before = "An opening sentence that sets the scene for the reader. " * 4
    after = " A closing sentence that adds more detail about the meeting. " * 4
    sentence = "The supporting sentence here."
    citation = make_citation(passage=before + sentence + after, sentence=sentence, page=4)
    card = cards.citation_card(citation, turn=1)
    quote = card[card.index('<div class="quote">'):card.index("<details")]
    assert '<mark class="support">The supporting sentence here.</mark>' in quote
    visible = re.sub(r"<[^>]+>", "", quote)
    assert len(visible) < len(citation.passage) / 2 and visible.startswith("…")
    assert "sets the scene" in visible and "closing sentence" in visible
    full = card[card.index("<details"):]
    assert "<summary>Full passage</summary>" in full and before.strip()[:40] in full
    assert "p. 4" in card and "Doc title" in card


def test_card_offers_the_pdf_page_or_the_document_context():
    pdf = make_citation(page=3)
    pdf.source = "data/uploads/report.pdf"
    assert 'data-key="2:1">See it on page 3</button>' in cards.citation_card(pdf, 2)
    text = make_citation()
    assert 'data-key="2:1">Show in the document</button>' in cards.citation_card(text, 2)


def test_supporting_sentence_is_highlighted_inside_the_passage():
    card = cards.citation_card(make_citation(page=4), turn=1)
    full = card[card.index("<details"):]
    assert '<mark class="support">The supporting sentence here.</mark>' in full
    assert full.index("First sentence.") < full.index("<mark") < full.index("Last one.")


def test_page_is_left_out_when_absent():
    assert "p. " not in cards.citation_card(make_citation(page=None), turn=1)


@pytest.mark.parametrize("where", ["passage", "title", "question", "answer"])
def test_markup_from_documents_and_users_is_escaped(where):
    passage = f"Before. The sentence with {SCRIPT} inside. After."
    sentence = f"The sentence with {SCRIPT} inside."
    citation = make_citation(passage=passage if where == "passage" else "A. The supporting sentence here. B.",
                             sentence=sentence if where == "passage" else "The supporting sentence here.",
                             title=SCRIPT if where == "title" else "Title")
    answer = make_answer(
        [citation], question=SCRIPT if where == "question" else "Q?",
        text=f"{SCRIPT} [1]" if where == "answer" else "A. [1]",
    )
    turns = [Turn(answer)]
    html = render.answer_html(answer, 1) + cards.sources_html(turns) + str(render.chat_messages(turns))
    html += render.conversation_markdown([answer])
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower()


def test_highlighting_escapes_both_sides_of_the_span():
    text = "<b>x</b> says <i>hi</i>. Tail & more"
    start = text.index("says")
    out = cards.highlighted_passage(text, (start, start + 12))
    assert "<b>" not in out and "<i>" not in out
    assert '<mark class="support">says &lt;i&gt;hi' in out and "&amp; more" in out


def test_abstention_renders_notice_and_closest_matches_only():
    passages = [make_passage(f"Passage {i} about something else.", title=f"Doc {i}", page=i) for i in range(1, 6)]
    answer = make_answer([], text=NOT_COVERED, abstained=True, passages=passages, question="Lasagna recipe?")
    message = render.answer_html(answer, 1)
    assert render.NOT_IN_DOCUMENTS in message and "abstained" in message
    assert "cite-link" not in message
    panel = cards.sources_html([Turn(answer)])
    assert "Closest matches — not answers" in panel
    assert panel.count('class="match-card"') == 3  # answer.passages[:3]
    assert "cite-card" not in panel


def test_query_note_shown_only_when_rewritten():
    plain = make_answer([make_citation()], question="Who led it?", query="Who led it?")
    rewritten = make_answer([make_citation()], question="What did she say?", query="Melinda Gates What did she say?")
    assert "Searched for" not in render.answer_html(plain, 1)
    assert "Melinda Gates What did she say?" in render.answer_html(rewritten, 1)


def test_answer_markdown_lists_and_titles_render_with_clickable_markers():
    text = ("The panel named three enablers:\n- Inclusiveness [1]\n- Trust, and *values* [2]\n\n"
            "**Second meeting summary**\nIt met in Geneva. [1]")
    answer = make_answer([make_citation(1), make_citation(2)], text=text)
    html = render.answer_html(answer, 2)
    assert "<p>The panel named three enablers:</p><ul><li>Inclusiveness " in html
    assert html.count("<li>") == 2 and 'href="#cite-2-2"' in html
    assert '<p class="md-head"><strong>Second meeting summary</strong></p>' in html
    assert "*values*" in html  # single asterisks in quoted text stay as written
    assert "\n" not in html  # one HTML block: the chat's own Markdown never touches document text


def test_markdown_subset_escapes_everything():
    html = markdown_html("1. <b>first</b>\n2. second **bold**\n\nPara & more\n## Head")
    assert html == ("<ol><li>&lt;b&gt;first&lt;/b&gt;</li><li>second <strong>bold</strong></li></ol>"
                    '<p>Para &amp; more</p><p class="md-head"><strong>Head</strong></p>')


def test_scope_chip_on_scoped_answers_only():
    answer = make_answer([make_citation()])
    assert "scope-chip" not in render.answer_html(Turn(answer), 1)
    scoped = render.answer_html(Turn(answer, scope=["Second meeting <summary>"]), 1)
    assert "Only from: Second meeting &lt;summary&gt;" in scoped


def test_stopped_answer_is_marked_and_its_markers_are_not_links():
    stopped = Turn(make_answer([], text="Melinda Gates, Co-Chair [1"), stopped=True)
    html = render.answer_html(stopped, 1)
    assert "Stopped" in html and "cite-link" not in html
    assert "Stopped before the answer was complete" in cards.sources_html([stopped])


def test_chat_messages_include_pending_and_waiting_questions():
    answer = make_answer([make_citation()])
    messages = render.chat_messages([Turn(answer)], pending="Next <q>?", partial="Part", queued=["Third?"])
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert "Next &lt;q&gt;?" in messages[2]["content"] and "Part" in messages[3]["content"]
    assert "Third?" in messages[4]["content"] and "Waiting" in messages[4]["content"]


def test_markdown_export_lists_numbered_sources():
    cited = make_answer([make_citation(1, page=2), make_citation(2, title="Other doc")],
                        text="Answer one. [1] Answer two. [2]", question="First question?")
    abstained = make_answer([], text=NOT_COVERED, abstained=True, passages=[make_passage()], question="Lasagna?")
    md = render.conversation_markdown([cited, abstained])
    assert "## Q1. First question?" in md and "## Q2. Lasagna?" in md
    assert "[1] Doc title, p. 2 (doc.md)" in md
    assert "[2] Other doc (doc.md)" in md
    assert md.count("> “The supporting sentence here.”") == 2
    assert "Closest matches — not answers" in md and "Near doc" in md
    assert re.search(r"Answer one\. \[1\] Answer two\. \[2\]", md)


def test_markdown_export_keeps_an_answer_list_a_list():
    answer = make_answer([make_citation(1)], text="Lead-in:\n- first [1]\n- second [1]")
    md = render.conversation_markdown([Turn(answer, scope=["Doc title"])], "My talk")
    assert "# My talk" in md and "_Only from: Doc title_" in md
    assert "Lead-in:\n- first [1]\n- second [1]" in md


def test_markdown_export_keeps_ampersands_readable_and_tags_inert():
    cited = make_answer([make_citation(1, title="Bill & Melinda <em>Gates</em>")], text="Gates & Ma. [1]")
    md = render.conversation_markdown([cited])
    assert "Gates & Ma." in md and "Bill & Melinda &lt;em&gt;Gates&lt;/em&gt;" in md
    assert "<em>" not in md


def test_document_rows_and_choices():
    docs = [
        SimpleNamespace(doc_id="a", title="Same", sources=["corpus/a.md"], kind="news", pages=1, chunks=3,
                        ingested_at=0),
        SimpleNamespace(doc_id="b", title="Same", sources=["/data/uploads/b.pdf"], kind="pdf document", pages=4,
                        chunks=6, ingested_at=1_700_000_000),
    ]
    rows = render.document_rows(docs)
    assert rows[1][:5] == ["Same", "b.pdf", "pdf document", 4, 6]
    assert render.document_choices(docs) == [("Same (a.md)", "a"), ("Same (b.pdf)", "b")]


def test_sync_report_explains_failures_in_plain_words():
    report = SimpleNamespace(
        outcomes=[
            SimpleNamespace(source="/u/ok.pdf", status="added", pages=4, chunks=6, reason=""),
            SimpleNamespace(source="/u/<x>.pdf", status="failed", pages=0, chunks=0,
                            reason="password-protected PDF (no password given); skipped"),
        ],
        counts={"added": 1, "failed": 1}, seconds=1.234,
    )
    html = render.sync_report_html(report)
    assert "ok.pdf</b>: added (4 pages, 6 passages)" in html
    assert "&lt;x&gt;.pdf" in html and "password-protected PDF" in html
    assert "1 added, 1 failed" in html


def test_upload_refused_as_what_it_is_and_nothing_kept(tmp_path: Path):
    """The Documents tab goes through ingest.uploads: a PNG named .pdf is refused before it is stored."""
    from ui.documents import DocumentHandlers

    png = tmp_path / "report.pdf"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    handlers = DocumentHandlers.__new__(DocumentHandlers)
    handlers.services = SimpleNamespace(settings=Settings(data_dir=tmp_path / "data"))
    html = handlers._ingest([png], progress=None)
    assert "report.pdf" in html and "PNG image" in html
    assert not any((tmp_path / "data" / "uploads").glob("*"))


def test_gradio_progress_maps_files_and_batches_to_one_bar():
    calls = []
    progress = GradioProgress(lambda fraction, desc: calls.append((round(fraction, 3), desc)))
    progress.file_started("/x/a.pdf", 0, 2)
    progress.pages_read(1, 4)
    progress.pages_read(4, 4)  # reading is the first fifth of a file's part
    progress.embedded(5, 10)
    progress.file_started("/x/b.pdf", 1, 2)
    progress.embedded(10, 10)
    assert [c[0] for c in calls] == [0.0, 0.025, 0.1, 0.3, 0.5, 1.0]
    assert "a.pdf" in calls[1][1] and "page 1 of 4" in calls[1][1] and "b.pdf" in calls[4][1]


def test_ingestion_and_evaluation_do_not_queue_behind_chat(tmp_path: Path):
    """Upload, delete and re-sync share one queue; chat and the evaluation each have their own."""
    from assistant.settings import Settings
    from ui.layout import build_app

    services = SimpleNamespace(settings=Settings(data_dir=tmp_path / "data"), status_line=lambda: "status",
                               exports_dir=tmp_path / "exports")
    demo = build_app(services)
    groups: dict[str, set] = {}
    for fn in demo.fns.values():
        if fn.queue:
            groups.setdefault(fn.name, set()).add(fn.concurrency_id)
    assert groups["ingest_queued"] == groups["resync"] == {"ingest"}
    assert "ingest" in groups["delete"]  # the document's delete (the conversation's is a quick one)
    assert groups["drain"] == {"chat"}
    assert groups["run"] == {"eval"}
    # what only changes this tab's own state is queued (Gradio shows gr.Info / gr.Warning only for queued
    # events) with no limit, so it never waits behind another event; Stop says nothing and stays outside
    quick = {"enqueue", "receive", "restore", "show", "rename", "open", "new", "regenerate", "sources_view", "views"}
    found = {fn.name for fn in demo.fns.values() if fn.name in quick}
    assert found == quick
    for fn in demo.fns.values():
        if fn.name in quick:
            assert fn.queue and fn.concurrency_limit is None, fn.name
    assert {fn.name for fn in demo.fns.values() if not fn.queue} >= {"stop"}


def test_evaluation_tables_and_comparison():
    from ui.evaluation import comparison_markdown, question_rows

    rows = [
        {"pipeline": "assistant", "id": "q1", "question": "Q one?", "answerable": True, "passed": True,
         "reasons": [], "answer": "Yes. [1]", "latency": 0.2},
        {"pipeline": "assistant", "id": "q2", "question": "Q two?", "answerable": False, "passed": False,
         "reasons": ["answered instead of abstaining"], "answer": "<b>No</b>", "latency": 0.31},
        {"pipeline": "textbook", "id": "q1", "question": "Q one?", "answerable": True, "passed": False,
         "reasons": [], "answer": "", "latency": 0.1},
    ]
    assert [r[0] for r in question_rows(rows, only_failures=False)] == ["q1", "q2"]
    failures = question_rows(rows, only_failures=True)
    assert failures == [["q2", "Q two?", "abstain", "FAIL", "answered instead of abstaining", "<b>No</b>", "310 ms"]]

    assert "No earlier run" in comparison_markdown(None)
    comparison = {"assistant": {
        "worse": [{"id": "q2", "question": "A <script> question", "changes": ["abstention decision right → wrong"]}],
        "better": [], "unchanged": 94,
        "summary_deltas": {"pass_rate": {"old": 0.7, "new": 0.6, "delta": -0.1, "direction": "worse"},
                           "questions": {"old": 96, "new": 96, "delta": 0, "direction": "same"}},
    }}
    md = comparison_markdown(comparison, "/srv/checkout/eval/out/20261123-1200/results.json")
    assert "run `20261123-1200`" in md and "/srv" not in md  # no server path on the page
    assert "1 worse, 0 better, 94 unchanged" in md
    assert "&lt;script&gt;" in md and "<script>" not in md
    assert "| pass_rate | 70.0% | 60.0% | -10.0 pts | worse |" in md


def test_ingesting_a_pdf_reports_each_page_read_before_embedding(tmp_path: Path):
    """A 4-page PDF moves the bar at every page, then at every batch (it sat at 0 % while being read)."""
    import shutil

    from assistant.settings import Settings
    from ingest.pipeline import Ingester

    seen: list[tuple[str, int, int]] = []

    class Recorder:
        def file_started(self, source, index, total):
            seen.append(("file", index, total))

        def pages_read(self, done, total):
            seen.append(("page", done, total))

        def embedded(self, done, total):
            seen.append(("embedded", done, total))

    pdf = tmp_path / "in" / "pdflatex-4-pages.pdf"
    pdf.parent.mkdir()
    shutil.copyfile(Path(__file__).parent / "fixtures" / "pdflatex-4-pages.pdf", pdf)
    from assistant.components import build

    settings = Settings(data_dir=tmp_path / "data")
    ingester = Ingester(settings, build(settings).store)
    ingester.sync([pdf], progress=Recorder())
    pages = [e for e in seen if e[0] == "page"]
    assert pages == [("page", n, 4) for n in (1, 2, 3, 4)]
    first_embed = next(i for i, e in enumerate(seen) if e[0] == "embedded")
    assert all(seen.index(p) < first_embed for p in pages)  # read page by page, then embedded
    assert len([e for e in seen if e[0] == "embedded"]) >= 2  # embedding moves per batch too
