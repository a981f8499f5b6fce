package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/spatial/network"
)

// openPostGIS reads the district from PostGIS into a's catalog and follows
// the database's edits until the app closes. With a primary, url is a
// streaming standby the district is read from, and the primary takes the
// writes and the change capture (see replica.go).
func openPostGIS(ctx context.Context, url, primary string, a *app, log *slog.Logger) (*data.District, error) {
	start := time.Now()
	pool, d, err := openReplica(ctx, url, primary, log)
	if err != nil {
		return nil, err
	}
	if err := d.Put(a.catalog, layers.OwnerPostGIS); err != nil {
		pool.Close()
		return nil, err
	}
	log.Info("district read from PostGIS", "ms", time.Since(start).Milliseconds())
	sync := postgis.NewSync(pool, a.catalog, log)
	a.editor = postgis.NewEditor(pool, a.catalog, sync)
	a.sync = sync
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := sync.Run(sctx); err != nil {
			log.Error("live sync stopped", "err", err)
		}
	}()
	a.pool = pool
	a.closers = append(a.closers, func() { cancel(); <-done; pool.Close() })
	return d, nil
}

// openOSM serves an OSM extract: its roads and facilities as layers, its
// road graph (with turn restrictions) for routing.
func openOSM(ctx context.Context, path string, a *app, log *slog.Logger) (*data.District, error) {
	d, g, err := network.LoadOSM(ctx, path, os.Stderr)
	if err != nil {
		return nil, err
	}
	if err := d.Put(a.catalog, layers.OwnerOSM); err != nil {
		return nil, err
	}
	a.editor = layers.Memory{Catalog: a.catalog, Owner: layers.OwnerOSM}
	a.graph = g
	log.Info("OSM extract loaded", "path", path, "nodes", g.Nodes())
	return d, nil
}

// connect opens a PostGIS pool with onemap's schema in place.
func connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	if url == "" {
		return nil, usagef("--db URL (or ONEMAP_DB) is required")
	}
	return postgis.Connect(ctx, url)
}
