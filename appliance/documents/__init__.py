"""Documents: files kept inside the encrypted store, their versions, who may read them.

Meeting materials, circulated documents, drafts and outgoing documents are all `documents`.
Bytes are stored in 256 KiB chunks and streamed out; text is extracted once at upload for
search; a replacement is a new version (the old one stays in history). Who may read a
document is a grant per person; areas grant and revoke (publishing, recall). Staff read
every unclassified document; a classified one only with a grant, and every view is audited.
"""
