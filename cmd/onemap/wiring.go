package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/models/dispatch"
	"github.com/onemap/onemap/models/scenario"
	"github.com/onemap/onemap/models/school"
	"github.com/onemap/onemap/spatial/network"
	"github.com/onemap/onemap/tiles"
	"github.com/onemap/onemap/web"
)

// tileCacheBytes is the tile cache's budget (raw and gzipped tiles).
const tileCacheBytes = 256 << 20

// openPostGIS reads the district from PostGIS into a's catalog and follows
// the database's edits until the app closes.
func openPostGIS(ctx context.Context, url string, a *app, log *slog.Logger) (*data.District, error) {
	start := time.Now()
	pool, err := postgis.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	d, err := postgis.Read(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	d.Put(a.catalog)
	log.Info("district read from PostGIS", "ms", time.Since(start).Milliseconds())
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := postgis.NewSync(pool, a.catalog, log).Run(sctx); err != nil {
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
	d.Put(a.catalog)
	a.graph = g
	log.Info("OSM extract loaded", "path", path, "nodes", g.Nodes())
	return d, nil
}

// buildRoutes makes every capability's routes over the loaded catalog.
func buildRoutes(ctx context.Context, a *app, d *data.District, cfg *serveConfig, log *slog.Logger) ([]web.Registrar, error) {
	cache := tiles.NewCache(tileCacheBytes, tiles.DefaultOptions())
	routes := []web.Registrar{
		web.NewFeatures(a.catalog, "onemap"),
		web.NewAPI(a.catalog, web.APIConfig{BasemapURL: cfg.basemap}),
		web.NewTiles(a.catalog, cache),
		web.NewPage(a.catalog, web.PageConfig{BasemapURL: cfg.basemap}),
	}
	a.collectors = append(a.collectors, cache)

	if _, ok := a.catalog.Layer(layers.Roads); ok {
		desk, err := dispatch.New(a.catalog, a.graph, dispatch.Config{}, log)
		if err != nil {
			return nil, fmt.Errorf("dispatch: %w", err)
		}
		routes = append(routes, web.NewDispatch(desk))
	}

	var store scenario.Store = scenario.NewMemory()
	if a.pool != nil {
		ps, err := scenario.NewPostGIS(ctx, a.pool)
		if err != nil {
			return nil, fmt.Errorf("scenarios: %w", err)
		}
		store = ps
	}
	svc := scenario.NewService(store, nil)
	if len(d.Catchments) > 0 {
		in, err := school.FromDistrict(d, school.DefaultPolicy())
		if err != nil {
			return nil, fmt.Errorf("school model: %w", err)
		}
		baseline := func(context.Context) (*school.Input, error) { return in, nil }
		sch := web.NewSchool(baseline, svc, a.catalog)
		// The page colours catchments by pressure three years ahead (the
		// horizon of Futian's warnings) until a planner picks another.
		if _, _, err := sch.PutLayer(ctx, "", in.Year+3); err != nil {
			return nil, fmt.Errorf("school_pressure layer: %w", err)
		}
		routes = append(routes, sch)
	}
	return routes, nil
}

// connect opens a PostGIS pool with onemap's schema in place.
func connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	if url == "" {
		return nil, usagef("--db URL (or ONEMAP_DB) is required")
	}
	return postgis.Connect(ctx, url)
}
