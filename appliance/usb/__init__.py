"""USB, the appliance's one door: export of archived minutes, import of incoming documents, backup."""
