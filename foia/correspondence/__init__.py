"""Correspondence: requests sent by e-mail and the agencies' replies filed on the right timeline.

- :mod:`.parse`   one raw message read into addresses, thread headers, body text and attachments
- :mod:`.read`    what a reply says: the suggested event, its dates, fee and reference (rules, with evidence)
- :mod:`.store`   the ``messages`` table, raw messages in the file store, review queue, broken addresses
- :mod:`.tokens`  each request's reply token (plus-address and subject tag)
- :mod:`.match`   which request a message belongs to, and why
- :mod:`.ingest`  one message in: stored once, matched, read, attachments filed as documents
- :mod:`.receive` where messages come from: an IMAP mailbox, a Maildir folder, an .eml file
"""
