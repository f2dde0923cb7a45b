"""The emulated search engine: Okapi BM25 over CJK characters, character bigrams and words.

A real lexical ranking, so a retriever test sees relevant documents first and a query that
shares nothing with the corpus gets nothing back.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from ..text import features

K1 = 1.5
B = 0.75


@dataclass
class Index:
    """Documents (the indexed field's text, duplicates collapsed) and their term counts."""

    documents: list[str]
    terms: list[Counter[str]] = field(init=False)
    document_frequency: Counter[str] = field(init=False)
    average_length: float = field(init=False)

    def __post_init__(self) -> None:
        self.documents = list(dict.fromkeys(self.documents))
        self.terms = [Counter(features(document)) for document in self.documents]
        self.document_frequency = Counter(term for counts in self.terms for term in counts)
        lengths = [sum(counts.values()) for counts in self.terms]
        self.average_length = (sum(lengths) / len(lengths)) if lengths else 0.0

    def _idf(self, term: str) -> float:
        count = len(self.documents)
        frequency = self.document_frequency.get(term, 0)
        return math.log(1.0 + (count - frequency + 0.5) / (frequency + 0.5))

    def score(self, query: str, index: int) -> float:
        counts = self.terms[index]
        length = sum(counts.values())
        norm = K1 * (1 - B + B * length / (self.average_length or 1.0))
        total = 0.0
        for term in set(features(query)):
            frequency = counts.get(term, 0)
            if frequency:
                total += self._idf(term) * frequency * (K1 + 1) / (frequency + norm)
        return total

    def search(self, query: str, limit: int) -> list[tuple[str, float]]:
        """The best ``limit`` documents with a positive score, best first."""
        scored = [(self.score(query, i), -i) for i in range(len(self.documents))]
        ranked = sorted((item for item in scored if item[0] > 0), reverse=True)[:limit]
        return [(self.documents[-position], score) for score, position in ranked]
