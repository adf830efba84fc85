-- The metadata's summary (document types, the people named and what the
-- register said of each, the reconciliation's state) is kept with the
-- dossier, so that the webhook events written in a move's or a
-- reconciliation's transaction carry it as it then stands; and a dossier
-- already announced ready whose reconciliation was pending announces it
-- once the register has answered.

ALTER TABLE dossiers ADD COLUMN metadata_summary jsonb;

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('dossier.ready', 'dossier.failed', 'dossier.reconciled'));
