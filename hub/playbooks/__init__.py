"""Playbooks running on tickets: which one is primary, its steps done or skipped, its form values,
and the resolve gate. The library itself (files, Jinja, tone rules) is reached through
``hub.ports.PlaybookCatalogue``."""
