package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers/postgis"
)

// pgServer serves the demo district from a fresh PostGIS schema.
func pgServer(t *testing.T) (string, *pgtest.DB) {
	t.Helper()
	db := pgtest.New(t)
	if err := postgis.Load(context.Background(), db.URL, demo.Generate(demo.Options{Seed: demo.DefaultSeed})); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.db = db.URL
	return startApp(t, cfg).URL, db
}

// itemIDs pages through a filtered items URL and returns every id.
func itemIDs(t *testing.T, base, collection string, q url.Values) []int64 {
	t.Helper()
	var out []int64
	q.Set("limit", "10000")
	next := base + "/collections/" + collection + "/items?" + q.Encode()
	for next != "" {
		resp, err := http.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		var fc struct {
			Features []struct {
				ID int64 `json:"id"`
			} `json:"features"`
			Links []struct{ Href, Rel string } `json:"links"`
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", next, resp.StatusCode, b)
		}
		if err := json.Unmarshal(b, &fc); err != nil {
			t.Fatal(err)
		}
		for _, f := range fc.Features {
			out = append(out, f.ID)
		}
		next = ""
		for _, l := range fc.Links {
			if l.Rel == "next" {
				next = l.Href
			}
		}
	}
	return out
}

// TestCQLEqualsPostGIS checks CQL2 filters evaluated on the in-memory
// snapshot select the same features as PostGIS evaluating the same
// predicate in SQL on the same tables.
func TestCQLEqualsPostGIS(t *testing.T) {
	base, db := pgServer(t)
	const area = "POLYGON((114.03 22.52, 114.06 22.52, 114.07 22.55, 114.04 22.56, 114.03 22.52))"
	for _, tc := range []struct{ collection, cql, sql string }{
		{"buildings", "floors >= 20 AND use = 'residential'", "floors >= 20 AND use = 'residential'"},
		{"buildings", "use IN ('school', 'hospital') OR dwellings BETWEEN 50 AND 52", "use IN ('school', 'hospital') OR dwellings BETWEEN 50 AND 52"},
		{"buildings", "address_code LIKE '4403040100060%' AND NOT (floors < 10)", "address_code LIKE '4403040100060%' AND NOT (floors < 10)"},
		{"buildings", "S_INTERSECTS(geometry, " + area + ")", "ST_Intersects(geom, ST_GeomFromText('" + area + "', 4326))"},
		{"buildings", "S_WITHIN(geometry, " + area + ") AND floors > 15", "ST_Within(geom, ST_GeomFromText('" + area + "', 4326)) AND floors > 15"},
		{"buildings", "S_INTERSECTS(geometry, BBOX(114.05, 22.53, 114.052, 22.532))", "ST_Intersects(geom, ST_MakeEnvelope(114.05, 22.53, 114.052, 22.532, 4326))"},
		{"hazards", "class = 'industrial' AND risk_level >= 3", "class = 'industrial' AND risk_level >= 3"},
		{"hazards", "NOT (class = 'industrial') OR name LIKE '%五金%'", "NOT (class = 'industrial') OR name LIKE '%五金%'"},
		{"grids", "S_INTERSECTS(geometry, LINESTRING(114.0 22.51, 114.1 22.58))", "ST_Intersects(geom, ST_GeomFromText('LINESTRING(114.0 22.51, 114.1 22.58)', 4326))"},
		{"grids", "S_WITHIN(geometry, " + area + ")", "ST_Within(geom, ST_GeomFromText('" + area + "', 4326))"},
		{"grids", "S_CONTAINS(geometry, POINT(114.05 22.54)) OR residents > 4500", "ST_Contains(geom, ST_GeomFromText('POINT(114.05 22.54)', 4326)) OR residents > 4500"},
		{"schools", "S_DISJOINT(geometry, " + area + ") AND level = 'primary'", "ST_Disjoint(geom, ST_GeomFromText('" + area + "', 4326)) AND level = 'primary'"},
	} {
		rows, err := db.Pool.Query(context.Background(), fmt.Sprintf("SELECT id FROM %s WHERE %s ORDER BY id", tc.collection, tc.sql))
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		var want []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			want = append(want, id)
		}
		rows.Close()
		got := itemIDs(t, base, tc.collection, url.Values{"filter": {tc.cql}})
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s %s: onemap %d features, PostGIS %d", tc.collection, tc.cql, len(got), len(want))
		} else {
			t.Logf("%s %s: %d features, as PostGIS", tc.collection, tc.cql, len(got))
		}
	}
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func ogcSend(t *testing.T, method, u, body string, header map[string]string) reply {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/geo+json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return reply{resp.StatusCode, resp.Header, m}
}

