"""Satisfaction surveys (CSAT): planned when a ticket is resolved, sent after a delay through the
ticket's channel, cancelled if it reopens, answered once."""
