"""Replies out: the outbox, delivery through the channel kinds' senders, delivery reports."""