// TestOGCWritesThroughPostGIS is Part 4 on a PostGIS layer: create,
// replace, update and delete written to the table, visible in tiles at
// once, with ETag/If-Match optimistic locking; failed writes store
// nothing; derived and read-only layers refuse.
func TestOGCWritesThroughPostGIS(t *testing.T) {
	base, db := pgServer(t)
	ctx := context.Background()
	auth := map[string]string{"Authorization": "Bearer plan"}
	count := func() int {
		var n int
		if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM hazards").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	n0 := count()
	a, b := orb.Point{114.0301, 22.5301}, orb.Point{114.0801, 22.5601}
	feature := func(p orb.Point, name string, risk any) string {
		return fmt.Sprintf(`{"type":"Feature","geometry":{"type":"Point","coordinates":[%v,%v]},"properties":{"name":%q,"class":"industrial","risk_level":%v}}`, p[0], p[1], name, risk)
	}
	if r := ogcSend(t, "POST", base+"/collections/hazards/items", feature(a, "x", 1), nil); r.status != 401 {
		t.Fatalf("no token: %d", r.status)
	}
	// Failed writes store nothing.
	for _, bad := range []string{
		feature(a, "x", `"high"`),
		`{"type":"Feature","geometry":{"type":"LineString","coordinates":[[114,22.5],[114.1,22.6]]},"properties":{}}`,
		`{"type":"Feature","geometry":{"type":"Point","coordinates":[114,22.5]},"properties":{"nope":1}}`,
		`{"type":"Feature","properties":{}}`,
	} {
		if r := ogcSend(t, "POST", base+"/collections/hazards/items", bad, auth); r.status != 400 || r.body["field"] == "" {
			t.Errorf("%s: %d %v", bad, r.status, r.body)
		}
	}
	if count() != n0 {
		t.Fatal("a failed write stored a row")
	}

	r := ogcSend(t, "POST", base+"/collections/hazards/items", feature(a, "新危险源", 2), auth)
	if r.status != 201 || r.header.Get("Location") == "" || r.header.Get("ETag") == "" {
		t.Fatalf("create: %d %v", r.status, r.body)
	}
	item := r.header.Get("Location")
	id := int64(r.body["id"].(float64))
	var name string
	if err := db.Pool.QueryRow(ctx, "SELECT name FROM hazards WHERE id = $1", id).Scan(&name); err != nil || name != "新危险源" {
		t.Fatalf("row: %q %v", name, err)
	}
	ta, tb := maptile.At(a, 15), maptile.At(b, 15)
	if !tileIDs(t, base, "hazards", ta)[uint64(id)] {
		t.Fatal("the created feature is not in the next tile")
	}
	tag := r.header.Get("ETag")

	// Replace with a stale ETag: 412, nothing changes.
	if r := ogcSend(t, "PUT", item, feature(b, "moved", 3), map[string]string{"Authorization": "Bearer plan", "If-Match": `"stale"`}); r.status != 412 || r.body["field"] != "If-Match" {
		t.Fatalf("stale If-Match: %d %v", r.status, r.body)
	}
	// Replace with the current ETag: the whole feature (class dropped).
	r = ogcSend(t, "PUT", item, `{"type":"Feature","geometry":{"type":"Point","coordinates":[114.0801,22.5601]},"properties":{"name":"moved","risk_level":3}}`,
		map[string]string{"Authorization": "Bearer plan", "If-Match": tag})
	if r.status != 200 || r.header.Get("ETag") == tag {
		t.Fatalf("replace: %d %v", r.status, r.body)
	}
	var class *string
	var risk int
	if err := db.Pool.QueryRow(ctx, "SELECT class, risk_level FROM hazards WHERE id = $1", id).Scan(&class, &risk); err != nil || class != nil || risk != 3 {
		t.Fatalf("replaced row: class %v risk %d %v", class, risk, err)
	}
	if !tileIDs(t, base, "hazards", tb)[uint64(id)] || tileIDs(t, base, "hazards", ta)[uint64(id)] {
		t.Fatal("the replaced feature did not move in the tiles")
	}
	// Update one property.
	r = ogcSend(t, "PATCH", item, `{"properties":{"risk_level":4}}`, map[string]string{"Authorization": "Bearer plan", "If-Match": r.header.Get("ETag")})
	if r.status != 200 || r.body["properties"].(map[string]any)["risk_level"].(float64) != 4 || r.body["properties"].(map[string]any)["name"] != "moved" {
		t.Fatalf("patch: %d %v", r.status, r.body)
	}
	// Delete.
	if r := ogcSend(t, "DELETE", item, "", auth); r.status != 204 {
		t.Fatalf("delete: %d %v", r.status, r.body)
	}
	if count() != n0 || tileIDs(t, base, "hazards", tb)[uint64(id)] {
		t.Fatal("the deleted feature remains")
	}
	if r := ogcSend(t, "DELETE", item, "", auth); r.status != 404 {
		t.Fatalf("second delete: %d", r.status)
	}
	// A derived layer is not written here.
	if r := ogcSend(t, "POST", base+"/collections/fire_circles/items", feature(a, "x", 1), auth); r.status != 405 || !strings.Contains(r.body["error"].(string), "derived") {
		t.Fatalf("derived layer: %d %v", r.status, r.body)
	}
}
