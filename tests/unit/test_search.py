"""The application-side tokenizer behind Chinese and English search (hub.tickets.search)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from hub.tickets import search

#: One quoted lexeme, optionally a prefix match, in PostgreSQL's tsquery input syntax.
_QUOTED = r"'(?:[^'\\]|''|\\\\)+'(?::\*)?"
_TSQUERY = re.compile(rf"^{_QUOTED}(?: & {_QUOTED})*$")


def test_chinese_runs_become_characters_and_overlapping_bigrams() -> None:
    assert search.tokens("订单号") == ["订", "单", "号", "订单", "单号"]


def test_a_two_character_word_is_its_own_bigram() -> None:
    assert "订单" in search.tokens("我的订单还没有发货")
    assert search.query_terms("订单") == ["订单"]


def test_a_chinese_query_is_its_bigrams_and_a_single_character_is_itself() -> None:
    assert search.query_terms("订单号") == ["订单", "单号"]
    assert search.query_terms("单") == ["单"]


def test_chinese_and_latin_split_where_the_script_changes() -> None:
    tokens = search.tokens("我的order123订单")
    assert {"我的", "order123", "订单"} <= set(tokens)
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert not [t for t in tokens if cjk.search(t) and re.search(r"[a-z0-9]", t)]


def test_words_are_lower_cased_and_nfkc_normalised() -> None:
    assert search.tokens("Order SHIPPED") == ["order", "shipped"]
    # Full-width letters and digits, as Chinese input methods type them, are the ASCII word.
    assert search.tokens("Ｏｒｄｅｒ１２３") == ["order123"]
    assert search.tokens("ﬁle") == ["file"]  # ligature
    assert search.query_terms("ＯＲＤ") == ["ord"]


def test_tokens_are_distinct_in_first_seen_order() -> None:
    assert search.tokens("order Order ORDER refund") == ["order", "refund"]


def test_punctuation_is_not_a_token() -> None:
    assert search.tokens("!!! ... ？？ —— ，。") == []
    assert search.tsquery_text("!!! ... ？？ —— ，。") is None
    assert search.tsquery_text("") is None


def test_email_addresses_are_findable_whole_and_by_their_parts() -> None:
    tokens = search.tokens("Write to Li.Wei@Example.COM please")
    assert {"li.wei@example.com", "li", "wei", "example", "com"} <= set(tokens)
    # The mailbox and the domain are what people actually type.
    assert {"li.wei", "example.com"} <= set(tokens)


def test_latin_query_words_match_as_prefixes_and_chinese_exactly() -> None:
    assert search.tsquery_text("ord") == "'ord':*"
    assert search.tsquery_text("订单") == "'订单'"
    assert search.tsquery_text("ord 订单") == "'ord':* & '订单'"


def test_quotes_are_doubled_and_backslashes_escaped() -> None:
    assert search._quote("o'brien") == "'o''brien'"
    assert search._quote("a\\b") == "'a\\\\b'"
    assert search._quote("x' | 'y") == "'x'' | ''y'"
    assert search.tsquery_text("O'Brien") == "'o''brien':*"


def test_tsquery_operators_in_the_query_are_only_separators() -> None:
    assert search.tsquery_text("order & !refund | (x:*) <-> y") == "'order':* & 'refund':* & 'x':* & 'y':*"


@given(st.text(max_size=60))
def test_any_query_becomes_well_formed_quoted_lexemes(text: str) -> None:
    query = search.tsquery_text(text)
    if query is None:
        assert search.query_terms(text) == []
    else:
        assert _TSQUERY.match(query), query


@given(st.text(max_size=60))
def test_every_query_term_is_also_a_document_token(text: str) -> None:
    """Query and document use one tokenizer, so a text always finds itself (prefix for words)."""
    tokens = search.tokens(text)
    for term in search.query_terms(text):
        assert any(token == term or token.startswith(term) for token in tokens), (term, tokens)


def test_long_words_and_long_documents_are_bounded() -> None:
    assert search.tokens("x" * 5000) == ["x" * 64]
    many = " ".join(f"w{i}" for i in range(search.MAX_DOCUMENT_TOKENS + 500))
    assert len(search.tokens(many)) == search.MAX_DOCUMENT_TOKENS
