package web

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/dispatch"
	"github.com/onemap/onemap/spatial/network"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// r7 rounds a coordinate to 1e-7° as the answers do.
func r7(v float64) float64 { return math.Round(v*1e7) / 1e7 }

func r7p(p orb.Point) orb.Point { return orb.Point{r7(p[0]), r7(p[1])} }

// decoded is v through encoding/json and back into generic values.
func decoded(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return v
}

func demoDesk(t *testing.T) (*dispatch.Desk, *layers.Catalog) {
	t.Helper()
	d := demo.Generate(demo.Options{Seed: demo.DefaultSeed})
	cat := layers.NewCatalog()
	for _, s := range layers.ThematicSchemas(true) {
		cat.Put(s, d.Layers[s.Name])
	}
	desk, err := dispatch.New(cat, nil, layers.Memory{Catalog: cat, Owner: layers.OwnerDemo}, dispatch.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return desk, cat
}

// TestNearestJSONMatchesEncodingJSON: the hand-written answer decodes to
// exactly what encoding/json makes of NearestJSON with the coordinates
// rounded to 1e-7°, for several alarms, k and both metrics; without routes
// it is the same less each unit's route.
func TestNearestJSONMatchesEncodingJSON(t *testing.T) {
	desk, cat := demoDesk(t)
	l, _ := cat.Layer(layers.FireStations)
	n := 0
	for i := 0; i < l.Snapshot().Len(); i += 5 {
		st := l.Snapshot().At(i).Geometry.(orb.Point)
		pt := orb.Point{st[0] + 0.0031234567, st[1] - 0.0017654321}
		for _, k := range []int{1, 5, 0} {
			for _, m := range []network.Metric{network.Time, network.Distance} {
				ans, err := desk.Nearest(pt, k, m)
				if err != nil {
					t.Fatal(err)
				}
				ref := NearestJSON{
					Alarm: [2]float64{r7(pt[0]), r7(pt[1])}, Snapped: geojson.Point(r7p(ans.Snap.Point)), SnapDistanceM: round1(ans.Snap.Metres),
					RoadID: ans.Snap.RoadID, Metric: m.String(), K: k, Available: ans.Available, Stations: ans.Stations, Units: []UnitJSON{},
				}
				for j, u := range ans.Units {
					route := make(geojson.LineString, len(u.Route))
					for q, p := range u.Route {
						route[q] = r7p(p)
					}
					ref.Units = append(ref.Units, UnitJSON{Rank: j + 1, ID: u.ID, Name: u.Name, ETA: round1(u.Seconds),
						DistanceM: round1(u.Metres), Route: route, Snapped: geojson.Point(r7p(u.Snapped))})
				}
				want, err := json.Marshal(ref)
				if err != nil {
					t.Fatal(err)
				}
				got := appendNearest(nil, pt, ans, k, m, true)
				if !reflect.DeepEqual(decoded(t, got), decoded(t, want)) {
					t.Fatalf("k=%d %s:\n got %s\nwant %s", k, m, got, want)
				}
				// Without routes: the same less the route keys.
				w := decoded(t, want).(map[string]any)
				for _, u := range w["units"].([]any) {
					delete(u.(map[string]any), "route")
				}
				if short := appendNearest(nil, pt, ans, k, m, false); !reflect.DeepEqual(decoded(t, short), any(w)) {
					t.Fatalf("routes=false k=%d: %s", k, short)
				}
				if k == 5 && m == network.Time && i == 0 {
					t.Logf("k=5 answer: %d bytes (encoding/json unrounded: %d)", len(got), len(mustMarshalUnrounded(t, pt, ans, k, m)))
				}
				n++
			}
		}
	}
	if n < 12 {
		t.Fatalf("only %d answers compared", n)
	}
}

// mustMarshalUnrounded is the answer as the server wrote it before: full
// precision through encoding/json.
func mustMarshalUnrounded(t *testing.T, pt orb.Point, ans dispatch.Answer, k int, m network.Metric) []byte {
	out := NearestJSON{Alarm: [2]float64{pt[0], pt[1]}, Snapped: geojson.Point(ans.Snap.Point), Metric: m.String(), K: k}
	for i, u := range ans.Units {
		out.Units = append(out.Units, UnitJSON{Rank: i + 1, ID: u.ID, Name: u.Name, ETA: round1(u.Seconds),
			DistanceM: round1(u.Metres), Route: geojson.LineString(u.Route), Snapped: geojson.Point(u.Snapped)})
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIsochroneJSONMatchesGeoJSON: the isochrone Feature decodes to what
// orb's geojson and encoding/json make of it, coordinates rounded.
func TestIsochroneJSONMatchesGeoJSON(t *testing.T) {
	desk, cat := demoDesk(t)
	l, _ := cat.Layer(layers.FireStations)
	for i, minutes := range []float64{0.5, 3, 7.25} {
		st := l.Snapshot().At(i).Geometry.(orb.Point)
		iso, err := desk.Isochrone(st, minutes)
		if err != nil {
			t.Fatal(err)
		}
		poly := make(orb.Polygon, len(iso.Polygon))
		for j, r := range iso.Polygon {
			poly[j] = make(orb.Ring, len(r))
			for q, p := range r {
				poly[j][q] = r7p(p)
			}
		}
		f := geojson.NewFeature(poly)
		f.Properties = geojson.Properties{
			"minutes": minutes, "cell_m": iso.Cell, "method": "network",
			"snapped": [2]float64{r7(iso.Source.Point[0]), r7(iso.Source.Point[1])}, "snap_distance_m": round1(iso.Source.Metres),
		}
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		got := appendIsochrone(nil, iso, minutes)
		if !reflect.DeepEqual(decoded(t, got), decoded(t, want)) {
			t.Fatalf("%g min:\n got %.300s\nwant %.300s", minutes, got, want)
		}
	}
}

// TestAppendScalarsMatchEncodingJSON compares strings, numbers and
// coordinates with encoding/json byte for byte (coordinates after
// rounding).
func TestAppendScalarsMatchEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "消防一站", `a"b\c`, "tab\tnl\ncr\r\b\f\x00\x1f", "\u2028\u2029", "bad \xff utf8 \xe2\x28", "<html>&"} {
		want, _ := json.Marshal(s)
		// encoding/json escapes HTML by default; the server never did.
		want = []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(want)))
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("string %q: %s, encoding/json %s", s, got, want)
		}
	}
	for _, v := range []float64{0, math.Copysign(0, -1), 1, -1.5, 123.4, 1e-7, 1.5e-9, 1e21, 1e20, 3.0e300, -2.5e-300, 0.1} {
		want, _ := json.Marshal(v)
		if got := appendNumber(nil, v); string(got) != string(want) {
			t.Errorf("number %v: %s, encoding/json %s", v, got, want)
		}
	}
	for _, v := range []float64{0, 114.05, -114.05, 22.5431234567, -0.00000004, -0.00000006, 179.99999996, 1e-12, 89.1} {
		want, _ := json.Marshal(r7(v))
		got := appendCoord(nil, v)
		var a, b float64
		_ = json.Unmarshal(got, &a)
		_ = json.Unmarshal(want, &b)
		if a != b {
			t.Errorf("coordinate %v: %s, encoding/json of the rounded value %s", v, got, want)
		}
	}
	if got := string(appendNumber(nil, math.NaN())); got != "null" {
		t.Errorf("NaN: %s", got)
	}
}

