-- The API's clients, the dossier codes it hands out, what a station may
-- record about the citizen, page warnings, and the feed of ready dossiers
-- the downstream workflow pages through.

CREATE TABLE api_tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    role       text NOT NULL CHECK (role IN ('operator', 'workflow', 'auditor', 'admin')),
    office     text NOT NULL DEFAULT '',
    -- SHA-256 of the token: the token itself is shown once and kept nowhere.
    hash       text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- Dossier codes are OFFICE-YYMMDD-NNNN, numbered per office and day.
CREATE TABLE code_counters (
    office text NOT NULL,
    day    date NOT NULL,
    n      integer NOT NULL,
    PRIMARY KEY (office, day)
);

ALTER TABLE dossiers
    ADD COLUMN citizen_id text NOT NULL DEFAULT '',
    ADD COLUMN receipt_no text NOT NULL DEFAULT '';

ALTER TABLE pages
    ADD COLUMN warnings jsonb NOT NULL DEFAULT '[]';

-- A dossier enters the feed when it is signed. Rows are numbered under a
-- transaction-scoped advisory lock, so they commit in number order and a
-- reader paging by number never skips one committed late.
CREATE TABLE ready_feed (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id bigint NOT NULL UNIQUE REFERENCES dossiers (id),
    at         timestamptz NOT NULL DEFAULT now()
);

-- A page deleted before submission stays, marked removed, because the
-- trail refers to it; it keeps the position it had, and frees that
-- position and its scan for the pages that are still in.
ALTER TABLE pages ADD COLUMN removed boolean NOT NULL DEFAULT false;
ALTER TABLE pages DROP CONSTRAINT pages_dossier_id_position_key;
ALTER TABLE pages DROP CONSTRAINT pages_dossier_id_sha256_key;
CREATE UNIQUE INDEX pages_position ON pages (dossier_id, position) WHERE NOT removed;
CREATE UNIQUE INDEX pages_sha256 ON pages (dossier_id, sha256) WHERE NOT removed;
