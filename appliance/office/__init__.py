"""The digital office (数字办公): circulation with read receipts, drafts for comment, sign-off
of outgoing documents with their numbers, and the archive with Chinese full-text search.

Domain modules here take the store and a person and return rows; the views and the API are
thin layers over them, and the pure rules live in appliance/rules/signoff.py and numbering.py.
"""

OFFICE_ROLES = ("staff", "secretary", "admin")
