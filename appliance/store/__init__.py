"""The encrypted store: one SQLCipher file, its migrations, its key custody and the audit log."""

from appliance.store.db import Store, open_store

__all__ = ["Store", "open_store"]
