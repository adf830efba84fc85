-- The register mirror: one row per citizen, as the province's export
-- gives them. Columns are the CSV's (see csv.go); codes and text as the
-- register holds them.
CREATE TABLE register.citizens (
    id                       text PRIMARY KEY CHECK (id ~ '^[0-9]{12}$'),
    legacy_id                text UNIQUE CHECK (legacy_id ~ '^[0-9]{9}$'),
    family_name              text NOT NULL,
    middle_name              text NOT NULL DEFAULT '',
    given_name               text NOT NULL,
    gender                   smallint NOT NULL DEFAULT 0 CHECK (gender IN (0, 1, 2)),
    birth                    text NOT NULL CHECK (birth ~ '^[0-9]{4}([0-9]{4})?$'),
    ethnicity                text NOT NULL DEFAULT '',
    religion                 text NOT NULL DEFAULT '',
    nationality              text NOT NULL DEFAULT '',
    birth_reg_province       text NOT NULL DEFAULT '',
    birth_reg_district       text NOT NULL DEFAULT '',
    birth_reg_ward           text NOT NULL DEFAULT '',
    birth_reg_detail         text NOT NULL DEFAULT '',
    home_province            text NOT NULL DEFAULT '',
    home_district            text NOT NULL DEFAULT '',
    home_ward                text NOT NULL DEFAULT '',
    home_detail              text NOT NULL DEFAULT '',
    permanent_province       text NOT NULL DEFAULT '',
    permanent_district       text NOT NULL DEFAULT '',
    permanent_ward           text NOT NULL DEFAULT '',
    permanent_detail         text NOT NULL DEFAULT '',
    current_province         text NOT NULL DEFAULT '',
    current_district         text NOT NULL DEFAULT '',
    current_ward             text NOT NULL DEFAULT '',
    current_detail           text NOT NULL DEFAULT '',
    father_id                text NOT NULL DEFAULT '',
    father_name              text NOT NULL DEFAULT '',
    mother_id                text NOT NULL DEFAULT '',
    mother_name              text NOT NULL DEFAULT '',
    spouse_id                text NOT NULL DEFAULT '',
    spouse_name              text NOT NULL DEFAULT '',
    representative_id        text NOT NULL DEFAULT '',
    representative_name      text NOT NULL DEFAULT '',
    head_id                  text NOT NULL DEFAULT '',
    head_name                text NOT NULL DEFAULT '',
    -- When the row was loaded or last changed by a load; a reload that
    -- changes nothing leaves it.
    changed_at               timestamptz NOT NULL DEFAULT now()
);
