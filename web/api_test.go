package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

func sq(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// testCatalog is a district of one street, one community and two grids,
// with a few hazards.
func testCatalog() *layers.Catalog {
	c := layers.NewCatalog()
	admin := func(id int64, code, parent, level string, g orb.MultiPolygon) layers.Feature {
		return layers.Feature{ID: id, Geometry: g, Properties: map[string]any{"code": code, "parent_code": parent, "name": code + "名", "level": level, "residents": int64(100)}}
	}
	c.Put(layers.Schema{Name: layers.Districts, Synthetic: true}, []layers.Feature{admin(1, "D", "", "district", sq(114, 22.5, 114.1, 22.6))})
	c.Put(layers.Schema{Name: layers.Streets}, []layers.Feature{admin(1, "S", "D", "street", sq(114, 22.5, 114.1, 22.6))})
	c.Put(layers.Schema{Name: layers.Communities}, []layers.Feature{admin(1, "C", "S", "community", sq(114, 22.5, 114.1, 22.6))})
	c.Put(layers.Schema{Name: layers.Grids}, []layers.Feature{
		admin(1, "G1", "C", "grid", sq(114, 22.5, 114.05, 22.6)),
		admin(2, "G2", "C", "grid", sq(114.05, 22.5, 114.1, 22.6)),
	})
	var hz []layers.Feature
	for i := 0; i < 25; i++ {
		hz = append(hz, layers.Feature{ID: int64(i + 1), Geometry: orb.Point{114.001 + float64(i)*0.004, 22.55},
			Properties: map[string]any{"name": "危险源", "class": []string{"industrial", "crowded"}[i%2], "risk_level": int64(1 + i%4)}})
	}
	c.Put(layers.Schema{Name: layers.Hazards}, hz)
	return c
}

func testServer(t *testing.T) *httptest.Server {
	c := testCatalog()
	mux := http.NewServeMux()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	NewFeatures(c, FeaturesConfig{Title: "test"}).Register(mux, log, nil)
	NewAPI(c, APIConfig{}).Register(mux, log, nil)
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func get(t *testing.T, s *httptest.Server, path string, wantStatus int) map[string]any {
	t.Helper()
	resp, err := http.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s: status %d want %d: %v", path, resp.StatusCode, wantStatus, out)
	}
	return out
}

func TestItemsPagingAndBBox(t *testing.T) {
	s := testServer(t)
	out := get(t, s, "/collections/hazards/items?limit=10", 200)
	if out["numberMatched"].(float64) != 25 || out["numberReturned"].(float64) != 10 {
		t.Fatalf("counts %v %v", out["numberMatched"], out["numberReturned"])
	}
	var next string
	for _, l := range out["links"].([]any) {
		if l.(map[string]any)["rel"] == "next" {
			next = l.(map[string]any)["href"].(string)
		}
	}
	if !strings.Contains(next, "offset=10") {
		t.Fatalf("next link %q", next)
	}
	last := get(t, s, "/collections/hazards/items?limit=10&offset=20", 200)
	if last["numberReturned"].(float64) != 5 {
		t.Fatalf("last page %v", last["numberReturned"])
	}
	for _, l := range last["links"].([]any) {
		if l.(map[string]any)["rel"] == "next" {
			t.Fatal("next link on the last page")
		}
	}
	// bbox covering hazards 0..4 (lon 114.001..114.017)
	b := get(t, s, "/collections/hazards/items?bbox=114,22.5,114.018,22.6", 200)
	if b["numberMatched"].(float64) != 5 {
		t.Fatalf("bbox matched %v", b["numberMatched"])
	}
	// limit is clamped, not refused
	get(t, s, "/collections/hazards/items?limit=999999", 200)
	f := get(t, s, "/collections/hazards/items/3", 200)
	if f["id"].(float64) != 3 {
		t.Fatalf("item %v", f["id"])
	}
}

func TestBadInputNamesTheField(t *testing.T) {
	s := testServer(t)
	for path, field := range map[string]string{
		"/collections/nope/items":                             "id",
		"/collections/hazards/items?bbox=1,2,3":               "bbox",
		"/collections/hazards/items?bbox=3,2,1,4":             "bbox",
		"/collections/hazards/items?bbox=a,b,c,d":             "bbox",
		"/collections/hazards/items?limit=0":                  "limit",
		"/collections/hazards/items/x":                        "fid",
		"/collections/hazards/items/999":                      "fid",
		"/api/locate?lon=114.05":                              "lat",
		"/api/locate?lon=114.05&lat=95":                       "lat",
		"/api/locate?lon=120&lat=22.55":                       "lon,lat",
		"/api/nearest?layer=nope&lon=114.05&lat=22.55":        "layer",
		"/api/nearest?layer=hazards&lon=114.05&lat=22.55&k=0": "k",
		"/api/stats?code=ZZZ":                                 "code",
		"/api/search":                                         "q",
	} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 || e["field"] != field || e["error"] == "" {
			t.Errorf("%s: status %d body %v, want 4xx naming %q", path, resp.StatusCode, e, field)
		}
	}
}

func TestLocateNearestStatsSearch(t *testing.T) {
	s := testServer(t)
	loc := get(t, s, "/api/locate?lon=114.07&lat=22.55", 200)
	if loc["grid"].(map[string]any)["code"] != "G2" || loc["district"].(map[string]any)["code"] != "D" {
		t.Fatalf("locate %v", loc)
	}
	near := get(t, s, "/api/nearest?layer=hazards&lon=114.0095&lat=22.55&k=2", 200)
	fs := near["features"].([]any)
	if len(fs) != 2 || fs[0].(map[string]any)["id"].(float64) != 3 {
		t.Fatalf("nearest %v", fs)
	}
	st := get(t, s, "/api/stats?code=G1", 200)
	hz := st["hazards"].(map[string]any)
	// hazards at lon < 114.05: i = 0..12 → 13
	if hz["total"].(float64) != 13 {
		t.Fatalf("stats hazards %v", hz)
	}
	ds := get(t, s, "/api/stats", 200)
	if ds["hazards"].(map[string]any)["total"].(float64) != 25 || len(ds["children"].([]any)) != 1 {
		t.Fatalf("district stats %v", ds)
	}
	cs := get(t, s, "/api/stats?code=C", 200)["children"].([]any)
	if len(cs) != 2 || cs[0].(map[string]any)["hazards"].(float64) != 13 || cs[1].(map[string]any)["hazards"].(float64) != 12 ||
		cs[0].(map[string]any)["residents"].(float64) != 100 {
		t.Fatalf("children of C %v", cs)
	}
	sr := get(t, s, "/api/search?q=g2", 200)
	if r := sr["results"].([]any); len(r) != 1 || r[0].(map[string]any)["code"] != "G2" {
		t.Fatalf("search %v", sr)
	}
}

func FuzzParsers(f *testing.F) {
	for _, s := range []string{"114,22.5,114.1,22.6", "1,2,3", "NaN,1,2,3", "1e400,0,0,0", "-180,-90,180,90,0,1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBBox(s)
		if err == nil && (b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] || b.Min[0] < -180 || b.Max[1] > 90) {
			t.Fatalf("accepted bad bbox %q → %v", s, b)
		}
		q := map[string][]string{"lon": {s}, "lat": {s}, "k": {s}}
		if p, err := ParseLonLat(q); err == nil && (p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90) {
			t.Fatalf("accepted bad point %q", s)
		}
		if n, err := ParseInt(q, "k", 5, 1, 100); err == nil && (n < 1 || n > 100) {
			t.Fatalf("accepted k %d", n)
		}
	})
}
