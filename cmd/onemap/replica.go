package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers/postgis"
)

// openReplica connects to PostGIS and reads the district. Without a
// primary, url is one database for everything. With one, url is a
// streaming standby: the district (the bulk of start-up) is read from it,
// and the returned pool is the primary's, for migrations, writes and the
// live sync. A standby delivers no NOTIFY, so LISTEN must be on the
// primary; the sync's re-reads of changed rows go there too, which keeps a
// lagging standby from hiding a change it was told about. The sync's
// first resync after LISTEN replaces whatever the standby's snapshot
// lacked, so every replica converges on the primary's state.
func openReplica(ctx context.Context, url, primary string, log *slog.Logger) (*pgxpool.Pool, *data.District, error) {
	if primary == "" {
		pool, err := postgis.Connect(ctx, url)
		if err != nil {
			return nil, nil, err
		}
		d, err := postgis.Read(ctx, pool)
		if err != nil {
			pool.Close()
			return nil, nil, err
		}
		return pool, d, nil
	}
	pool, err := postgis.Connect(ctx, primary) // migrates the primary; the standby follows
	if err != nil {
		return nil, nil, fmt.Errorf("primary: %w", err)
	}
	standby, err := pgxpool.New(ctx, url)
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("standby: %w", err)
	}
	defer standby.Close()
	var inRecovery bool
	if err := standby.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("standby: %w", err)
	}
	if !inRecovery {
		log.Warn("--db is not a standby (pg_is_in_recovery() is false); reading from it anyway")
	}
	d, err := postgis.Read(ctx, standby)
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("standby: %w", err)
	}
	log.Info("district read from the standby; writes and change capture on the primary")
	return pool, d, nil
}
