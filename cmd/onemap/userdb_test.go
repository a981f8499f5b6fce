package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers/postgis"
)

// userSQL is a district's own PostGIS as a new user brings it: grids in
// CGCS2000 (EPSG:4490) with Chinese column names, fire stations, a table in
// Web Mercator, a view, and a table without a primary key.
const userSQL = `
CREATE TABLE wangge (
	gid serial PRIMARY KEY,
	"网格编码" text, "网格名称" text, "社区编码" text, "人口" integer, "面积" numeric, "更新日期" date,
	"属性" jsonb, "启用" boolean,
	geom geometry(MultiPolygon, 4490));
INSERT INTO wangge ("网格编码", "网格名称", "社区编码", "人口", "面积", "更新日期", "属性", "启用", geom)
SELECT 'G' || i || j, '网格' || i || '-' || j, 'C' || i, 100 * (i + j), 0.25, DATE '2026-01-01' + i,
	jsonb_build_object('类型', '居住', 'n', i), i = j,
	ST_Multi(ST_MakeEnvelope(114.00 + i * 0.01, 22.50 + j * 0.01, 114.01 + i * 0.01, 22.51 + j * 0.01, 4490))
FROM generate_series(0, 2) i, generate_series(0, 2) j;
COMMENT ON TABLE wangge IS '网格';
CREATE TABLE xiaofangzhan (id bigint PRIMARY KEY, "名称" text, "车辆数" integer, geom geometry(Point, 4490));
INSERT INTO xiaofangzhan VALUES (1, '福田消防站', 6, ST_SetSRID(ST_MakePoint(114.005, 22.505), 4490)),
	(2, '香蜜湖消防站', 4, ST_SetSRID(ST_MakePoint(114.025, 22.525), 4490));
CREATE TABLE poi_3857 (id integer PRIMARY KEY, name text, geom geometry(Point, 3857));
INSERT INTO poi_3857 SELECT i, 'poi ' || i, ST_Transform(ST_SetSRID(ST_MakePoint(114.0 + i * 0.003, 22.5 + i * 0.002), 4326), 3857)
FROM generate_series(1, 10) i;
CREATE TABLE nopk (name text, kind text, geom geometry(LineString, 4326));
INSERT INTO nopk VALUES ('甲路', 'a', ST_GeomFromText('LINESTRING(114.0 22.5, 114.02 22.52)', 4326)),
	('乙路', 'b', ST_GeomFromText('LINESTRING(114.01 22.5, 114.03 22.52)', 4326));
CREATE VIEW big_grids AS SELECT gid, "网格名称", geom FROM wangge WHERE "人口" >= 300;
`

