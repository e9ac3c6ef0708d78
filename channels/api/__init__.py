"""The generic integration channel: JSON in over HTTP, signed webhooks out."""
