package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers/postgis"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startApp(t *testing.T, cfg *serveConfig) *httptest.Server {
	t.Helper()
	_, s, _ := startServer(t, cfg)
	return s
}

func defaultConfig() *serveConfig {
	return &serveConfig{seed: demo.DefaultSeed}
}

// tileIDs fetches a tile of one layer and returns its feature ids.
func tileIDs(t *testing.T, base, layer string, tile maptile.Tile) map[uint64]bool {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt", base, layer, tile.Z, tile.X, tile.Y))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("tile status %d: %s", resp.StatusCode, body)
	}
	ids := map[uint64]bool{}
	if len(body) == 0 {
		return ids
	}
	ls, err := mvt.Unmarshal(body)
	if err != nil {
		t.Fatalf("tile does not decode: %v", err)
	}
	for _, l := range ls {
		for _, f := range l.Features {
			// orb's decoder gives ids as float64: exact below 2^53.
			if id, ok := f.ID.(float64); ok {
				ids[uint64(id)] = true
			}
		}
	}
	return ids
}

func status(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// eventually polls cond until it holds or a second has passed, and says
// how long it took.
func eventually(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < time.Second {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s: not seen within 1 s", what)
	return 0
}

// TestLiveEditsReachTilesAndFeatures is the spine's live-sync acceptance: an
// insert, update and delete made in PostGIS show in the next tile and in
// /collections/{id}/items within one second, with no restart.
func TestLiveEditsReachTilesAndFeatures(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	if err := postgis.Load(ctx, db.URL, demo.Generate(demo.Options{Seed: demo.DefaultSeed})); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.db = db.URL
	app, s, _ := startServer(t, cfg)
	// The clock starts once the sync listens: an edit made while it is
	// still connecting is caught by its first resync, which is start-up
	// work, not the edit's latency.
	within(t, 10*time.Second, "sync listening", func() bool { return app.sync.Listener() != 0 })

	const z = 15
	a := orb.Point{114.03, 22.53}
	b := orb.Point{114.08, 22.56}
	ta, tb := maptile.At(a, z), maptile.At(b, z)
	const id = 990001
	item := fmt.Sprintf("%s/collections/hazards/items/%d", s.URL, id)
	if tileIDs(t, s.URL, "hazards", ta)[id] || status(t, item) != 404 {
		t.Fatal("feature exists before the insert")
	}

	_, err := db.Pool.Exec(ctx, `INSERT INTO hazards (id, geom, name, class, risk_level, owner, grid_code)
		VALUES ($1, ST_SetSRID(ST_MakePoint($2, $3), 4326), '新危险源', 'industrial', 1, '测试', '')`, id, a[0], a[1])
	if err != nil {
		t.Fatal(err)
	}
	d := eventually(t, "insert", func() bool { return tileIDs(t, s.URL, "hazards", ta)[id] && status(t, item) == 200 })
	t.Logf("insert visible after %v", d)

	if _, err := db.Pool.Exec(ctx, `UPDATE hazards SET geom = ST_SetSRID(ST_MakePoint($2, $3), 4326) WHERE id = $1`, id, b[0], b[1]); err != nil {
		t.Fatal(err)
	}
	d = eventually(t, "update", func() bool {
		return tileIDs(t, s.URL, "hazards", tb)[id] && !tileIDs(t, s.URL, "hazards", ta)[id]
	})
	t.Logf("update visible after %v", d)
	resp, err := http.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Geometry struct{ Coordinates []float64 } `json:"geometry"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&f)
	resp.Body.Close()
	if len(f.Geometry.Coordinates) != 2 || f.Geometry.Coordinates[0] != b[0] {
		t.Fatalf("item not moved: %v", f.Geometry.Coordinates)
	}

	if _, err := db.Pool.Exec(ctx, `DELETE FROM hazards WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	d = eventually(t, "delete", func() bool { return !tileIDs(t, s.URL, "hazards", tb)[id] && status(t, item) == 404 })
	t.Logf("delete visible after %v", d)
}

// TestBadInputOnTheWholeServer: every kind of bad input the spine names
// gets a 4xx with a JSON error naming the problem.
func TestBadInputOnTheWholeServer(t *testing.T) {
	s := startApp(t, defaultConfig())
	cases := []struct{ method, path, body, token, field string }{
		{"GET", "/tiles/grids/3/9/1.mvt", "", "", "x"},
		{"GET", "/tiles/grids/23/0/0.mvt", "", "", "z"},
		{"GET", "/tiles/nope/10/0/0.mvt", "", "", "layers"},
		{"GET", "/collections/nope/items", "", "", "id"},
		{"GET", "/collections/grids/items?bbox=114,22,113", "", "", "bbox"},
		{"GET", "/api/locate?lon=116.4&lat=39.9", "", "", "lon,lat"},
		{"PUT", "/api/units/1/status", `{"available":false}`, "", "Authorization"},
		{"PUT", "/api/units/1/status", `{"available":false}`, "plan", "Authorization"},
		{"POST", "/api/scenarios", `{}`, "", "Authorization"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, s.URL+c.path, strings.NewReader(c.body))
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]any
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode > 499 || err != nil || e["error"] == "" || e["field"] != c.field {
			t.Errorf("%s %s: status %d body %v (%v), want a 4xx naming %q", c.method, c.path, resp.StatusCode, e, err, c.field)
		}
	}
}

// TestServeHealthAndMetrics checks the server basics on the demo district.
func TestServeHealthAndMetrics(t *testing.T) {
	s := startApp(t, defaultConfig())
	if st := status(t, s.URL+"/healthz"); st != 200 {
		t.Fatalf("healthz %d", st)
	}
	tileIDs(t, s.URL, "grids,roads", maptile.At(orb.Point{114.05, 22.54}, 14))
	tileIDs(t, s.URL, "grids,roads", maptile.At(orb.Point{114.05, 22.54}, 14))
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`onemap_http_request_duration_seconds_count{code="200",method="GET",route="GET /tiles/{layers}/{z}/{x}/{y}"} 2`,
		"onemap_tile_cache_hits_total 1",
		`onemap_layer_snapshot_version{layer="grids"}`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestCLIErrors: a bad command line gets a message and a non-zero exit.
func TestCLIErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nope"}, {"serve", "--db", "x", "--osm", "y"}, {"load"}, {"bench", "nope"}, {"import", "osm"}, {"gen"}} {
		var out, errb strings.Builder
		if code := run(context.Background(), args, &out, &errb); code == 0 || errb.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}
