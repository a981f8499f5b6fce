package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/config"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/web"
	"github.com/paulmach/orb"
)

// openUserDB serves a PostGIS database read-only: onemap's own tables when
// `onemap init` made them (followed live by their triggers), every layer
// onemap.toml names, and every other readable table or view with a
// geometry (followed by polling). It writes nothing to the database.
func openUserDB(ctx context.Context, cfg *serveConfig, file *config.File, a *app, log *slog.Logger) (*data.District, error) {
	start := time.Now()
	pool, err := postgis.Open(ctx, cfg.db)
	if err != nil {
		return nil, err
	}
	// primary takes the writes, the LISTEN and the re-reads of changes;
	// pool (a standby when --db-primary is given) the start-up reads.
	primary, err := openPrimary(ctx, pool, cfg.dbPrimary, log)
	if err != nil {
		pool.Close()
		return nil, err
	}
	fail := func(err error) (*data.District, error) {
		if primary != pool {
			primary.Close()
		}
		pool.Close()
		return nil, err
	}
	st, err := postgis.Inspect(ctx, primary)
	if err != nil {
		return fail(err)
	}
	if st.PostGIS == "" {
		return fail(fmt.Errorf("postgis: the database has no postgis extension (CREATE EXTENSION postgis, as its owner)"))
	}
	if st.Initialised() && st.Triggers {
		log.Info(st.Advice(), "schema", st.Schema)
	} else {
		log.Warn(st.Advice(), "schema", st.Schema)
	}
	d := &data.District{}
	if st.Initialised() {
		if d, err = postgis.Read(ctx, pool); err != nil {
			return fail(err)
		}
		for _, s := range layers.SourceSchemas(layers.OwnerPostGIS, d.Synthetic) {
			if s.Name == layers.Roads && len(d.Layers[s.Name]) == 0 {
				continue // no roads: dispatch answers 503 (see capabilityGaps)
			}
			if _, err := a.catalog.Put(s, d.Layers[s.Name]); err != nil {
				return fail(err)
			}
		}
	}
	skip := map[string]bool{}
	if st.Initialised() {
		for _, t := range postgis.OwnTables() {
			skip[st.Schema+"."+t] = true
		}
	}
	if len(file.Layers) == 0 {
		// No layers configured: an osm2pgsql import is served with the
		// built-in profile (its raw tables are not also published).
		osmFile, used, err := config.DetectOSM2pgsql(ctx, pool)
		if err != nil {
			return fail(err)
		}
		if osmFile != nil {
			log.Info("osm2pgsql tables found: serving them with the built-in osm2pgsql profile", "tables", strings.Join(used, ", "))
			osmFile.PostGIS = file.PostGIS
			file = osmFile
			for _, t := range used {
				skip[t] = true
			}
		}
	}
	if file.PostGIS.Schemas == nil && cfg.schemas != "" {
		file.PostGIS.Schemas = splitList(cfg.schemas)
	}
	plan, err := config.Build(ctx, pool, file, skip, log)
	if err != nil {
		return fail(err)
	}
	if st.Initialised() {
		// One writer per layer: a role's layer is the user's table, and
		// onemap's table of the same name (followed by the sync) may not
		// also write it.
		for _, s := range plan.Sources {
			if _, own := a.catalog.Layer(s.Schema.Name); own && s.Configured {
				return fail(&config.Error{Layer: s.Schema.Name, Table: s.Origin,
					Msg: fmt.Sprintf("onemap's own %s table in schema %q also fills this layer: one writer per layer — drop the role here, or serve from a schema without onemap's tables", s.Schema.Name, st.Schema)})
			}
		}
	}
	published, err := postgis.Publish(ctx, pool, a.catalog, plan.Sources, log)
	if err != nil {
		return fail(err)
	}
	completeHierarchy(a.catalog)
	log.Info("PostGIS read", "layers", len(a.catalog.Names()), "published", len(published), "ms", time.Since(start).Milliseconds())

	editor := layers.Editor(readOnly{})
	interval, _ := file.PollInterval()
	poller := postgis.NewPoller(primary, a.catalog, published, interval, file.PollRows(), log)
	sctx, cancel := context.WithCancel(ctx)
	var waits []chan struct{}
	if st.Initialised() && st.Triggers {
		sync := postgis.NewSync(primary, a.catalog, log)
		a.sync = sync
		editor = postgis.NewEditor(primary, a.catalog, sync)
		done := make(chan struct{})
		waits = append(waits, done)
		go func() {
			defer close(done)
			if err := sync.Run(sctx); err != nil {
				log.Error("live sync stopped", "err", err)
			}
		}()
	}
	a.editor = editor
	done := make(chan struct{})
	waits = append(waits, done)
	go func() { defer close(done); poller.Run(sctx) }()
	a.health["postgis"] = func() any {
		return map[string]any{
			"onemap_tables": map[string]any{"schema": st.Schema, "initialised": st.Initialised(), "missing": st.Missing, "advice": st.Advice()},
			"onemap_sync":   map[string]any{"mode": map[bool]string{true: "notify triggers", false: "off"}[st.Initialised() && st.Triggers]},
			"user_tables":   poller.Mode(),
			"wal_level":     st.WALLevel,
		}
	}
	if st.Initialised() && st.Writable {
		a.pool = primary // scenarios are kept in onemap's scenarios table
	} else {
		log.Info("scenarios kept in memory: the database has no writable onemap scenarios table (onemap init --db URL creates it)")
	}
	a.closers = append(a.closers, func() {
		cancel()
		for _, w := range waits {
			<-w
		}
		if primary != pool {
			primary.Close()
		}
		pool.Close()
	})
	return d, nil
}

