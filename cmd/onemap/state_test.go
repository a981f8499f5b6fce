package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/web"
)

// startServer is startApp that also hands back the app, so a test can stop
// it (a restart) before the test ends.
func startServer(t *testing.T, cfg *serveConfig) (*app, *httptest.Server, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tokens, _ := web.ParseTokens("plan:planner,disp:dispatcher")
	a, err := newApp(ctx, cfg, tokens, quietLog())
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := httptest.NewServer(a.handler)
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			s.Close()
			cancel()
			a.close()
		}
	}
	t.Cleanup(stop)
	return a, s, stop
}

// servedDemo loads the demo district into a fresh PostGIS schema and
// serves it from there.
func servedDemo(t *testing.T) (*pgtest.DB, *serveConfig, *app, *httptest.Server, func()) {
	t.Helper()
	db := pgtest.New(t)
	if err := postgis.Load(context.Background(), db.URL, demo.Generate(demo.Options{Seed: demo.DefaultSeed})); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.db = db.URL
	a, s, stop := startServer(t, cfg)
	return db, cfg, a, s, stop
}

// send makes a request with the dispatcher's token and returns its status.
func send(t *testing.T, method, url, body string) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer disp")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// circles is the fire_circles layer as station id → method and geometry.
func circles(t *testing.T, a *app) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	for _, f := range a.catalog.Features(layers.FireCircles) {
		b, _ := json.Marshal(f.Geometry.(orb.Polygon))
		out[f.ID] = fmt.Sprint(f.Properties["method"]) + " " + string(b)
	}
	return out
}

func available(a *app, id int64) any {
	l, _ := a.catalog.Layer(layers.FireStations)
	f, _ := l.Snapshot().Get(id)
	return f.Properties["available"]
}

// nearestIDs are the teams /api/dispatch/nearest ranks for pt.
func nearestIDs(t *testing.T, base string, pt orb.Point) []int64 {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/api/dispatch/nearest?lon=%f&lat=%f", base, pt[0], pt[1]))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Units []struct{ ID int64 } }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, u := range out.Units {
		ids = append(ids, u.ID)
	}
	return ids
}

// TestDispatchStateOutlivesResyncAndRestarts is issue 11's acceptance: a
// team marked unavailable stays so through a forced PostGIS resync (the
// listen connection dropped), the network fire circles stay intact, and
// three restarts on the one database give the same circles; a road closure
// lasts too, and a second server on the database sees both.
func TestDispatchStateOutlivesResyncAndRestarts(t *testing.T) {
	db, cfg, a, s, stop := servedDemo(t)
	ctx := context.Background()
	within(t, 10*time.Second, "sync listening", func() bool { return a.sync.Listener() != 0 })
	before := circles(t, a)
	if len(before) < 15 {
		t.Fatalf("%d fire circles at start", len(before))
	}
	var team int64
	for id, c := range before {
		if !strings.HasPrefix(c, "network ") {
			t.Fatalf("circle %d is not a network circle: %.40s", id, c)
		}
		if team == 0 || id < team {
			team = id
		}
	}
	if code := send(t, "PUT", fmt.Sprintf("%s/api/units/%d/status", s.URL, team), `{"available":false}`); code != 200 {
		t.Fatalf("status: %d", code)
	}
	if code := send(t, "POST", s.URL+"/api/network/closures", `{"road_id":1,"reason":"drill"}`); code != 201 {
		t.Fatalf("closure: %d", code)
	}
	after := circles(t, a)
	if _, ok := after[team]; ok || len(after) != len(before)-1 {
		t.Fatalf("team %d still has a circle (%d circles, were %d)", team, len(after), len(before))
	}
	var stationTable bool
	if err := db.Pool.QueryRow(ctx, "SELECT NOT available FROM fire_stations WHERE id = $1", team).Scan(&stationTable); err != nil || !stationTable {
		t.Fatalf("availability not stored in PostGIS: %v %v", stationTable, err)
	}

	// Drop the listen connection: the sync reconnects and re-reads every
	// table it follows.
	old := a.sync.Listener()
	if _, err := db.Pool.Exec(ctx, "SELECT pg_terminate_backend($1)", int32(old)); err != nil {
		t.Fatal(err)
	}
	within(t, 10*time.Second, "the sync reconnected and resynchronised", func() bool { p := a.sync.Listener(); return p != 0 && p != old })
	if v := available(a, team); v != false {
		t.Errorf("after the resync team %d is available=%v", team, v)
	}
	if got := circles(t, a); !mapsEqual(got, after) {
		t.Errorf("after the resync the fire circles changed: %d circles, were %d", len(got), len(after))
	}
	pt := a.catalog.Features(layers.FireStations)[0].Geometry.(orb.Point)
	if slices.Contains(nearestIDs(t, s.URL, pt), team) {
		t.Errorf("team %d still ranked after the resync", team)
	}

	// A second server on the same database sees the same state.
	b, sb, stopB := startServer(t, cfg)
	if v := available(b, team); v != false {
		t.Errorf("second server: team %d available=%v", team, v)
	}
	if got := circles(t, b); !mapsEqual(got, after) {
		t.Errorf("second server: %d circles, want %d", len(got), len(after))
	}
	if code := send(t, "PUT", fmt.Sprintf("%s/api/units/%d/status", sb.URL, team), `{"available":true}`); code != 200 {
		t.Fatalf("status on the second server: %d", code)
	}
	within(t, 5*time.Second, "the first server following the second's edit", func() bool { return available(a, team) == true && len(circles(t, a)) == len(before) })
	stopB()
	if code := send(t, "PUT", fmt.Sprintf("%s/api/units/%d/status", s.URL, team), `{"available":false}`); code != 200 {
		t.Fatalf("status: %d", code)
	}
	stop()

	// Three restarts on the one database: the same circles, the team still
	// out of service, the closure still in force.
	for i := range 3 {
		r, rs, stopR := startServer(t, cfg)
		if got := circles(t, r); !mapsEqual(got, after) {
			t.Errorf("restart %d: %d fire circles, want the same %d", i+1, len(got), len(after))
		}
		resp, err := http.Get(rs.URL + "/api/network/closures")
		if err != nil {
			t.Fatal(err)
		}
		var cl struct {
			Closures []struct {
				RoadID int64 `json:"road_id"`
			}
		}
		_ = json.NewDecoder(resp.Body).Decode(&cl)
		resp.Body.Close()
		if len(cl.Closures) != 1 || cl.Closures[0].RoadID != 1 {
			t.Errorf("restart %d: closures %+v", i+1, cl.Closures)
		}
		stopR()
	}
}

