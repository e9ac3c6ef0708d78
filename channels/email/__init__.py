"""The e-mail channel: RFC 822 bytes in (files, and later IMAP and SMTP/LMTP), SMTP out."""
