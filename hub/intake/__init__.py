"""Intake: every inbound message, one way in (store raw, then one engine decides and writes)."""
