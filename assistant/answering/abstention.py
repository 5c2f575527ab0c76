"""The calibrated "not in the documents" decision.

Signals, all computed from retrieval and the stored index, never from lists of words or questions:
- ``best_similarity``: cosine similarity of the best sentence of the retrieved passages;
- ``best_coverage``: how much of the question's (idf-weighted) key terms that sentence holds;
- ``known_terms``: idf-weighted share of the question's terms that occur anywhere in the corpus
  (a question about "penalty shoot-outs" has terms the corpus never uses);
- ``agreement``: whether dense and keyword search put the same passage near the top.
They are combined by a logistic model into ``confidence``, the estimated probability that the
documents answer the question; below ``Settings.abstain_threshold`` the assistant abstains. The
weights were fitted on the regression set and the threshold chosen by leave-one-out validation so
that at most ~1 in 10 answerable questions is refused (``python -m eval.calibrate`` re-fits them and
prints the figures). ``best_coverage`` and ``agreement`` are measured and shown but did not improve
the held-out result, so their weights are zero.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from assistant.answering.evidence import ScoredSentence
from assistant.keyword_index import KeywordIndex
from assistant.retrieval import Retrieval
from assistant.text import query_terms

#: Logistic weights of the signals and the intercept, fitted by ``python -m eval.calibrate``.
WEIGHTS = {"best_similarity": 1.288, "known_terms": 0.962, "top_dense": 1.471}
BIAS = -0.382


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


def confidence(signals: SupportSignals, weights: dict[str, float] | None = None, bias: float = BIAS) -> float:
    """Estimated probability that the retrieved passages answer the question."""
    values = signals.as_dict()
    z = bias + sum(w * values[name] for name, w in (weights or WEIGHTS).items())
    return 1.0 / (1.0 + math.exp(-z))


class AbstentionPolicy:
    def __init__(self, threshold: float, weights: dict[str, float] | None = None, bias: float = BIAS) -> None:
        self.threshold = threshold
        self.weights = weights or WEIGHTS
        self.bias = bias

    def confidence(self, signals: SupportSignals) -> float:
        return confidence(signals, self.weights, self.bias)
