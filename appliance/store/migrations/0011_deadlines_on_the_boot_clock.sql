-- A poll's countdown on the boot clock (appliance/clock.py): closes_at stays the wall-clock
-- deadline (for the record, and to judge a deadline made before a reboot); closes_boot is the
-- same deadline on CLOCK_BOOTTIME of the boot named by closes_boot_id, which decides within
-- that boot, so a stepped wall clock neither ends nor extends an open poll.
ALTER TABLE polls ADD COLUMN closes_boot_id TEXT;
ALTER TABLE polls ADD COLUMN closes_boot REAL;

-- The same for a person's sign-in lockout (appliance/devices/people.py check_secret): a wall
-- clock stepped forward no longer lifts a lock early, nor one stepped back prolongs it.
ALTER TABLE people ADD COLUMN locked_boot_id TEXT;
ALTER TABLE people ADD COLUMN locked_boot REAL;
