"""Chinese and English full-text search with no PostgreSQL extension.

PostgreSQL's own parser does not split Chinese into words, and the embedded server ships no
CJK parser. So the application tokenises: runs of CJK characters become their single characters
and overlapping bigrams (订单号 -> 订 单 号 订单 单号), other text becomes lower-cased NFKC words.
Documents are stored as ``array_to_tsvector(tokens)`` (no parser involved) and queries are built
from the same tokens, so a two-character word like 订单 always matches itself.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.orm import QueryableAttribute

#: A tsvector column, or a mapped attribute of one (tsvector has no Python value type: ``Any``).
_Searchable: TypeAlias = sa.ColumnElement[Any] | QueryableAttribute[Any]

_CJK = (
    r"\u3040-\u30ff"  # kana
    r"\u3400-\u4dbf"  # CJK extension A
    r"\u4e00-\u9fff"  # CJK unified ideographs
    r"\uac00-\ud7af"  # hangul
    r"\uf900-\ufaff"  # compatibility ideographs
)
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+(?:['.@+-][^\W_{_CJK}]+)*", re.UNICODE)
_CJK_RUN = re.compile(rf"^[{_CJK}]+$")

#: A tsvector lexeme may not exceed 2046 bytes; very long "words" (base64, hashes) are clipped.
_MAX_WORD = 64
#: Bound a document's token list: a huge mail body must not make a huge index entry.
MAX_DOCUMENT_TOKENS = 4000


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _runs(text: str) -> list[str]:
    return _TOKEN.findall(_normalise(text))


def tokens(text: str) -> list[str]:
    """Distinct index tokens of ``text``, in first-seen order."""
    seen: dict[str, None] = {}
    for run in _runs(text):
        seen.update(_run_tokens(run) if len(run) <= _CACHED_RUN else _expand(run))
        if len(seen) >= MAX_DOCUMENT_TOKENS:
            break
    return list(seen)[:MAX_DOCUMENT_TOKENS]


#: Runs up to this long have their tokens cached: names, companies and the words of subjects come
#: back ticket after ticket (a call log's callers, a mailbox's senders), long ones (hashes) do not.
_CACHED_RUN = 32


def _expand(run: str) -> dict[str, None]:
    """A run's tokens, in order: a CJK run's characters then its bigrams; a word, clipped, then
    its parts (an e-mail address also by its mailbox and its domain; the query keeps
    "example.com" whole, as typed)."""
    found: dict[str, None] = {}
    if _CJK_RUN.match(run):
        found.update(dict.fromkeys(run))
        found.update(dict.fromkeys(run[i : i + 2] for i in range(len(run) - 1)))
        return found
    found[run[:_MAX_WORD]] = None
    if "@" in run:
        for part in run.rsplit("@", 1):
            found.setdefault(part[:_MAX_WORD], None)
    for part in re.split(r"['.@+-]", run):
        if part:
            found.setdefault(part[:_MAX_WORD], None)
    return found


_run_tokens = functools.lru_cache(maxsize=16_384)(_expand)


def query_terms(text: str) -> list[str]:
    """The lexemes a query must all match: CJK runs as bigrams (a lone character as itself), words whole."""
    terms: dict[str, None] = {}
    for run in _runs(text):
        if _CJK_RUN.match(run):
            if len(run) == 1:
                terms.setdefault(run, None)
            for i in range(len(run) - 1):
                terms.setdefault(run[i : i + 2], None)
        else:
            terms.setdefault(run[:_MAX_WORD], None)
    return list(terms)


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsquery_terms(text: str) -> list[str]:
    """One tsquery (PostgreSQL input syntax) per query term; Latin words match as prefixes (``ord``
    finds ``order``). Callers that search several documents per ticket match each term on its own,
    so a contact's name and a word of a message together still find the ticket."""
    return [_quote(t) if _CJK_RUN.match(t) else _quote(t) + ":*" for t in query_terms(text)]


def tsquery_text(text: str) -> str | None:
    """All terms of ``text`` in one tsquery, for a single document."""
    return " & ".join(tsquery_terms(text)) or None


def document_tokens(*texts: str | None) -> list[str]:
    """The tokens of a document made of these texts (a ticket's subject and contact name...)."""
    return tokens(" ".join(t for t in texts if t))


def document(*texts: str | None) -> sa.ColumnElement[Any]:
    """SQL expression building the tsvector for these texts."""
    return sa.func.array_to_tsvector(sa.cast(document_tokens(*texts), pg.ARRAY(sa.Text)))


def matches(column: _Searchable, query: str) -> sa.ColumnElement[bool] | None:
    """``column`` holds every term of ``query``; None when the query has no terms at all."""
    text = tsquery_text(query)
    if text is None:
        return None
    return matches_tsquery(column, text)


def matches_tsquery(column: _Searchable, tsquery: str) -> sa.ColumnElement[bool]:
    return column.op("@@")(sa.cast(tsquery, pg.TSQUERY))
