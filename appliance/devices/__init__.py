"""People, devices and sessions: who someone is, which tablet they hold, and pairing it."""
