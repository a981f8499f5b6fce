package web

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/live"
	"github.com/onemap/onemap/models/dispatch"
	"github.com/onemap/onemap/models/planning"
	"github.com/onemap/onemap/models/scenario"
	"github.com/onemap/onemap/models/school"
	"github.com/onemap/onemap/spatial/network"
	"github.com/onemap/onemap/tiles"
)

// RoutesConfig is what every capability of a server is built over.
type RoutesConfig struct {
	Catalog  *layers.Catalog
	District *data.District // the non-spatial tables the models use
	// Graph is the road network of an OSM extract; nil builds it from the
	// catalog's roads layer (and rebuilds it when roads change).
	Graph *network.Graph
	// Editor writes the state dispatchers set (team availability, road
	// closures) into the source's store; nil keeps it in the catalog.
	Editor layers.Editor
	// CORSOrigins are the origins allowed to call the OGC API from a
	// browser; nil allows any ("*"), empty none.
	CORSOrigins []string
	// Pool, when set, keeps scenarios in PostGIS; otherwise in memory.
	Pool       *pgxpool.Pool
	BasemapURL string
	// TileCacheBytes is the tile cache's budget (256 MiB when 0).
	TileCacheBytes int64
	Log            *slog.Logger
	// Hub is the live feed's fan-out (GET /api/live); nil makes one.
	Hub *live.Hub
	// Warmed, when set, is called once the background warm-up of the
	// page's overview tiles has ended (n tiles rendered; err when it
	// stopped early): the end of the server's start-up work.
	Warmed func(n int, err error)
}

// Routes builds every capability over cfg: OGC API Features, the page's
// API, tiles, the page, fire dispatch, the school model and the demand,
// accessibility and siting models. It also puts the derived map layers
// (network fire circles, school_pressure, resource_access) into the
// catalog, and returns the collectors to register for /metrics.
func Routes(ctx context.Context, cfg RoutesConfig) ([]Registrar, []prometheus.Collector, error) {
	if cfg.TileCacheBytes == 0 {
		cfg.TileCacheBytes = 256 << 20
	}
	cache := tiles.NewCache(cfg.TileCacheBytes, tiles.DefaultOptions())
	tileRoutes := NewTiles(cfg.Catalog, cache)
	origins := cfg.CORSOrigins
	if origins == nil {
		origins = []string{"*"}
	}
	features := NewFeatures(cfg.Catalog, FeaturesConfig{Title: "onemap", Editor: cfg.Editor, CORS: CORS{Origins: origins}})
	page := NewPage(cfg.Catalog, PageConfig{BasemapURL: cfg.BasemapURL, Landing: features.Landing})
	api := NewAPI(cfg.Catalog, APIConfig{BasemapURL: cfg.BasemapURL})
	if cfg.Hub == nil {
		cfg.Hub = live.NewHub(live.Config{})
	}
	context.AfterFunc(ctx, cfg.Hub.FollowCatalog(cfg.Catalog))
	routes := []Registrar{
		features,
		api,
		tileRoutes,
		NewOGCTiles(tileRoutes, origins),
		page,
		NewLive(cfg.Hub, 0),
	}

	graph := func() *network.Graph { return cfg.Graph }
	if _, ok := cfg.Catalog.Layer(layers.Roads); ok {
		edit := cfg.Editor
		if edit == nil {
			edit = layers.Memory{Catalog: cfg.Catalog, Owner: sourceOwner(cfg.Catalog)}
		}
		desk, err := dispatch.New(cfg.Catalog, cfg.Graph, edit, dispatch.Config{}, cfg.Log)
		if err != nil {
			return nil, nil, fmt.Errorf("dispatch: %w", err)
		}
		context.AfterFunc(ctx, desk.Close)
		graph = desk.Graph
		routes = append(routes, NewDispatch(desk))
	}

	sta, err := startSensors(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	routes = append(routes, sta)

	var store scenario.Store = scenario.NewMemory()
	if cfg.Pool != nil {
		ps, err := scenario.NewPostGIS(ctx, cfg.Pool)
		if err != nil {
			return nil, nil, fmt.Errorf("scenarios: %w", err)
		}
		store = ps
	}
	svc := scenario.NewService(store, nil)
	if cfg.District != nil && len(cfg.District.Catchments) > 0 {
		live, err := school.NewLive(ctx, cfg.Catalog, school.CatalogInput(cfg.Catalog, cfg.District, school.DefaultPolicy()), svc, cfg.Log)
		if err != nil {
			return nil, nil, fmt.Errorf("school model: %w", err)
		}
		routes = append(routes, NewSchool(live, svc))
	}
	planner := planning.New(planning.Config{Catalog: cfg.Catalog, District: cfg.District, Graph: graph, Scenarios: svc, Log: cfg.Log})
	planner.Follow(ctx)
	routes = append(routes, NewModels(planner))

	// The locator behind /api/locate and /api/stats and the page's
	// overview tiles (its one tile set, z10–z13) are built in the
	// background now, once the derived layers above are in place, so that
	// the first screen's answers come from memory.
	go func() {
		start := time.Now()
		if _, err := api.locators.Get(); err != nil {
			cfg.Log.Debug("no locator to warm", "err", err)
		}
		n, err := tileRoutes.Warm(ctx, page.layerOrder(), 10, 13)
		if cfg.Warmed != nil {
			defer cfg.Warmed(n, err)
		}
		if err != nil && ctx.Err() == nil {
			cfg.Log.Warn("tile warm-up stopped", "err", err)
			return
		}
		cfg.Log.Debug("overview tiles warmed", "tiles", n, "ms", time.Since(start).Milliseconds())
	}()
	return routes, []prometheus.Collector{cache}, nil
}

// sourceOwner is the owner of the catalog's fire_stations layer: the
// source whose store a dispatcher's state goes to when no Editor is given.
func sourceOwner(cat *layers.Catalog) string {
	if l, ok := cat.Layer(layers.FireStations); ok {
		return l.Schema.Owner
	}
	return ""
}
