-- What extraction read off a dossier and what the population register said
-- about it: where the metadata document is kept, whether the register has
-- answered (a register that is down leaves the dossier pending, asked again
-- after reconcile_after), and the citizens' numbers the documents name, which
-- the workflow's listing filters by.

ALTER TABLE dossiers
    ADD COLUMN metadata_key      text NOT NULL DEFAULT '',
    ADD COLUMN reconcile_status  text NOT NULL DEFAULT ''
        CHECK (reconcile_status IN ('', 'reconciled', 'pending', 'refused', 'nothing_to_check')),
    ADD COLUMN reconcile_tries   integer NOT NULL DEFAULT 0,
    ADD COLUMN reconcile_after   timestamptz;

CREATE INDEX dossiers_reconcile_due ON dossiers (reconcile_after)
    WHERE reconcile_status = 'pending';

CREATE TABLE dossier_citizens (
    dossier_id bigint NOT NULL REFERENCES dossiers (id),
    number     text NOT NULL CHECK (number ~ '^([0-9]{9}|[0-9]{12})$'),
    role       text NOT NULL,
    PRIMARY KEY (dossier_id, number, role)
);
CREATE INDEX dossier_citizens_number ON dossier_citizens (number);
