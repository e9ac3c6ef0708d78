"""Tickets: replies, notes, fields, assignment, escalation, reply windows, what a ticket page shows."""