// within polls cond until it holds, failing the test after d.
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
	}
}

func mapsEqual(a, b map[int64]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSchoolProjectionFollowsPostGIS: a school's seats changed in PostGIS
// are in the next /api/school/projection, and in the school_pressure layer.
func TestSchoolProjectionFollowsPostGIS(t *testing.T) {
	db, _, a, s, _ := servedDemo(t)
	ctx := context.Background()
	seats := func(code string) int {
		resp, err := http.Get(s.URL + "/api/school/projection?years=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res struct {
			Catchments []struct {
				Code   string
				Points []struct{ Seats int }
			}
		}
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Catchments {
			if c.Code == code {
				return c.Points[0].Seats
			}
		}
		t.Fatalf("no catchment %s", code)
		return 0
	}
	var id int64
	var code string
	if err := db.Pool.QueryRow(ctx, "SELECT id, catchment_code FROM schools WHERE level = 'primary' ORDER BY id LIMIT 1").Scan(&id, &code); err != nil {
		t.Fatal(err)
	}
	was := seats(code)
	if _, err := db.Pool.Exec(ctx, "UPDATE schools SET seats = seats + 1000 WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	within(t, 5*time.Second, "the new seats in the projection", func() bool { return seats(code) == was+1000 })
	within(t, 5*time.Second, "the new seats in school_pressure", func() bool {
		for _, f := range a.catalog.Features("school_pressure") {
			if f.Properties["code"] == code {
				return f.Properties["seats"] == int64(was+1000)
			}
		}
		return false
	})
}

// TestStoreOutageIs503: with the database gone, reads served from memory
// still answer, and the requests that need the database answer 503 JSON
// (retry later), never 404 or 500.
func TestStoreOutageIs503(t *testing.T) {
	_, _, a, s, _ := servedDemo(t)
	a.pool.Close() // the database as this server sees it: gone
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/scenarios", ""},
		{"GET", "/api/scenarios/sc_x", ""},
		{"PUT", "/api/units/1/status", `{"available":false}`},
		{"POST", "/api/network/closures", `{"road_id":1}`},
	} {
		req, _ := http.NewRequest(c.method, s.URL+c.path, strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer disp")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error  string
			Status int
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 503 || body.Status != 503 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s with the database gone: %d %+v", c.method, c.path, resp.StatusCode, body)
		}
	}
	if code := status(t, s.URL+"/collections/hazards/items?limit=1"); code != 200 {
		t.Errorf("features from memory: %d", code)
	}
}
