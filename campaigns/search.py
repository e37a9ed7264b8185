"""Chinese search on Wagtail's database backend.

Chinese has no spaces between words, so the backend's tokenisers (SQLite FTS5's unicode61,
PostgreSQL's default parser) take a whole sentence for one word and a two-character query such
as 垃圾 finds nothing. Pages therefore index an extra field holding every overlapping pair of
CJK characters separated by spaces ("村民垃圾分类" → "村民 民垃 垃圾 圾分 分类"), and a query is
turned into its pairs and matched with AND: every pair of the query must occur in the page. A
single character has no pair; it is looked up in titles with a plain ``contains``.
"""

import re

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(f"[{CJK}]+")


def cjk_bigrams(text: str) -> str:
    """Every overlapping pair of CJK characters in ``text`` (each run of Chinese on its own),
    space separated, plus the non-Chinese words unchanged."""
    words = []
    for run in _RUNS.findall(text or ""):
        if len(run) == 1:
            words.append(run)
        words.extend(run[i : i + 2] for i in range(len(run) - 1))
    words.extend(_RUNS.sub(" ", text or "").split())
    return " ".join(words)


def query_terms(query: str) -> list[str]:
    """The search terms for ``query``: CJK pairs, and other words as typed."""
    terms = []
    for run in _RUNS.findall(query or ""):
        terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    terms.extend(_RUNS.sub(" ", query or "").split())
    return list(dict.fromkeys(terms))
