package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/config"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/spatial/network"
	"github.com/onemap/onemap/web"
)

// serveConfig is everything `onemap serve` is configured with.
type serveConfig struct {
	addr, db, osm, tokens, basemap string
	config, schemas                string
	dbPrimary                      string // writes and change capture, when db is a standby
	logLevel, logFormat            string
	seed                           int64
}

func serveFlags(fs *flag.FlagSet) *serveConfig {
	c := &serveConfig{}
	fs.StringVar(&c.addr, "addr", envOr("ONEMAP_ADDR", "127.0.0.1:8080"), "listen address (ONEMAP_ADDR)")
	fs.StringVar(&c.db, "db", envOr("ONEMAP_DB", ""), "PostGIS URL to serve from and follow live (ONEMAP_DB); empty serves the embedded demo district")
	fs.StringVar(&c.dbPrimary, "db-primary", envOr("ONEMAP_DB_PRIMARY", ""), "with --db a streaming standby: the primary's URL, for writes, migrations and change capture (LISTEN/NOTIFY runs on the primary only) (ONEMAP_DB_PRIMARY)")
	fs.StringVar(&c.osm, "osm", envOr("ONEMAP_OSM", ""), "serve an OSM extract (.osm.pbf) directly (ONEMAP_OSM)")
	fs.StringVar(&c.config, "config", envOr("ONEMAP_CONFIG", ""), "onemap.toml naming the layers, their columns and roles, for --db (ONEMAP_CONFIG); see README")
	fs.StringVar(&c.schemas, "schemas", envOr("ONEMAP_SCHEMAS", ""), "schemas whose tables --db publishes, comma-separated; * for all (ONEMAP_SCHEMAS); default the search path")
	fs.StringVar(&c.tokens, "tokens", envOr("ONEMAP_TOKENS", ""), "bearer tokens for writes, token:role,... roles viewer|planner|dispatcher|admin (ONEMAP_TOKENS)")
	fs.StringVar(&c.basemap, "basemap", envOr("ONEMAP_BASEMAP_URL", ""), "optional external raster basemap URL template for networks that have one (ONEMAP_BASEMAP_URL)")
	fs.StringVar(&c.logLevel, "log-level", envOr("ONEMAP_LOG_LEVEL", "info"), "debug|info|warn|error (ONEMAP_LOG_LEVEL)")
	fs.StringVar(&c.logFormat, "log-format", envOr("ONEMAP_LOG_FORMAT", "text"), "text|json (ONEMAP_LOG_FORMAT)")
	fs.Int64Var(&c.seed, "seed", demo.DefaultSeed, "seed of the generated demo district")
	return c
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := serveFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if cfg.db != "" && cfg.osm != "" {
		return usagef("--db and --osm are alternatives: give one")
	}
	if cfg.config != "" && cfg.db == "" {
		return usagef("--config describes the tables of a database: give --db too")
	}
	if cfg.dbPrimary != "" && cfg.db == "" {
		return usagef("--db-primary needs --db (the standby to read from)")
	}
	log, err := newLogger(stderr, cfg.logLevel, cfg.logFormat)
	if err != nil {
		return err
	}
	tokens, err := web.ParseTokens(cfg.tokens)
	if err != nil {
		return usagef("--tokens: %v", err)
	}
	if len(tokens) == 0 {
		log.Warn("no tokens configured (ONEMAP_TOKENS): every write endpoint will answer 401")
	}
	app, err := newApp(ctx, cfg, tokens, log)
	var ce *config.Error
	if errors.As(err, &ce) {
		return usageError{ce.Error()} // a mistake in onemap.toml: exit 2
	}
	if err != nil {
		return err
	}
	defer app.close()
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: app.handler, ReadHeaderTimeout: 10 * time.Second}
	log.Info("onemap serving", "url", "http://"+ln.Addr().String()+"/", "source", app.source, "layers", len(app.catalog.Names()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// app is a running server's parts.
type app struct {
	catalog    *layers.Catalog
	handler    http.Handler
	source     string
	pool       *pgxpool.Pool  // set when serving from PostGIS
	graph      *network.Graph // set when serving an OSM extract; else built from roads
	editor     layers.Editor  // where dispatchers' state is written: the source's store
	sync       *postgis.Sync  // set when serving from PostGIS
	collectors []prometheus.Collector
	closers    []func()
	health     map[string]func() any // extra /healthz entries
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// newApp loads the source into a catalog and builds every route over it.
func newApp(ctx context.Context, cfg *serveConfig, tokens web.Tokens, log *slog.Logger) (*app, error) {
	a := &app{catalog: layers.NewCatalog(), health: map[string]func() any{}}
	var d *data.District
	switch {
	case cfg.db != "":
		file := &config.File{}
		if cfg.config != "" {
			var err error
			if file, err = config.Load(cfg.config); err != nil {
				return nil, err
			}
		}
		var err error
		d, err = openUserDB(ctx, cfg, file, a, log)
		if err != nil {
			return nil, err
		}
		a.source = "postgis"
	case cfg.osm != "":
		var err error
		d, err = openOSM(ctx, cfg.osm, a, log)
		if err != nil {
			return nil, err
		}
		a.source = "osm:" + cfg.osm
	default:
		start := time.Now()
		d = demo.Generate(demo.Options{Seed: cfg.seed})
		if err := d.Put(a.catalog, layers.OwnerDemo); err != nil {
			return nil, err
		}
		a.editor = layers.Memory{Catalog: a.catalog, Owner: layers.OwnerDemo}
		a.source = "demo"
		log.Info("demo district generated", "seed", cfg.seed, "ms", time.Since(start).Milliseconds())
	}
	routes, collectors, err := web.Routes(ctx, web.RoutesConfig{Catalog: a.catalog, District: d, Graph: a.graph,
		Editor: a.editor, Pool: a.pool, BasemapURL: cfg.basemap, Log: log})
	if err != nil {
		a.close()
		return nil, err
	}
	routes = append(routes, capabilityGaps(a.catalog, a.graph != nil)...)
	a.collectors = append(a.collectors, collectors...)
	reg := prometheus.NewRegistry()
	reg.MustRegister(a.collectors...)
	a.handler = web.NewApp(web.AppConfig{Catalog: a.catalog, Tokens: tokens, Log: log, Registry: reg, Routes: routes,
		Health: func() map[string]any {
			out := map[string]any{}
			for k, f := range a.health {
				out[k] = f()
			}
			return out
		}})
	return a, nil
}
