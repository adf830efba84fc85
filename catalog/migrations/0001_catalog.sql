-- Dossiers, their pages, and the append-only event log of every state change.

CREATE TABLE dossiers (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code <> ''),
    procedure  text NOT NULL,
    office     text NOT NULL,
    status     text NOT NULL CHECK (status IN
        ('created', 'uploading', 'submitted', 'processing', 'assembled', 'signed', 'delivered', 'failed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One status column plus the stage that set it: a page is "uploaded" until a
-- stage marks it "processed" or "failed" (with error text).
CREATE TABLE pages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id   bigint NOT NULL REFERENCES dossiers (id),
    position     integer NOT NULL CHECK (position >= 1),
    original_key text NOT NULL,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size         bigint NOT NULL CHECK (size >= 0),
    stage        text NOT NULL DEFAULT 'upload',
    status       text NOT NULL DEFAULT 'uploaded' CHECK (status IN ('uploaded', 'processed', 'failed')),
    error        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dossier_id, position),
    -- A station that uploads the same scan twice must not double the page.
    UNIQUE (dossier_id, sha256)
);

CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id  bigint NOT NULL REFERENCES dossiers (id),
    page_id     bigint REFERENCES pages (id),
    actor       text NOT NULL,
    from_status text,
    to_status   text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX events_dossier ON events (dossier_id, id);

-- The log is evidence: refuse to rewrite it, whoever asks (the owner and
-- superusers bypass privileges, not triggers).
CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_no_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

REVOKE UPDATE, DELETE, TRUNCATE ON events FROM PUBLIC;
