package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onemap/onemap/layers/postgis"
)

// openPrimary returns the pool for writes and change capture. Without a
// primary URL it is db itself. With one, db is a streaming standby: the
// district (the bulk of start-up) is read from it, and the primary takes
// the writes, the scenarios and the live sync. A standby delivers no
// NOTIFY, so LISTEN must be on the primary; the sync's re-reads of changed
// rows go there too, which keeps a lagging standby from hiding a change it
// was told about, and the sync's first resync after LISTEN replaces
// whatever the standby's snapshot lacked, so every replica converges on
// the primary's rows.
func openPrimary(ctx context.Context, db *pgxpool.Pool, url string, log *slog.Logger) (*pgxpool.Pool, error) {
	if url == "" {
		return db, nil
	}
	var standby bool
	if err := db.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&standby); err != nil {
		return nil, fmt.Errorf("--db: %w", err)
	}
	if !standby {
		log.Warn("--db is not a standby (pg_is_in_recovery() is false): reading from it anyway")
	}
	p, err := postgis.Open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("--db-primary: %w", err)
	}
	var inRecovery bool
	if err := p.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil {
		p.Close()
		return nil, fmt.Errorf("--db-primary: %w", err)
	}
	if inRecovery {
		p.Close()
		return nil, fmt.Errorf("--db-primary: %s is a standby (in recovery): give the primary", url)
	}
	log.Info("reading from the standby; writes and change capture on the primary")
	return p, nil
}
