"""The Gradio layout: Chat, Documents and Evaluation tabs wired to their callbacks."""

from __future__ import annotations

import gradio as gr

from ui import render
from ui.chat import EXAMPLE_QUESTIONS, ChatHandlers
from ui.documents import SUPPORTED, DocumentHandlers
from ui.evaluation import build_evaluation_tab
from ui.services import Services

TITLE = "Panel on Digital Cooperation — document assistant"
INTRO = (
    "Exact, cited answers from the documents of the UN Secretary-General's High-level Panel on "
    "Digital Cooperation (2018–2019). Every sentence of an answer quotes a passage; click its [n] to see it."
)

#: Ingestion (upload, delete, re-sync) runs one at a time in its own queue, so chat stays responsive.
INGEST = {"concurrency_id": "ingest", "concurrency_limit": 1}
#: Several questions at once: the derived indexes swap in new states atomically (assistant/snapshot.py)
#: and the embedder serialises its model calls.
CHAT = {"concurrency_id": "chat", "concurrency_limit": 4}
#: Runs in the browser before the delete: a cancelled confirmation sends no document.
CONFIRM_DELETE = "(doc, scope) => [doc && confirm('Delete this document from the index?') ? doc : null, scope]"


def build_app(services: Services) -> gr.Blocks:
    chat = ChatHandlers(services)
    docs = DocumentHandlers(services)
    settings = services.settings

    with gr.Blocks(title="Panel assistant", analytics_enabled=False) as demo:
        gr.Markdown(f"## {TITLE}\n{INTRO}")
        status = gr.Markdown(services.status_line(), elem_id="status-line")
        answers = gr.State([])

        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    scope = gr.Dropdown(
                        label="Answer only from these documents (empty: all documents)",
                        choices=[], value=[], multiselect=True, elem_id="scope",
                    )
                    chatbot = gr.Chatbot(
                        label="Conversation", height=520, elem_id="chatbot", latex_delimiters=[],
                        examples=[{"text": q} for q in EXAMPLE_QUESTIONS], feedback_options=None,
                        buttons=["copy"], placeholder="Ask a question about the panel's documents, "
                        "or pick an example.", layout="bubble",
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder="Ask about the panel's documents…", show_label=False, scale=5,
                            elem_id="question", autofocus=True, max_lines=4,
                        )
                        ask = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                    with gr.Row():
                        export = gr.DownloadButton(
                            "Download conversation (Markdown)", interactive=False, size="sm", elem_id="export"
                        )
                        clear = gr.Button("New conversation", size="sm", elem_id="clear")
                    with gr.Accordion("Options", open=False):
                        k = gr.Slider(1, 20, value=settings.k, step=1, label="Passages to retrieve (k)")
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    sources = gr.HTML(render.sources_html([]), elem_id="sources-panel")

            with gr.Tab("Documents", id="documents"):
                table = gr.Dataframe(
                    headers=render.DOCUMENT_HEADERS, interactive=False, wrap=True, elem_id="documents-table",
                    datatype=["str", "str", "str", "number", "number", "str"], label="Ingested documents",
                    column_widths=["38%", "24%", "12%", "7%", "7%", "12%"],
                )
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        files = gr.File(
                            label=f"Add documents ({SUPPORTED}); they are ingested as soon as they arrive",
                            file_count="multiple", elem_id="upload", height=180,
                        )
                        report = gr.HTML(elem_id="ingest-report")
                    with gr.Column(scale=2):
                        to_delete = gr.Dropdown(label="Document to delete", choices=[], elem_id="delete-choice")
                        delete = gr.Button("Delete document", variant="stop", elem_id="delete")
                        resync = gr.Button("Re-sync corpus folder", elem_id="resync")
                        gr.Markdown(
                            f"Re-sync reads `{settings.corpus_dir.name}/` again: changed files are re-ingested, "
                            "removed ones are dropped. Uploaded files are kept under the data folder."
                        )

            with gr.Tab("Evaluation", id="evaluation"):
                build_evaluation_tab(services)

        # --- chat ------------------------------------------------------------------------
        chat_in = [question, answers, scope, k]
        chat_out = [chatbot, sources, answers, question, export]
        progress_on = {"show_progress": "minimal", "show_progress_on": [chatbot]}
        question.submit(chat.respond, chat_in, chat_out, **CHAT, **progress_on)
        ask.click(chat.respond, chat_in, chat_out, **CHAT, **progress_on)
        chatbot.example_select(chat.pick_example, None, question, queue=False).then(
            chat.respond, chat_in, chat_out, **CHAT, **progress_on
        )
        for event in (clear.click, chatbot.clear):
            event(chat.clear, None, [chatbot, sources, answers, export], queue=False)

        # --- documents -------------------------------------------------------------------
        views = [table, scope, to_delete, status]
        files.upload(docs.upload, [files, scope], [report, *views, files], show_progress_on=[report], **INGEST)
        delete.click(
            docs.delete, [to_delete, scope], [report, *views], show_progress_on=[report], **INGEST,
            js=CONFIRM_DELETE,
        )
        resync.click(docs.resync, [scope], [report, *views], show_progress_on=[report], **INGEST)
        demo.load(docs.views, None, views, queue=False)
    return demo
