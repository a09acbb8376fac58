"""Accounts' API tokens: one named token per client, with an optional expiry."""
