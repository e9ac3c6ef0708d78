"""The e-mail channel: RFC 822 bytes in, SMTP out.

``parse`` (bytes -> a client's message, a bounce, or our own mail; with ``charsets``,
``headers``, ``quotes``, ``htmltext``, ``loops``, ``bounces``, ``ids``), ``ingest`` (one mail into
the hub: dedupe across mailboxes, bounces applied, acknowledgements), ``sources`` and ``importer``
(``hub ingest email``: .eml, Maildir, mbox), ``sender`` and ``smtp`` (replies through the
outbox), ``notify`` (staff notification mails), ``config`` (a mailbox channel's settings).
IMAP watching and the SMTP/LMTP listener will feed the same ``ingest``.
"""
