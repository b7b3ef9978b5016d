-- Sign-in sessions and pairing lifetimes on the boot clock (appliance/clock.py), as poll
-- countdowns and lockouts are since 0011: the wall-clock columns stay (for the record, and to
-- judge a moment from before a reboot); the boot-clock columns, read only within the boot named
-- beside them, decide. A wall clock stepped forward an hour no longer ends every session (idle
-- 2 h, so a +2 h step signed the whole room out) nor expires a pairing QR code shown a minute
-- ago; one stepped back no longer keeps them alive an hour longer.
ALTER TABLE sessions ADD COLUMN boot_id TEXT;
ALTER TABLE sessions ADD COLUMN created_boot REAL;
ALTER TABLE sessions ADD COLUMN last_seen_boot REAL;

ALTER TABLE pairing_invites ADD COLUMN expires_boot_id TEXT;
ALTER TABLE pairing_invites ADD COLUMN expires_boot REAL;

ALTER TABLE pairing_requests ADD COLUMN expires_boot_id TEXT;
ALTER TABLE pairing_requests ADD COLUMN expires_boot REAL;