// readOnly is the Editor of a database onemap may not write (no onemap
// tables, or a read-only role): a dispatcher's edit is refused, saying so,
// rather than applied in memory and undone by the next re-read.
type readOnly struct{}

func (readOnly) err(layer string) error {
	return fmt.Errorf("%w: %s comes from the database's own table, which onemap only reads (onemap init --db URL gives onemap tables it writes)", layers.ErrReadOnly, layer)
}

// Insert implements layers.Editor.
func (r readOnly) Insert(_ context.Context, layer string, _ orb.Geometry, _ map[string]any) (int64, uint64, error) {
	return 0, 0, r.err(layer)
}

// Update implements layers.Editor.
func (r readOnly) Update(_ context.Context, layer string, _ int64, _ map[string]any) (uint64, error) {
	return 0, r.err(layer)
}

// Delete implements layers.Editor.
func (r readOnly) Delete(_ context.Context, layer string, _ int64) (uint64, error) {
	return 0, r.err(layer)
}

// completeHierarchy puts the missing levels of the grid hierarchy as empty
// layers when some level is there, since the locator reads all four.
func completeHierarchy(c *layers.Catalog) {
	have := false
	for _, name := range spatial.AdminLayers() {
		if _, ok := c.Layer(name); ok {
			have = true
		}
	}
	if !have {
		return
	}
	for _, s := range layers.ThematicSchemas(false) {
		for _, name := range spatial.AdminLayers() {
			if s.Name == name {
				if _, ok := c.Layer(name); !ok {
					c.Put(s, nil)
				}
			}
		}
	}
}

// capabilityGaps are the routes that answer 503 with the reason when the
// data they stand on is absent: dispatch without roads, locate and stats
// without a grid hierarchy are answered by their own handlers.
func capabilityGaps(c *layers.Catalog, graphPresent bool) []web.Registrar {
	if graphPresent {
		return nil
	}
	if l, ok := c.Layer(layers.Roads); ok && l.Snapshot().Len() > 0 {
		return nil
	}
	return []web.Registrar{web.Unavailable{
		Reason: "no roads: dispatch, isochrones and coverage need a roads layer (a table with role = \"roads\" in onemap.toml, or onemap's roads table)",
		Routes: []string{"GET /api/dispatch/nearest", "GET /api/isochrone", "GET /api/coverage", "GET /api/network/closures",
			"POST /api/network/closures", "DELETE /api/network/closures/{id}", "PUT /api/units/{id}/status"},
	}}
}

// splitList splits a comma-separated flag value, dropping empty parts.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
