"""Documents: files kept inside the encrypted store, their versions, who may read them.

Meeting materials, circulated documents, drafts and outgoing documents are all `documents`.
Bytes are stored in 256 KiB chunks and streamed out. A PDF is parsed in a confined child
process before it is stored: active content (JavaScript, launch and submit actions, attachments,
media, XFA) is taken out, and a decompression bomb is refused; its search text is
extracted afterwards by a text job, off the request thread. A replacement is a new version (the
old one stays in history). Who may read a document is a grant per person; areas grant and revoke
(publishing, recall). Staff read every unclassified document; a classified one only with a
grant, and every view is audited.
"""
