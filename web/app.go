package web

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/onemap/onemap/layers"
)

// Registrar is any group of routes: each capability (features, tiles, page,
// dispatch, models) is one.
type Registrar interface {
	Register(mux *http.ServeMux, log *slog.Logger, tokens Tokens)
}

// AppConfig is everything the whole HTTP application is built from.
type AppConfig struct {
	Catalog *layers.Catalog
	Tokens  Tokens
	Log     *slog.Logger
	// Registry receives the metrics; a new one is made when nil.
	Registry *prometheus.Registry
	// Routes are the capabilities to serve besides health and metrics.
	Routes []Registrar
	// Health, when set, adds its entries to /healthz (how the sources are
	// followed, what the database lacks).
	Health func() map[string]any
}

// NewApp builds the instrumented handler serving every route in cfg, plus
// /healthz and /metrics.
func NewApp(cfg AppConfig) http.Handler {
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		NewCatalogCollector(cfg.Catalog))
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", Handle(cfg.Log, func(w http.ResponseWriter, r *http.Request) error {
		n := map[string]int{}
		for _, l := range cfg.Catalog.Layers() {
			n[l.Schema.Name] = l.Snapshot().Len()
		}
		out := map[string]any{"status": "ok", "layers": n}
		if cfg.Health != nil {
			for k, v := range cfg.Health() {
				out[k] = v
			}
		}
		return WriteJSON(w, http.StatusOK, "", out)
	}))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	for _, r := range cfg.Routes {
		r.Register(mux, cfg.Log, cfg.Tokens)
	}
	return Instrument(mux, reg, cfg.Log)
}
