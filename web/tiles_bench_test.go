package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/tiles"
)

// BenchmarkTileHot is the handler's work for a cached tile, gzipped, as
// the page asks for it (all layers in one tile set): what a hot tile costs
// beyond net/http itself.
func BenchmarkTileHot(b *testing.B) {
	d := demo.Generate(demo.Options{Seed: demo.DefaultSeed})
	cat := layers.NewCatalog()
	if err := d.Put(cat, layers.OwnerDemo); err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	NewTiles(cat, tiles.NewCache(1<<30, tiles.DefaultOptions())).Register(mux, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	const path = "/tiles/water,districts,streets,communities,grids,buildings,roads,catchments,fire_circles,hazards,flood_points,fire_stations,schools,hospitals,elderly_care,cameras/14/13382/7138.mvt"
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br, zstd")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	if w.Code != 200 || w.Body.Len() == 0 {
		b.Fatalf("status %d, %d bytes", w.Code, w.Body.Len())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w := &discardWriter{h: http.Header{}}
		mux.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatal(w.code)
		}
	}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
