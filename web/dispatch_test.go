package web

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/dispatch"
	"github.com/paulmach/orb"
)

func dispatchServer(t *testing.T) (*httptest.Server, *layers.Catalog) {
	t.Helper()
	d := demo.Generate(demo.Options{Seed: demo.DefaultSeed})
	cat := layers.NewCatalog()
	if err := d.Put(cat, layers.OwnerDemo); err != nil {
		t.Fatal(err)
	}
	desk, err := dispatch.New(cat, nil, layers.Memory{Catalog: cat, Owner: layers.OwnerDemo}, dispatch.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	NewDispatch(desk).Register(mux, slog.New(slog.NewTextHandler(io.Discard, nil)), Tokens{"d": Dispatcher, "v": Viewer})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, cat
}

// call makes a request and decodes the JSON answer into out (when not nil),
// returning the status and the error body's field.
func call(t *testing.T, method, url, token, body string, out any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 400 {
		var e struct {
			Field string `json:"field"`
		}
		_ = json.Unmarshal(b, &e)
		return res.StatusCode, e.Field
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, b)
		}
	}
	return res.StatusCode, ""
}

func TestDispatchNearestAndStatus(t *testing.T) {
	srv, cat := dispatchServer(t)
	l, _ := cat.Layer(layers.FireStations)
	st := l.Snapshot().At(0).Geometry.(orb.Point)
	url := fmt.Sprintf("%s/api/dispatch/nearest?lon=%f&lat=%f", srv.URL, st[0]+0.003, st[1]+0.002)
	var ans NearestJSON
	if code, _ := call(t, "GET", url, "", "", &ans); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(ans.Units) != ans.Available || ans.Available == 0 || ans.Stations != 23 || ans.Metric != "time" {
		t.Fatalf("answer %+v", ans)
	}
	for i, u := range ans.Units {
		if u.Rank != i+1 || len(u.Route) < 2 || u.ETA <= 0 || u.DistanceM <= 0 {
			t.Errorf("unit %+v", u)
		}
		if i > 0 && u.ETA < ans.Units[i-1].ETA {
			t.Errorf("not ranked by ETA")
		}
	}
	var top NearestJSON
	call(t, "GET", url+"&k=3&metric=distance", "", "", &top)
	if len(top.Units) != 3 || top.Metric != "distance" {
		t.Errorf("k=3 distance: %+v", top)
	}
	// Taking the first team out of service drops it at once.
	first := ans.Units[0].ID
	statusURL := fmt.Sprintf("%s/api/units/%d/status", srv.URL, first)
	if code, _ := call(t, "PUT", statusURL, "", `{"available":false}`, nil); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, _ := call(t, "PUT", statusURL, "v", `{"available":false}`, nil); code != 403 {
		t.Errorf("viewer: %d", code)
	}
	if code, _ := call(t, "PUT", statusURL, "d", `{"available":false}`, nil); code != 200 {
		t.Fatalf("dispatcher: %d", code)
	}
	var after NearestJSON
	call(t, "GET", url, "", "", &after)
	if len(after.Units) != len(ans.Units)-1 || after.Units[0].ID == first {
		t.Errorf("unit %d still ranked after going out of service", first)
	}
	f, _ := l.Snapshot().Get(first)
	if l2, _ := cat.Layer(layers.FireStations); l2.Snapshot() != l.Snapshot() {
		f, _ = l2.Snapshot().Get(first)
	}
	if f.Properties["available"] != false {
		t.Errorf("fire_stations feature not updated: %v", f.Properties)
	}

	bad := []struct {
		method, url, token, body string
		status                   int
		field                    string
	}{
		{"GET", url + "&k=0", "", "", 400, "k"},
		{"GET", url + "&k=-2", "", "", 400, "k"},
		{"GET", url + "&metric=fastest", "", "", 400, "metric"},
		{"GET", srv.URL + "/api/dispatch/nearest?lon=114.0", "", "", 400, "lat"},
		{"GET", srv.URL + "/api/dispatch/nearest?lon=0&lat=0", "", "", 422, "lon"},
		{"GET", srv.URL + "/api/isochrone?lon=0&lat=0", "", "", 422, "lon"},
		{"PUT", srv.URL + "/api/units/999999/status", "d", `{"available":true}`, 404, "id"},
		{"PUT", srv.URL + "/api/units/abc/status", "d", `{"available":true}`, 400, "id"},
		{"PUT", statusURL, "d", `{}`, 400, "available"},
		{"PUT", statusURL, "d", `{"available":"yes"}`, 400, "available"},
	}
	for _, c := range bad {
		if code, field := call(t, c.method, c.url, c.token, c.body, nil); code != c.status || field != c.field {
			t.Errorf("%s %s %s: %d field %q, want %d %q", c.method, c.url, c.body, code, field, c.status, c.field)
		}
	}
}

