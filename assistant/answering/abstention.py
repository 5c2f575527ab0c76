"""The calibrated "not in the documents" decision.

Signals, all computed from retrieval and the stored index, never from lists of words or questions:
- ``best_similarity``: cosine similarity of the best sentence of the retrieved passages;
- ``best_coverage``: how much of the question's (idf-weighted) key terms that sentence holds;
- ``known_terms``: idf-weighted share of the question's terms that occur anywhere in the corpus
  (a question about "penalty shoot-outs" has terms the corpus never uses);
- ``agreement``: whether dense and keyword search put the same passage near the top.
They are combined linearly into ``confidence``; the weights and the threshold were calibrated on the
regression set (``python -m eval.calibrate`` prints the figures and the chosen values).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from assistant.answering.evidence import ScoredSentence
from assistant.keyword_index import KeywordIndex
from assistant.retrieval import Retrieval
from assistant.text import query_terms

#: Calibrated weights of the signals (see module docstring); intercept folded into the threshold.
WEIGHTS = {"best_similarity": 1.0, "best_coverage": 0.35, "known_terms": 0.35, "agreement": 0.05}


@dataclass
class SupportSignals:
    best_similarity: float
    best_coverage: float
    known_terms: float
    agreement: float
    top_dense: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def support_signals(
    question: str, retrieval: Retrieval, scored: list[ScoredSentence], keyword: KeywordIndex
) -> SupportSignals:
    best = max(scored, key=lambda s: s.similarity + s.coverage, default=None)
    weights = {t: keyword.idf(t) for t in query_terms(question)}
    total = sum(weights.values())
    known = sum(w for t, w in weights.items() if keyword.contains(t)) / total if total else 0.0
    top_dense = set(retrieval.dense_ids[:3])
    agreement = 1.0 if top_dense & set(retrieval.keyword_ids[:3]) else 0.0
    return SupportSignals(
        best_similarity=best.similarity if best else 0.0,
        best_coverage=best.coverage if best else 0.0,
        known_terms=known,
        agreement=agreement,
        top_dense=retrieval.top_dense_similarity,
    )


def confidence(signals: SupportSignals, weights: dict[str, float] | None = None) -> float:
    weights = weights or WEIGHTS
    values = signals.as_dict()
    return sum(w * values[name] for name, w in weights.items())


class AbstentionPolicy:
    def __init__(self, threshold: float, weights: dict[str, float] | None = None) -> None:
        self.threshold = threshold
        self.weights = weights or WEIGHTS

    def confidence(self, signals: SupportSignals) -> float:
        return confidence(signals, self.weights)

    def abstain(self, signals: SupportSignals) -> bool:
        return self.confidence(signals) < self.threshold
