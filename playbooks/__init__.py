"""Playbooks: the script handbook per scenario (客户沟通话术手册) as versioned YAML files.

This package owns the file format, loading, validation, reply rendering and tone rules. The core
(``hub/``) never imports it: it reaches a loaded library through ``hub.ports.PlaybookCatalogue``,
which :class:`playbooks.catalogue.Catalogue` implements and ``web/runtime.py`` wires in.
"""
