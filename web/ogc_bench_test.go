package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
)

// benchItems serves the demo district's OGC API and runs GET path b.N
// times, checking every answer is a 200.
func benchItems(b *testing.B, path string) {
	c := layers.NewCatalog()
	if err := demo.Generate(demo.Options{Seed: demo.DefaultSeed}).Put(c, layers.OwnerDemo); err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	NewFeatures(c, FeaturesConfig{}).Register(mux, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	req := httptest.NewRequest("GET", path, nil)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("%s: %d %s", path, w.Code, w.Body)
	}
	b.Logf("%s: %d bytes", path, w.Body.Len())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkItemsCQLBBox is a CQL2 filter with a bbox over the ~35k
// buildings (target ≤ 5 ms), answering every match (about 200).
func BenchmarkItemsCQLBBox(b *testing.B) {
	benchItems(b, "/collections/buildings/items?limit=1000&"+url.Values{
		"filter": {"use = 'residential' AND floors >= 10 AND S_INTERSECTS(geometry, BBOX(114.03, 22.53, 114.04, 22.54))"}}.Encode())
}

// BenchmarkItemsCQLNoBBox is a CQL2 attribute filter over every building
// (no bbox: all 35k evaluated), first page of 10.
func BenchmarkItemsCQLNoBBox(b *testing.B) {
	benchItems(b, "/collections/buildings/items?"+url.Values{"filter": {"use = 'school' AND floors > 3"}}.Encode())
}

// BenchmarkItemsPage1000 is one page of 1,000 buildings (target ≤ 10 ms).
func BenchmarkItemsPage1000(b *testing.B) {
	benchItems(b, "/collections/buildings/items?limit=1000&offset=5000")
}
