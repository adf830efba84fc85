-- What the service needs beyond ingest: which queue a dossier's work goes
-- to, when it was submitted (the date its PDF carries, so that assembling
-- it again gives the same bytes), and where each stage left its result.

ALTER TABLE dossiers
    ADD COLUMN queue         text NOT NULL DEFAULT 'desk' CHECK (queue IN ('desk', 'bulk')),
    ADD COLUMN submitted_at  timestamptz,
    ADD COLUMN assembled_key text NOT NULL DEFAULT '',
    ADD COLUMN pdf_key       text NOT NULL DEFAULT '',
    ADD COLUMN pdf_sha256    text NOT NULL DEFAULT '';

ALTER TABLE pages
    ADD COLUMN result_key text NOT NULL DEFAULT '';

-- The reconciler's scan: dossiers with work still to do.
CREATE INDEX dossiers_unfinished ON dossiers (updated_at)
    WHERE status IN ('submitted', 'processing', 'assembled');