func TestDispatchIsochroneCoverageClosures(t *testing.T) {
	srv, cat := dispatchServer(t)
	l, _ := cat.Layer(layers.FireStations)
	st := l.Snapshot().At(2).Geometry.(orb.Point)
	var iso struct {
		Type     string `json:"type"`
		Geometry struct {
			Type        string         `json:"type"`
			Coordinates [][][2]float64 `json:"coordinates"`
		} `json:"geometry"`
	}
	if code, _ := call(t, "GET", fmt.Sprintf("%s/api/isochrone?lon=%f&lat=%f&minutes=3", srv.URL, st[0], st[1]), "", "", &iso); code != 200 {
		t.Fatalf("isochrone %d", code)
	}
	if iso.Geometry.Type != "Polygon" || len(iso.Geometry.Coordinates[0]) < 4 {
		t.Errorf("isochrone %+v", iso)
	}
	if code, field := call(t, "GET", fmt.Sprintf("%s/api/isochrone?lon=%f&lat=%f&minutes=-1", srv.URL, st[0], st[1]), "", "", nil); code != 400 || field != "minutes" {
		t.Errorf("minutes=-1: %d %q", code, field)
	}
	var cov CoverageJSON
	if code, _ := call(t, "GET", srv.URL+"/api/coverage?minutes=5", "", "", &cov); code != 200 {
		t.Fatalf("coverage %d", code)
	}
	if cov.Grids.Total != 1547 || cov.Grids.Share <= 0 || cov.Grids.Share > 1 || len(cov.Worst) == 0 ||
		len(cov.Uncovered.Features) != int(cov.Grids.Total-cov.Grids.Covered) {
		t.Errorf("coverage %+v", cov)
	}

	// Closures: a road id, a polygon, bad input, delete.
	roads, _ := cat.Layer(layers.Roads)
	road := roads.Snapshot().At(10)
	var c1 ClosureJSON
	if code, _ := call(t, "POST", srv.URL+"/api/network/closures", "d", fmt.Sprintf(`{"road_id":%d}`, road.ID), &c1); code != 201 || c1.ID == 0 || c1.Segments == 0 {
		t.Fatalf("close road: %d %+v", code, c1)
	}
	poly := fmt.Sprintf(`{"polygon":{"type":"Polygon","coordinates":[[[%[1]f,%[2]f],[%[3]f,%[2]f],[%[3]f,%[4]f],[%[1]f,%[4]f],[%[1]f,%[2]f]]]}}`,
		st[0]-0.002, st[1]-0.002, st[0]+0.002, st[1]+0.002)
	var c2 ClosureJSON
	if code, _ := call(t, "POST", srv.URL+"/api/network/closures", "d", poly, &c2); code != 201 || c2.Polygon == nil {
		t.Fatalf("close polygon: %d %+v", code, c2)
	}
	var list struct {
		Closures []ClosureJSON `json:"closures"`
	}
	call(t, "GET", srv.URL+"/api/network/closures", "", "", &list)
	if len(list.Closures) != 2 {
		t.Errorf("list %+v", list)
	}
	bad := []struct {
		body   string
		status int
		field  string
	}{
		{`{"polygon":{"type":"LineString","coordinates":[[114,22.5],[114.1,22.6]]}}`, 400, "polygon"},
		{`{"polygon":{"type":"Polygon","coordinates":[[[114,22.5],[114.1,22.6]]]}}`, 400, "polygon"},
		{`{"polygon":"here"}`, 400, "polygon"},
		{`{}`, 400, "road_id"},
		{`{"road_id":-5}`, 422, "road_id"},
		{`{"road_id":1,"polygon":{"type":"Polygon","coordinates":[]}}`, 400, "polygon"},
		{`{"polygon":{"type":"Polygon","coordinates":[[[0,0],[0.001,0],[0.001,0.001],[0,0]]]}}`, 422, "polygon"},
		{`{"street":3}`, 400, "street"},
	}
	for _, c := range bad {
		if code, field := call(t, "POST", srv.URL+"/api/network/closures", "d", c.body, nil); code != c.status || field != c.field {
			t.Errorf("POST %s: %d %q, want %d %q", c.body, code, field, c.status, c.field)
		}
	}
	if code, _ := call(t, "POST", srv.URL+"/api/network/closures", "v", `{"road_id":1}`, nil); code != 403 {
		t.Errorf("viewer closing a road: %d", code)
	}
	if code, _ := call(t, "DELETE", fmt.Sprintf("%s/api/network/closures/%d", srv.URL, c1.ID), "d", "", nil); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, field := call(t, "DELETE", fmt.Sprintf("%s/api/network/closures/%d", srv.URL, c1.ID), "d", "", nil); code != 404 || field != "id" {
		t.Errorf("delete twice: %d %q", code, field)
	}
	call(t, "GET", srv.URL+"/api/network/closures", "", "", &list)
	if len(list.Closures) != 1 || list.Closures[0].ID != c2.ID {
		t.Errorf("after delete %+v", list)
	}
}
