"""The Gradio layout: Chat, Documents and Evaluation tabs wired to their callbacks."""

from __future__ import annotations

import secrets
from pathlib import Path

import gradio as gr

from ui import cards, render
from ui.chat import EXAMPLE_QUESTIONS, ChatHandlers
from ui.documents import SUPPORTED, DocumentHandlers, UploadQueue
from ui.evaluation import build_evaluation_tab
from ui.pages import PageRenderer
from ui.reader_settings import build_reader_panel
from ui.services import Services
from ui.viewer import SourceViewer

TITLE = "Panel on Digital Cooperation — document assistant"
INTRO = (
    "Exact, cited answers from the documents of the UN Secretary-General's High-level Panel on "
    "Digital Cooperation (2018–2019). Every sentence of an answer quotes a passage; click its [n] to see it, "
    "and open the PDF page it comes from."
)

#: Ingestion (upload, delete, re-sync) runs one at a time in its own queue, so chat stays responsive.
INGEST = {"concurrency_id": "ingest", "concurrency_limit": 1}
#: Several questions at once: the derived indexes swap in new states atomically (assistant/search/snapshot.py)
#: and the embedder serialises its model calls.
CHAT = {"concurrency_id": "chat", "concurrency_limit": 4}
#: Quick callbacks that may say something (``gr.Info`` / ``gr.Warning``): Gradio delivers those messages
#: only to queued events (an unqueued one prints them to the server log), so these are queued too, with
#: no limit, since each takes milliseconds.
QUICK = {"queue": True, "concurrency_limit": None, "show_progress": "hidden"}
#: Runs in the browser before the delete: a cancelled confirmation sends no document. The dialog names
#: the document as the selector shows it.
CONFIRM_DELETE = (
    "(doc, scope) => { const name = (document.querySelector('#delete-choice input') || {}).value || doc; "
    "return [doc && confirm('Delete the document \u201c' + name + '\u201d from the index? An uploaded file "
    "is removed too.') ? doc : null, scope]; }"
)
#: The same for a conversation: the dialog names it; the id is sent only if the user agrees.
CONFIRM_DELETE_CONVERSATION = (
    "(title, s) => { const name = title || 'this conversation'; "
    "return [confirm('Delete the conversation \u201c' + name + '\u201d? This cannot be undone.') ? 'yes' : '', s]; }"
)


def browser_secret(data_dir: Path) -> str:
    """The key the browser's stored conversation pointer is encrypted with, kept across restarts."""
    path = data_dir / "ui" / "browser-secret"
    try:
        return path.read_text().strip()
    except OSError:
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(24)
        path.write_text(secret)
        return secret


def upload_limit_bytes(settings) -> int:
    """``PANEL_MAX_UPLOAD_MB`` in bytes: what ``save_upload`` refuses above, and the page before sending."""
    return int(settings.max_upload_mb * 1_000_000)