// TestNearestRoutesParam: routes=false leaves the routes out over HTTP; a
// value that is not a boolean is a 400 naming the field.
func TestNearestRoutesParam(t *testing.T) {
	srv, cat := dispatchServer(t)
	l, _ := cat.Layer(layers.FireStations)
	st := l.Snapshot().At(1).Geometry.(orb.Point)
	url := fmt.Sprintf("%s/api/dispatch/nearest?lon=%f&lat=%f&k=5", srv.URL, st[0]+0.002, st[1]+0.001)
	get := func(u string) (int, []byte, http.Header) {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b, res.Header
	}
	code, full, h := get(url)
	if code != 200 || h.Get("Content-Type") != "application/json" || !strings.Contains(string(full), `"route":{"type":"LineString"`) {
		t.Fatalf("%d %s %.200s", code, h.Get("Content-Type"), full)
	}
	code, short, _ := get(url + "&routes=false")
	if code != 200 || strings.Contains(string(short), `"route"`) || len(short) >= len(full) {
		t.Fatalf("routes=false: %d, %d bytes (with routes %d)", code, len(short), len(full))
	}
	var ans NearestJSON
	if err := json.Unmarshal(short, &ans); err != nil || len(ans.Units) != 5 || ans.Units[0].Rank != 1 {
		t.Fatalf("routes=false answer %+v (%v)", ans, err)
	}
	if code, field := call(t, "GET", url+"&routes=maybe", "", "", nil); code != 400 || field != "routes" {
		t.Fatalf("routes=maybe: %d %q", code, field)
	}
	t.Logf("k=5: %d bytes with routes, %d without", len(full), len(short))
}
