-- The event log becomes a hash-chained audit trail, one chain per dossier:
-- each event's hash covers the hash of the dossier's event before it and a
-- canonical form of its own content (see audit.go), and the dossier keeps
-- the head of its chain and its length. Editing, deleting or inserting an
-- event then breaks a link that 'sohoa audit verify' finds, even when done
-- by someone who can switch off the append-only triggers; deleting the
-- last events is caught by the head and length on the dossier.
--
-- Nothing is backfilled: events recorded before this migration have no
-- hash, and verification reports them as unhashed (there were none in
-- production when the trail was introduced).

ALTER TABLE events
    -- 'move' for a status change (from_status → to_status); anything else
    -- is an access that changes nothing (download-original, download-pdf,
    -- verify, read-trail, pickup), recorded with an empty to_status.
    ADD COLUMN action    text NOT NULL DEFAULT 'move' CHECK (action <> ''),
    ADD COLUMN prev_hash text,
    ADD COLUMN hash      text,
    ADD CONSTRAINT events_move_has_status CHECK ((action = 'move') = (to_status <> '')),
    -- NOT VALID: enforced on every event recorded from now on, not on the
    -- unhashed ones recorded before.
    ADD CONSTRAINT events_hashed CHECK (
        hash IS NOT NULL AND hash ~ '^[0-9a-f]{64}$'
        AND prev_hash IS NOT NULL AND (prev_hash = '' OR prev_hash ~ '^[0-9a-f]{64}$')) NOT VALID;

ALTER TABLE dossiers
    ADD COLUMN trail_head text NOT NULL DEFAULT '',   -- hash of the dossier's last event
    ADD COLUMN trail_len  bigint NOT NULL DEFAULT 0;  -- events in its chain