def build_app(services: Services) -> gr.Blocks:
    settings = services.settings
    chat = ChatHandlers(services)
    docs = DocumentHandlers(services)
    viewer = SourceViewer(PageRenderer(settings.data_dir / "page-cache"),
                          lambda: {d.doc_id for d in services.ingester.documents()})

    with gr.Blocks(title="Panel assistant", analytics_enabled=False) as demo:
        browser = gr.BrowserState({"owner": "", "current": ""}, storage_key="panel-assistant-conversations",
                                  secret=browser_secret(settings.data_dir))
        session = gr.State(None)
        upload_queue = gr.State(UploadQueue())

        with gr.Sidebar(label="Conversations", elem_id="conv-sidebar", width=300):
            new = gr.Button("+ New conversation", variant="primary", size="sm", elem_id="new-conversation")
            conversations = gr.Radio(choices=[], label="Your conversations (kept in this browser)",
                                     elem_id="conversations")
            title_box = gr.Textbox(label="Name of the open conversation", elem_id="conv-title", max_lines=1)
            with gr.Row():
                rename = gr.Button("Rename", size="sm", elem_id="rename-conversation")
                remove = gr.Button("Delete", size="sm", variant="stop", elem_id="delete-conversation")
            export = gr.DownloadButton("Download (Markdown)", interactive=False, size="sm", elem_id="export")

        gr.Markdown(f"## {TITLE}\n{INTRO}", elem_id="intro")
        status = gr.Markdown(services.status_line(), elem_id="status-line")

        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=320):
                    scope = gr.Dropdown(
                        label="Answer only from these documents (empty: all documents)",
                        choices=[], value=[], multiselect=True, elem_id="scope",
                    )
                    chatbot = gr.Chatbot(
                        show_label=False, height=520, elem_id="chatbot", latex_delimiters=[],
                        examples=[{"text": q} for q in EXAMPLE_QUESTIONS], feedback_options=None,
                        buttons=["copy"], placeholder="Ask a question about the panel's documents, "
                        "or pick an example.", layout="bubble",
                    )
                    with gr.Row(equal_height=True, elem_id="ask-row"):
                        question = gr.Textbox(
                            placeholder="Ask about the panel's documents…", show_label=False, scale=5,
                            elem_id="question", autofocus=True, max_lines=4, min_width=160,
                        )
                        ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask", min_width=70)
                        stop = gr.Button("Stop", variant="stop", scale=1, elem_id="stop", interactive=False,
                                         min_width=70)
                    with gr.Row(equal_height=False, elem_id="chat-foot"):  # one row: the chat keeps the height
                        regenerate = gr.Button("↻ Regenerate", size="sm", elem_id="regenerate", interactive=False,
                                               scale=0, min_width=130)
                        chat_status = gr.HTML("", elem_id="chat-status", container=False)
                        with gr.Accordion("Options", open=False, elem_id="chat-options"):
                            k = gr.Slider(1, 20, value=settings.k, step=1, label="Passages to retrieve (k)")
                            build_reader_panel(services, demo)  # inside Options: the chat keeps the height
                with gr.Column(scale=2, min_width=300):
                    gr.Markdown("### Sources", elem_id="sources-title")
                    sources = gr.HTML(cards.sources_html([]), elem_id="sources-panel")

            with gr.Tab("Documents", id="documents"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        files = gr.File(label=f"Add files ({SUPPORTED})",
                                        file_count="multiple", elem_id="upload", height=150)
                        ingest_progress = gr.HTML("", elem_id="ingest-progress", container=False)
                        upload_status = gr.HTML(render.upload_status_html("", []), elem_id="upload-status",
                                                container=False)
                        # below the progress and status (the progress stays right under the drop zone)
                        gr.HTML(render.upload_limit_html(upload_limit_bytes(settings)), container=False,
                                elem_id="upload-limit-box")
                        report = gr.HTML(elem_id="ingest-report")
                    with gr.Column(scale=2, min_width=280):
                        to_delete = gr.Dropdown(label="Document to delete", choices=[], elem_id="delete-choice")
                        delete = gr.Button("Delete document", variant="stop", elem_id="delete")
                        resync = gr.Button("Re-sync corpus folder", elem_id="resync")
                        gr.Markdown(
                            f"Re-sync reads `{settings.corpus_dir.name}/` again: changed files are re-ingested, "
                            "removed ones are dropped. Uploaded files are kept under the data folder."
                        )
                table = gr.Dataframe(
                    headers=render.DOCUMENT_HEADERS, interactive=False, wrap=True, elem_id="documents-table",
                    datatype=["str", "str", "str", "number", "number", "str"], label="Ingested documents",
                    column_widths=["38%", "24%", "12%", "7%", "7%", "12%"],
                )

            with gr.Tab("Evaluation", id="evaluation"):
                build_evaluation_tab(services)

        # the source viewer: a card's button writes its key here and presses the hidden button
        source_key = gr.Textbox(elem_id="source-key", elem_classes=["offscreen"], show_label=False, container=False)
        source_open = gr.Button("open source", elem_id="source-open", elem_classes=["offscreen"])
        source_view = gr.HTML("", elem_id="source-viewer", container=False)

        # --- conversations -----------------------------------------------------------------
        views = [chatbot, sources, export, conversations, title_box, chat_status, stop, regenerate]
        demo.load(chat.restore, [browser], [session, browser, *views], **QUICK)
        for event in (new.click, chatbot.clear):
            event(chat.new, [session], [browser, *views], **QUICK)
        conversations.input(chat.open, [conversations, session], [browser, *views], **QUICK)
        rename.click(chat.rename, [title_box, session], [browser, *views], **QUICK)
        title_box.submit(chat.rename, [title_box, session], [browser, *views], **QUICK)
        remove.click(chat.delete, [title_box, session], [browser, *views], **QUICK,
                     js=CONFIRM_DELETE_CONVERSATION)

        # --- asking: queued, answered in order; Stop and Regenerate ----------------------------
        enqueued = [question, chatbot, chat_status]
        answer = {"fn": chat.drain, "inputs": [session], "outputs": views, "show_progress": "hidden", **CHAT}
        question.submit(chat.enqueue, [question, session, scope, k], enqueued, **QUICK).then(**answer)
        ask.click(chat.enqueue, [question, session, scope, k], enqueued, **QUICK).then(**answer)
        chatbot.example_select(chat.pick_example, None, question, queue=False).then(
            chat.enqueue, [question, session, scope, k], enqueued, **QUICK
        ).then(**answer)
        regenerate.click(chat.regenerate, [session], enqueued, **QUICK).then(**answer)
        stop.click(chat.stop, [session], None, queue=False)
        source_open.click(viewer.show, [source_key, session], source_view, **QUICK)

        # --- documents -------------------------------------------------------------------
        doc_views = [table, scope, to_delete, status]
        files.upload(docs.receive, [files, upload_queue], [files, upload_status], **QUICK).then(
            docs.ingest_queued, [upload_queue, scope], [report, *doc_views, upload_status],
            show_progress_on=[ingest_progress], **INGEST,
        )
        delete.click(
            docs.delete, [to_delete, scope], [report, *doc_views], show_progress_on=[ingest_progress], **INGEST,
            js=CONFIRM_DELETE,
        ).then(chat.sources_view, [session], sources, **QUICK)  # its cards now say it is gone
        resync.click(docs.resync, [scope], [report, *doc_views], show_progress_on=[ingest_progress], **INGEST)
        demo.load(docs.views, None, doc_views, **QUICK)
    return demo