// catalogState is what a server could have written to the schemas: their
// relations, columns, triggers, functions and the public schema's tables.
func catalogState(t *testing.T, pool *pgxpool.Pool, schema string) string {
	t.Helper()
	var s string
	err := pool.QueryRow(context.Background(), `SELECT
		(SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text, ',' ORDER BY n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ($1, 'public'))
		|| '|' || (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1)
		|| '|' || (SELECT count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ($1, 'public'))
		|| '|' || (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1)
		|| '|' || (SELECT count(*) FROM pg_publication) || '|' || (SELECT count(*) FROM pg_replication_slots)`, schema).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readOnlyRole makes a login role that may only read the schema's tables,
// and returns its URL.
func readOnlyRole(t *testing.T, db *pgtest.DB) string {
	t.Helper()
	ctx := context.Background()
	role := "ro_" + db.Schema
	for _, q := range []string{
		fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD 'ro'`, role),
		fmt.Sprintf(`ALTER ROLE %s SET default_transaction_read_only = on`, role),
		fmt.Sprintf(`GRANT USAGE ON SCHEMA %s TO %s`, db.Schema, role),
		fmt.Sprintf(`GRANT SELECT ON ALL TABLES IN SCHEMA %s TO %s`, db.Schema, role),
	} {
		if _, err := db.Pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = db.Pool.Exec(context.Background(), fmt.Sprintf("DROP OWNED BY %s", role))
		_, _ = db.Pool.Exec(context.Background(), fmt.Sprintf("DROP ROLE %s", role))
	})
	base := os.Getenv(pgtest.Env)
	u := strings.Replace(base, "postgres:postgres@", role+":ro@", 1)
	if u == base {
		t.Skip("cannot make a read-only role URL from " + pgtest.Env)
	}
	return pgtest.WithSearchPath(u, db.Schema)
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %d %s: %v", url, resp.StatusCode, b, err)
	}
	return resp.StatusCode
}

type featureCollection struct {
	Features []struct {
		ID         any            `json:"id"`
		Geometry   map[string]any `json:"geometry"`
		Properties map[string]any `json:"properties"`
	} `json:"features"`
}

// TestServeUserDatabaseReadOnly: serve --db on a database onemap has never
// seen publishes every table and view with a geometry (any SRID, typed
// properties, ids from the key or stable hashes), writes nothing, works as
// a role that may only read, and says that dispatch needs roads.
func TestServeUserDatabaseReadOnly(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, userSQL); err != nil {
		t.Fatal(err)
	}
	before := catalogState(t, db.Pool, db.Schema)
	cfg := defaultConfig()
	cfg.db = readOnlyRole(t, db)
	s := startApp(t, cfg)

	var cols struct {
		Collections []struct{ ID string } `json:"collections"`
	}
	getJSON(t, s.URL+"/collections", &cols)
	have := map[string]bool{}
	for _, c := range cols.Collections {
		have[c.ID] = true
	}
	for _, want := range []string{"wangge", "xiaofangzhan", "poi_3857", "nopk", "big_grids"} {
		if !have[want] {
			t.Errorf("collection %s not published: %v", want, cols.Collections)
		}
	}

	// Typed properties with the Chinese column names.
	var fc featureCollection
	getJSON(t, s.URL+"/collections/wangge/items?limit=20", &fc)
	if len(fc.Features) != 9 {
		t.Fatalf("wangge: %d features, want 9", len(fc.Features))
	}
	p := fc.Features[0].Properties
	if _, ok := p["人口"].(float64); !ok {
		t.Errorf("人口 not a number: %#v", p["人口"])
	}
	if _, ok := p["启用"].(bool); !ok {
		t.Errorf("启用 not a bool: %#v", p["启用"])
	}
	if d, _ := p["更新日期"].(string); !strings.HasPrefix(d, "2026-01-0") {
		t.Errorf("更新日期 not an ISO date: %#v", p["更新日期"])
	}
	if j, _ := p["属性"].(string); !strings.Contains(j, "居住") {
		t.Errorf("属性 not JSON text: %#v", p["属性"])
	}
	if fc.Features[0].ID != float64(1) {
		t.Errorf("wangge ids are not the primary key: %v", fc.Features[0].ID)
	}

	// 3857 reprojected as PostGIS does.
	var want [2]float64
	if err := db.Pool.QueryRow(ctx, `SELECT ST_X(ST_Transform(geom, 4326)), ST_Y(ST_Transform(geom, 4326)) FROM poi_3857 WHERE id = 7`).Scan(&want[0], &want[1]); err != nil {
		t.Fatal(err)
	}
	var one struct {
		Geometry struct{ Coordinates []float64 }
	}
	if st := getJSON(t, s.URL+"/collections/poi_3857/items/7", &one); st != 200 {
		t.Fatalf("poi 7: %d", st)
	}
	if c := one.Geometry.Coordinates; len(c) != 2 || math.Abs(c[0]-want[0]) > 1e-9 || math.Abs(c[1]-want[1]) > 1e-9 {
		t.Errorf("poi 7 at %v, ST_Transform says %v", c, want)
	}

	// The view, and the table without a key (stable hashed ids).
	fc = featureCollection{}
	getJSON(t, s.URL+"/collections/big_grids/items", &fc)
	if len(fc.Features) != 3 {
		t.Errorf("view: %d features, want 3", len(fc.Features))
	}
	fc = featureCollection{}
	getJSON(t, s.URL+"/collections/nopk/items", &fc)
	if len(fc.Features) != 2 {
		t.Fatalf("nopk: %d features", len(fc.Features))
	}
	ids := fmt.Sprint(fc.Features[0].ID, fc.Features[1].ID)
	s2 := startApp(t, cfg)
	getJSON(t, s2.URL+"/collections/nopk/items", &fc)
	if again := fmt.Sprint(fc.Features[0].ID, fc.Features[1].ID); again != ids {
		t.Errorf("nopk ids not stable across restarts: %s then %s", ids, again)
	}

	// Tiles decode and hold the grids; the style draws the new layers.
	tile := maptile.At(orb.Point{114.015, 22.515}, 14)
	if got := tileIDs(t, s.URL, "wangge", tile); len(got) == 0 {
		t.Error("no wangge features in their tile")
	}
	var style struct {
		Layers []struct {
			ID          string `json:"id"`
			SourceLayer string `json:"source-layer"`
		} `json:"layers"`
	}
	getJSON(t, s.URL+"/style.json", &style)
	styled := map[string]bool{}
	for _, l := range style.Layers {
		styled[l.SourceLayer] = true
	}
	for _, want := range []string{"wangge", "poi_3857", "nopk"} {
		if !styled[want] {
			t.Errorf("style has no layer for %s", want)
		}
	}

	// No roads: dispatch says why, as JSON.
	var e struct{ Error string }
	if st := getJSON(t, s.URL+"/api/dispatch/nearest?lon=114.01&lat=22.51", &e); st != 503 || !strings.Contains(e.Error, "roads") {
		t.Errorf("dispatch without roads: %d %q", st, e.Error)
	}
	var h map[string]any
	getJSON(t, s.URL+"/healthz", &h)
	pg, _ := h["postgis"].(map[string]any)
	if ut, _ := pg["user_tables"].(map[string]any); ut["mode"] != "poll" {
		t.Errorf("healthz does not say how user tables are followed: %v", h)
	}

	if after := catalogState(t, db.Pool, db.Schema); after != before {
		t.Errorf("serve wrote to the database:\nbefore %s\nafter  %s", before, after)
	}
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "onemap.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServeUserDatabaseWithRoles: onemap.toml maps a CGCS2000 grid table
// with Chinese columns onto the grid role, so that locate and stats work
// on it; fire stations keep their columns; edits of the user's tables show
// within a second by polling.
func TestServeUserDatabaseWithRoles(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, userSQL); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.db = readOnlyRole(t, db)
	// The README's example, with the test's schema for public.
	example, err := os.ReadFile("../../layers/config/examples/district.onemap.toml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.config = writeFile(t, strings.Replace(string(example), `schemas = ["public"]`, `schemas = ["`+db.Schema+`"]`, 1))
	s := startApp(t, cfg)

	var loc struct {
		Grid map[string]any `json:"grid"`
	}
	if st := getJSON(t, s.URL+"/api/locate?lon=114.015&lat=22.525", &loc); st != 200 || loc.Grid["code"] != "G12" {
		t.Fatalf("locate: %d %v", st, loc)
	}
	var stats map[string]any
	if st := getJSON(t, s.URL+"/api/stats?code=G00", &stats); st != 200 {
		t.Fatalf("stats: %d %v", st, stats)
	}
	if fire, _ := stats["fire_stations"].(map[string]any); fire["total"] != float64(1) || fire["available"] != float64(1) {
		t.Errorf("stats of G00 count its fire station available by default: %v", stats["fire_stations"])
	}
	var fc featureCollection
	getJSON(t, s.URL+"/collections/grids/items?limit=1", &fc)
	if p := fc.Features[0].Properties; p["code"] != "G00" || p["residents"] != float64(0) || p["面积"] != 0.25 || p["level"] != "grid" {
		t.Errorf("grid properties: %v", p)
	}
	fc = featureCollection{}
	getJSON(t, s.URL+"/collections/pois/items?limit=1", &fc)
	if p := fc.Features[0].Properties; p["名称"] != "poi 1" || len(p) != 1 {
		t.Errorf("renamed columns: %v", p)
	}
	if _, ok := stringSet(t, s.URL+"/collections")["wangge"]; ok {
		t.Error("wangge published twice: as grids and by itself")
	}

	// An edit of the user's table, through the owner's connection.
	if _, err := db.Pool.Exec(ctx, `UPDATE wangge SET "网格名称" = '新名字' WHERE "网格编码" = 'G11'`); err != nil {
		t.Fatal(err)
	}
	d := eventually(t, "edit of wangge", func() bool {
		var one struct{ Properties map[string]any }
		getJSON(t, s.URL+"/collections/grids/items/5", &one)
		return one.Properties["name"] == "新名字"
	})
	t.Logf("edit visible after %v", d)
	if _, err := db.Pool.Exec(ctx, `INSERT INTO nopk VALUES ('丙路', 'c', ST_GeomFromText('LINESTRING(114.0 22.51, 114.02 22.53)', 4326))`); err != nil {
		t.Fatal(err)
	}
	d = eventually(t, "insert into nopk", func() bool {
		var fc featureCollection
		getJSON(t, s.URL+"/collections/nopk/items", &fc)
		return len(fc.Features) == 3
	})
	t.Logf("insert visible after %v", d)
}

func stringSet(t *testing.T, url string) map[string]bool {
	var cols struct {
		Collections []struct{ ID string } `json:"collections"`
	}
	getJSON(t, url, &cols)
	out := map[string]bool{}
	for _, c := range cols.Collections {
		out[c.ID] = true
	}
	return out
}

// TestServeBadConfig: mistakes in onemap.toml stop the start-up with a
// message naming the table and column, and exit status 2.
func TestServeBadConfig(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, userSQL+`CREATE TABLE secret (id int PRIMARY KEY, geom geometry(Point, 4326));`); err != nil {
		t.Fatal(err)
	}
	url := readOnlyRole(t, db)
	if _, err := db.Pool.Exec(ctx, "REVOKE SELECT ON secret FROM ro_"+db.Schema); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, toml, want string }{
		{"unknown column", "[[layers]]\ntable = \"wangge\"\nrole = \"grids\"\n[layers.fields]\ncode = \"编码\"\n", `column "编码": no such column`},
		{"required field", "[[layers]]\ntable = \"wangge\"\nrole = \"grids\"\n", `needs field code`},
		{"wrong geometry", "[[layers]]\ntable = \"xiaofangzhan\"\nrole = \"grids\"\n[layers.fields]\ncode = \"名称\"\n", `is Point, but role grids needs polygons`},
		{"unreadable table", "[[layers]]\ntable = \"secret\"\n", `may not read secret`},
		{"missing table", "[[layers]]\ntable = \"nowhere\"\n", `no table or view nowhere`},
		{"unknown role", "[[layers]]\ntable = \"wangge\"\nrole = \"grid\"\n", `unknown role "grid"`},
		{"unknown key", "[[layers]]\ntable = \"wangge\"\nzoom = 3\n", `unknown keys: layers.zoom`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", url, "--config", writeFile(t, c.toml), "--log-level", "error"}, io.Discard, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), c.want)
			}
		})
	}
}

// TestInitCreatesOnemapTables: `onemap init` is the explicit step that
// creates onemap's tables; serve then reads and follows them, and tells in
// /healthz that their triggers are in force.
func TestInitCreatesOnemapTables(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"init", "--db", db.URL}, &out, &errb); code != 0 || !strings.Contains(out.String(), "created onemap's tables") {
		t.Fatalf("init: exit %d, %q %q", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run(ctx, []string{"init", "--db", db.URL}, &out, &errb); code != 0 || !strings.Contains(out.String(), "nothing to do") {
		t.Fatalf("init again: exit %d, %q", code, out.String())
	}
	st, err := postgis.Inspect(ctx, db.Pool)
	if err != nil || !st.Initialised() || !st.Triggers || !st.Writable {
		t.Fatalf("after init: %+v %v", st, err)
	}
	cfg := defaultConfig()
	cfg.db = db.URL
	s := startApp(t, cfg)
	var h map[string]any
	getJSON(t, s.URL+"/healthz", &h)
	pg, _ := h["postgis"].(map[string]any)
	if sync, _ := pg["onemap_sync"].(map[string]any); sync["mode"] != "notify triggers" {
		t.Errorf("healthz after init: %v", pg)
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO hazards (id, geom, name) VALUES (7, ST_SetSRID(ST_MakePoint(114.05, 22.55), 4326), '新')`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "insert into onemap's hazards table", func() bool { return status(t, s.URL+"/collections/hazards/items/7") == 200 })
}
