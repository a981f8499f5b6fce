-- onemap's PostGIS schema: the parts that do not follow from a layer schema.
--
-- The table of every thematic layer (id, geom, one column per field,
-- updated_at, a GiST index and the two triggers below) is generated from
-- layers.ThematicSchemas by data.SchemaSQL and follows this file, so the
-- columns cannot drift from the fields. Everything here is idempotent:
-- running it again changes nothing.
--
-- Geometries are WGS84 lon/lat (SRID 4326).

CREATE EXTENSION IF NOT EXISTS postgis;

-- The district as a whole: one row.
CREATE TABLE IF NOT EXISTS onemap_district (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    name       text        NOT NULL DEFAULT '',
    name_en    text        NOT NULL DEFAULT '',
    synthetic  boolean     NOT NULL DEFAULT false,
    year       integer     NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Population of one single year of age (0-17) in one grid.
CREATE TABLE IF NOT EXISTS grid_ages (
    grid      text    NOT NULL,
    age       integer NOT NULL CHECK (age >= 0),
    residents integer NOT NULL,
    floating  integer NOT NULL,
    PRIMARY KEY (grid, age)
);

-- A grid's population groups for the demand-by-standard models.
CREATE TABLE IF NOT EXISTS grid_groups (
    grid         text PRIMARY KEY,
    aged_60_plus integer NOT NULL,
    working_age  integer NOT NULL,
    dwellings    integer NOT NULL,
    jobs         integer NOT NULL
);

-- Births recorded in one grid in one year.
CREATE TABLE IF NOT EXISTS grid_births (
    grid   text    NOT NULL,
    year   integer NOT NULL,
    births integer NOT NULL,
    PRIMARY KEY (grid, year)
);

-- A school catchment: the school it feeds and the grids it covers.
CREATE TABLE IF NOT EXISTS school_catchments (
    code      text PRIMARY KEY,
    school_id bigint NOT NULL,
    level     text   NOT NULL,
    grids     text[]
);

-- Pupils of one grade of one school in one year.
CREATE TABLE IF NOT EXISTS school_enrolment (
    school_id bigint  NOT NULL,
    year      integer NOT NULL,
    grade     integer NOT NULL,
    pupils    integer NOT NULL,
    PRIMARY KEY (school_id, year, grade)
);

-- Planned or recent housing developments; dwellings by type as a JSON object
-- ({"commodity": n, "affordable": n, "rental": n}).
CREATE TABLE IF NOT EXISTS housing_projects (
    id              bigint PRIMARY KEY,
    name            text    NOT NULL,
    grid            text    NOT NULL,
    dwellings       jsonb,
    completion_year integer NOT NULL,
    geom            geometry(Point, 4326) NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS housing_projects_geom_idx ON housing_projects USING gist (geom);

-- Planners' what-if scenarios (models/scenario keeps them; the same DDL
-- is there, so a store over an older database creates the table itself).
CREATE TABLE IF NOT EXISTS scenarios (
	id          text PRIMARY KEY,
	model       text NOT NULL,
	name        text NOT NULL,
	description text NOT NULL DEFAULT '',
	changes     jsonb NOT NULL,
	created     timestamptz NOT NULL DEFAULT now(),
	UNIQUE (model, name)
);

-- Keeps updated_at current on every update of a layer row.
CREATE OR REPLACE FUNCTION onemap_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

-- Tells listeners on channel onemap_changes which row of which layer table
-- changed: {"schema": ..., "table": ..., "op": "insert"|"update"|"delete", "id": ...}.
-- An update that changes the id also reports the old id as deleted. Bulk
-- loads set onemap.bulk = 'on' for their transaction (the trigger's WHEN
-- clause then skips it) and send one {"op": "reload"} per table instead.
CREATE OR REPLACE FUNCTION onemap_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('onemap_changes', json_build_object(
            'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'op', 'delete', 'id', OLD.id)::text);
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id THEN
        PERFORM pg_notify('onemap_changes', json_build_object(
            'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'op', 'delete', 'id', OLD.id)::text);
    END IF;
    PERFORM pg_notify('onemap_changes', json_build_object(
        'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'op', lower(TG_OP), 'id', NEW.id)::text);
    RETURN NULL;
END
$$;
