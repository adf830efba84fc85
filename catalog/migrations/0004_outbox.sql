-- The transactional outbox of webhook events for the downstream workflow
-- system, and one delivery row per event and receiver URL.
--
-- A dossier's move to signed or failed inserts its outbox row in the
-- transaction that makes the move: a move rolled back leaves no event, a
-- move committed always has one. The receivers are configured at the API
-- server, not known to the worker that makes the move, so a dispatcher
-- fans each event out into deliveries for the URLs it is configured with
-- (fanned_out_at), then claims the due ones, posts them and records the
-- outcome.

CREATE TABLE outbox (
    -- Assigned before the insert (the payload carries it), hence
    -- OVERRIDING SYSTEM VALUE in the insert.
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dossier_id    bigint NOT NULL REFERENCES dossiers (id),
    kind          text NOT NULL CHECK (kind IN ('dossier.ready', 'dossier.failed')),
    -- The exact body receivers get, signed as its text.
    payload       jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- When a dispatcher made its delivery rows; NULL until then.
    fanned_out_at timestamptz
);

-- The dispatcher's scan for events not yet fanned out.
CREATE INDEX outbox_to_fan_out ON outbox (id) WHERE fanned_out_at IS NULL;
CREATE INDEX outbox_dossier ON outbox (dossier_id, id);

CREATE TABLE webhook_deliveries (
    outbox_id       bigint NOT NULL REFERENCES outbox (id),
    url             text NOT NULL,
    -- Attempts started; also the claim's fencing token (see RetryDelivery).
    attempts        integer NOT NULL DEFAULT 0,
    -- When it is next due. A claim pushes it out by a lease, so that a
    -- dispatcher that dies mid-post hands the delivery to another.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    -- Set when the dispatcher gave up (its attempt cap); the row is kept.
    dead_at         timestamptz,
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (outbox_id, url)
);

-- The claim's scan: deliveries still to make, soonest first.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
