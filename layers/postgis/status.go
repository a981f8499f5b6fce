package postgis

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/layers"
)

// Open connects to url (a postgres:// URL or key=value string) and checks
// that the database answers. Unlike Connect it changes nothing in the
// database: it is what `onemap serve --db URL` starts with, and it works
// with a role that may only read.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgis: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgis: connect: %w", err)
	}
	return pool, nil
}

// Status is what a database holds of onemap's own tables in the current
// schema, found without writing anything.
type Status struct {
	// Schema is the current schema (the first of the search path that exists).
	Schema string
	// Present and Missing list onemap's tables (OwnTables) found and not.
	Present, Missing []string
	// Triggers reports whether every layer table has its change trigger.
	Triggers bool
	// Writable reports whether the role may insert into the scenarios table.
	Writable bool
	// PostGIS is the postgis extension's version ("" when not installed).
	PostGIS string
	// WALLevel is the server's wal_level (logical replication needs "logical").
	WALLevel string
}

// Initialised reports whether every one of onemap's tables is present, so
// that Read and the trigger-driven Sync may run.
func (s Status) Initialised() bool { return len(s.Missing) == 0 && len(s.Present) > 0 }

// Advice is the one-line message a server logs about onemap's tables:
// what is missing and which command adds it.
func (s Status) Advice() string {
	switch {
	case s.Initialised() && s.Triggers:
		return "onemap's tables are in place"
	case len(s.Present) == 0:
		return fmt.Sprintf("onemap's own tables are not in schema %q: serving the database's tables read-only; "+
			"`onemap init --db URL` creates them (thematic layers, scenarios, change triggers), `onemap load --db URL` also fills them with the demo district", s.Schema)
	case len(s.Missing) > 0:
		return fmt.Sprintf("onemap's tables in schema %q are incomplete (missing %s): they are not read; `onemap init --db URL` adds them",
			s.Schema, strings.Join(s.Missing, ", "))
	}
	return "onemap's change triggers are missing on some layer tables: live edits of them are not followed; `onemap init --db URL` installs them"
}

// OwnTables lists the tables Migrate creates: one per source layer, the
// district row and the models' non-spatial tables. (Migrate also creates
// the scenarios table; it is optional: without it, or without the right to
// insert into it, scenarios are kept in memory.)
func OwnTables() []string {
	out := []string{"onemap_district", "grid_ages", "grid_groups", "grid_births", "school_catchments",
		"school_enrolment", "housing_projects"}
	for _, s := range layers.SourceSchemas(layers.OwnerPostGIS, false) {
		out = append(out, s.Name)
	}
	sort.Strings(out)
	return out
}

// Inspect reports what the database holds of onemap's tables. It only reads.
func Inspect(ctx context.Context, q querier) (Status, error) {
	var st Status
	rows, err := q.Query(ctx, `SELECT current_schema(),
		coalesce((SELECT extversion FROM pg_extension WHERE extname = 'postgis'), ''),
		current_setting('wal_level')`)
	if err != nil {
		return st, fmt.Errorf("postgis: inspect: %w", err)
	}
	for rows.Next() {
		var schema *string
		if err := rows.Scan(&schema, &st.PostGIS, &st.WALLevel); err != nil {
			rows.Close()
			return st, fmt.Errorf("postgis: inspect: %w", err)
		}
		if schema != nil {
			st.Schema = *schema
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("postgis: inspect: %w", err)
	}
	own := OwnTables()
	rows, err = q.Query(ctx, `SELECT c.relname,
		c.relname <> ALL($3) OR EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'onemap_notify'),
		c.relname = 'scenarios' AND has_table_privilege(c.oid, 'INSERT')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relname = ANY($2 || '{scenarios}'::text[]) AND c.relkind IN ('r', 'p')`, st.Schema, own, thematicNames())
	if err != nil {
		return st, fmt.Errorf("postgis: inspect: %w", err)
	}
	found := map[string]bool{}
	st.Triggers = true
	for rows.Next() {
		var name string
		var trig, ins bool
		if err := rows.Scan(&name, &trig, &ins); err != nil {
			rows.Close()
			return st, fmt.Errorf("postgis: inspect: %w", err)
		}
		if name == "scenarios" {
			st.Writable = ins
			continue
		}
		found[name] = true
		st.Triggers = st.Triggers && trig
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("postgis: inspect: %w", err)
	}
	for _, t := range own {
		if found[t] {
			st.Present = append(st.Present, t)
		} else {
			st.Missing = append(st.Missing, t)
		}
	}
	if len(st.Present) == 0 {
		st.Triggers = false
	}
	return st, nil
}

func thematicNames() []string {
	var out []string
	for _, s := range layers.SourceSchemas(layers.OwnerPostGIS, false) {
		out = append(out, s.Name)
	}
	return out
}
