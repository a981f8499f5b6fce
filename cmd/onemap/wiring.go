package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/spatial/network"
)

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
