-- Uploads a station was given a URL for and has not confirmed yet: they
-- wait in staging (not among the write-once originals), count against
-- their office's quota and expire. And how many pages (TIFF frames, PDF
-- pages) each uploaded file holds, which a dossier's limit counts.

CREATE TABLE uploads (
    dossier_id  bigint NOT NULL REFERENCES dossiers (id),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    office      text NOT NULL,
    size        bigint NOT NULL CHECK (size > 0),
    reserved_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dossier_id, sha256)
);
CREATE INDEX uploads_office ON uploads (office, reserved_at);

ALTER TABLE pages
    ADD COLUMN frames integer NOT NULL DEFAULT 1 CHECK (frames >= 1);
