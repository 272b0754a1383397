"""Which search a term gets: a whole address or Message-ID is exact (indexed, any range), anything else substring."""

import pytest

from store.event_log import exact_terms, search_mode


@pytest.mark.parametrize("term", ["alice@example.net", "Alice@Example.NET", "<a1b2.c3@mta-01.example.net>",
                                  "  bob+tag@example.org ", "user@[192.0.2.1]",
                                  "<alice@example.net"])
def test_whole_addresses_and_message_ids_are_exact(term):
    assert search_mode(term) == "exact"


@pytest.mark.parametrize("term", ["alice", "@example.net", "alice@", "example.net", "a b@example.net",
                                  "a@b@c", "<<alice@example.net>>"])
def test_partial_terms_are_substring_searches(term):
    assert search_mode(term) == "substring"


def test_no_term_is_no_search():
    assert search_mode(None) is None and search_mode("") is None


def test_exact_terms_lower_the_address_and_spell_the_message_id_both_ways():
    assert exact_terms(" <Ab.C@Host.Example> ") == {"address": "ab.c@host.example", "bare_id": "Ab.C@Host.Example",
                                                    "bracketed_id": "<Ab.C@Host.Example>"}
