package web

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/onemap/onemap/layers"
)

// Instrument wraps mux with request metrics (latency by route pattern,
// method and status) and a structured log line per request.
func Instrument(mux *http.ServeMux, reg prometheus.Registerer, log *slog.Logger) http.Handler {
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "onemap_http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern, method and status code.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route", "method", "code"})
	reg.MustRegister(latency)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_, route := mux.Handler(r)
		if route == "" {
			route = "unmatched"
		}
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		mux.ServeHTTP(sw, r)
		d := time.Since(start)
		latency.WithLabelValues(route, r.Method, strconv.Itoa(sw.code)).Observe(d.Seconds())
		level := slog.LevelDebug
		if sw.code >= 500 {
			level = slog.LevelWarn
		}
		log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "query", r.URL.RawQuery, "route", route,
			"status", sw.code, "ms", float64(d.Microseconds())/1000)
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// catalogCollector exports each layer's snapshot version and feature count,
// read at scrape time.
type catalogCollector struct {
	c                 *layers.Catalog
	version, features *prometheus.Desc
}

// NewCatalogCollector exports c's snapshot versions and sizes.
func NewCatalogCollector(c *layers.Catalog) prometheus.Collector {
	return &catalogCollector{c: c,
		version:  prometheus.NewDesc("onemap_layer_snapshot_version", "Version of the layer's current snapshot.", []string{"layer"}, nil),
		features: prometheus.NewDesc("onemap_layer_features", "Features in the layer's current snapshot.", []string{"layer"}, nil),
	}
}

func (cc *catalogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- cc.version; ch <- cc.features }

func (cc *catalogCollector) Collect(ch chan<- prometheus.Metric) {
	for _, l := range cc.c.Layers() {
		s := l.Snapshot()
		ch <- prometheus.MustNewConstMetric(cc.version, prometheus.GaugeValue, float64(s.Version()), l.Schema.Name)
		ch <- prometheus.MustNewConstMetric(cc.features, prometheus.GaugeValue, float64(s.Len()), l.Schema.Name)
	}
}
