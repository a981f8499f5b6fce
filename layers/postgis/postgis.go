// Package postgis is onemap's PostGIS source: it creates onemap's tables
// (SchemaSQL), writes a whole district into them with COPY, reads it
// back as typed features, and keeps a layer catalog following the
// database live through the tables' NOTIFY triggers.
//
// Geometry travels as binary WKB (orb's encoding/wkb) in SRID 4326.
package postgis

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/data"
)

// Migrate creates onemap's tables, indexes and sync triggers if absent, and
// adds the columns of fields new to a layer schema. It is idempotent, and
// concurrent migrations of one database wait for each other.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgis: migrate: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext('onemap.migrate'))"); err != nil {
		return fmt.Errorf("postgis: migrate: lock: %w", err)
	}
	// No arguments: the simple protocol runs the whole multi-statement script.
	if _, err := tx.Exec(ctx, SchemaSQL()); err != nil {
		return fmt.Errorf("postgis: migrate: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgis: migrate: commit: %w", err)
	}
	return nil
}

// Connect opens a pool on url (a postgres:// URL or key=value string),
// checks that the database answers, and migrates it. It is what
// `onemap serve --db URL` and `onemap load --db URL` start with.
func Connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgis: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgis: connect: %w", err)
	}
	if err := Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// Load connects to url, migrates, and replaces the tables' content with d:
// the whole of `onemap load --db URL`.
func Load(ctx context.Context, url string, d *data.District) error {
	return LoadProgress(ctx, url, d, nil)
}

// LoadProgress is Load telling progress how the COPY advances.
func LoadProgress(ctx context.Context, url string, d *data.District, progress Progress) error {
	pool, err := Connect(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	return WriteProgress(ctx, pool, d, progress)
}
