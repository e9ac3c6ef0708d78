"""Web chat: a widget on the customer's own site talks live to the team (see docs/webchat.md)."""
