package postgis

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
)

// geometryOf returns a small geometry of type t near (lon, lat), with a
// hole in polygons so that rings are exercised.
func geometryOf(t layers.GeomType, lon, lat float64) orb.Geometry {
	ring := func(x, y, d float64) orb.Ring {
		return orb.Ring{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}
	}
	hole := ring(lon+0.003, lat+0.003, 0.002)
	hole.Reverse()
	poly := orb.Polygon{ring(lon, lat, 0.01), hole}
	line := orb.LineString{{lon, lat}, {lon + 0.001, lat + 0.0005}, {lon + 0.0023, lat - 0.0001}}
	switch t {
	case layers.Point:
		return orb.Point{lon, lat}
	case layers.LineString:
		return line
	case layers.Polygon:
		return poly
	case layers.MultiPoint:
		return orb.MultiPoint{{lon, lat}, {lon + 0.001, lat}}
	case layers.MultiLineString:
		return orb.MultiLineString{line, {{lon, lat + 0.01}, {lon + 0.01, lat + 0.01}}}
	default:
		return orb.MultiPolygon{poly, {ring(lon+0.02, lat, 0.005)}}
	}
}

// valueOf is a property value of field type t, varied by i.
func valueOf(t layers.FieldType, i int) any {
	switch t {
	case layers.Int:
		return int64(i*1000003 - 7)
	case layers.Float:
		return float64(i) + 0.1 + 1e-9
	case layers.Bool:
		return i%2 == 0
	default:
		return fmt.Sprintf("值 %d 'q\" \\ x", i)
	}
}

// smallDistrict is a hand-made district with n features in every thematic
// layer (every field type, some properties absent) and every table.
func smallDistrict(n int) *data.District {
	d := &data.District{Name: "示范区", NameEN: "Demo", Synthetic: true, Year: 2026, Layers: map[string][]layers.Feature{}}
	for li, s := range layers.SourceSchemas(layers.OwnerPostGIS, true) {
		var fs []layers.Feature
		for i := 0; i < n; i++ {
			props := map[string]any{}
			for fi, f := range s.Fields {
				if (i+fi)%5 == 4 {
					continue // absent: NULL in the table
				}
				props[f.Name] = valueOf(f.Type, i+fi)
			}
			lon := 116.3 + float64(i%100)*0.013 + float64(li)*1e-7
			lat := 39.9 + float64(i/100)*0.013
			fs = append(fs, layers.Feature{ID: int64(10*i + li + 1), Geometry: geometryOf(s.Geometry, lon, lat), Properties: props})
		}
		d.Layers[s.Name] = fs
	}
	d.Ages = []data.AgeRow{{Grid: "G1", Age: 0, Residents: 10, Floating: 2}, {Grid: "G1", Age: 17, Residents: 12, Floating: 0}, {Grid: "G2", Age: 3, Residents: 5, Floating: 1}}
	d.Groups = []data.GroupRow{{Grid: "G1", Aged60Plus: 100, WorkingAge: 600, Dwellings: 300, Jobs: 50}, {Grid: "G2", Aged60Plus: 1, WorkingAge: 2, Dwellings: 3, Jobs: 4}}
	d.Births = []data.BirthRow{{Grid: "G1", Year: 2017, Births: 9}, {Grid: "G1", Year: 2026, Births: 11}}
	d.Catchments = []data.CatchmentRow{{Code: "C1", SchoolID: 3, Level: "primary", Grids: []string{"G1", "G2"}}, {Code: "C2", SchoolID: 5, Level: "junior"}}
	d.Enrolment = []data.EnrolmentRow{{SchoolID: 3, Year: 2026, Grade: 1, Pupils: 40}, {SchoolID: 3, Year: 2026, Grade: 2, Pupils: 38}}
	d.Housing = []data.HousingProject{
		{ID: 1, Name: "一号", Grid: "G1", Lon: 116.31234567891234, Lat: 39.912345678912345, Dwellings: map[string]int{"commodity": 300, "rental": 50}, Completion: 2027},
		{ID: 2, Name: "二号", Grid: "G2", Lon: 116.4, Lat: 39.95, Completion: 2028},
	}
	return d
}

// migrated is a fresh test schema with onemap's tables.
func migrated(t testing.TB) *pgtest.DB {
	t.Helper()
	db := pgtest.New(t)
	if err := Migrate(context.Background(), db.Pool); err != nil {
		t.Fatal(err)
	}
	return db
}

// equalDistricts reports the first difference between want and got.
func equalDistricts(t *testing.T, want, got *data.District) {
	t.Helper()
	if want.Name != got.Name || want.NameEN != got.NameEN || want.Synthetic != got.Synthetic || want.Year != got.Year {
		t.Errorf("district row: got %q %q %v %d, want %q %q %v %d", got.Name, got.NameEN, got.Synthetic, got.Year, want.Name, want.NameEN, want.Synthetic, want.Year)
	}
	for _, s := range layers.SourceSchemas(layers.OwnerPostGIS, false) {
		w, g := want.Layers[s.Name], got.Layers[s.Name]
		if len(w) != len(g) {
			t.Errorf("%s: %d features, want %d", s.Name, len(g), len(w))
			continue
		}
		for i := range w {
			if !reflect.DeepEqual(w[i], g[i]) {
				t.Errorf("%s[%d]:\n got %#v\nwant %#v", s.Name, i, g[i], w[i])
				break
			}
		}
	}
	for name, pair := range map[string][2]any{
		"ages": {want.Ages, got.Ages}, "groups": {want.Groups, got.Groups}, "births": {want.Births, got.Births},
		"catchments": {want.Catchments, got.Catchments}, "enrolment": {want.Enrolment, got.Enrolment}, "housing": {want.Housing, got.Housing},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, pair[1], pair[0])
		}
	}
}

func TestMigrateCreatesEveryColumn(t *testing.T) {
	db := migrated(t)
	ctx := context.Background()
	if err := Migrate(ctx, db.Pool); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	for _, s := range layers.SourceSchemas(layers.OwnerPostGIS, false) {
		cols := map[string]string{}
		rows, _ := db.Pool.Query(ctx, `SELECT column_name, CASE WHEN data_type = 'USER-DEFINED' THEN udt_name ELSE data_type END
			FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`, db.Schema, s.Name)
		var name, typ string
		if _, err := pgx.ForEachRow(rows, []any{&name, &typ}, func() error { cols[name] = typ; return nil }); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"id": "bigint", "geom": "geometry", "updated_at": "timestamp with time zone"}
		for _, f := range s.Fields {
			want[f.Name] = ColumnType(f.Type)
		}
		if !reflect.DeepEqual(cols, want) {
			t.Errorf("table %s columns %v, want %v", s.Name, cols, want)
		}
		var gt string
		var srid int
		if err := db.Pool.QueryRow(ctx, `SELECT type, srid FROM geometry_columns WHERE f_table_schema = $1 AND f_table_name = $2 AND f_geometry_column = 'geom'`,
			db.Schema, s.Name).Scan(&gt, &srid); err != nil {
			t.Fatalf("%s geometry column: %v", s.Name, err)
		}
		if !strings.EqualFold(gt, string(s.Geometry)) || srid != 4326 {
			t.Errorf("%s geometry %s/%d, want %s/4326", s.Name, gt, srid, s.Geometry)
		}
		var gist, triggers int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexdef ILIKE '%USING gist (geom)%'`,
			db.Schema, s.Name).Scan(&gist); err != nil {
			t.Fatal(err)
		}
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname IN ('onemap_touch', 'onemap_notify')`,
			pgx.Identifier{db.Schema, s.Name}.Sanitize()).Scan(&triggers); err != nil {
			t.Fatal(err)
		}
		if gist != 1 || triggers != 2 {
			t.Errorf("%s: %d GiST indexes on geom and %d triggers, want 1 and 2", s.Name, gist, triggers)
		}
	}
}

func TestMigrateAddsNewFieldColumns(t *testing.T) {
	db := migrated(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `ALTER TABLE schools DROP COLUMN seats`); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, db.Pool); err != nil {
		t.Fatal(err)
	}
	var typ string
	if err := db.Pool.QueryRow(ctx, `SELECT data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'schools' AND column_name = 'seats'`,
		db.Schema).Scan(&typ); err != nil || typ != "bigint" {
		t.Fatalf("seats after migration: %q, %v; want bigint", typ, err)
	}
}

func TestWriteReadRoundTrip(t *testing.T) {
	db := migrated(t)
	ctx := context.Background()
	want := smallDistrict(30)
	if err := Write(ctx, db.Pool, want); err != nil {
		t.Fatal(err)
	}
	got, err := Read(ctx, db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	equalDistricts(t, want, got)
	var srids []int
	if err := db.Pool.QueryRow(ctx, "SELECT array_agg(DISTINCT ST_SRID(geom)) FROM (SELECT geom FROM grids UNION ALL SELECT geom FROM housing_projects) g").Scan(&srids); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(srids, []int{4326}) {
		t.Errorf("stored SRIDs %v, want [4326]", srids)
	}

	// Writing again replaces everything rather than adding to it.
	next := smallDistrict(3)
	next.Name = "另一个"
	if err := Write(ctx, db.Pool, next); err != nil {
		t.Fatal(err)
	}
	if got, err = Read(ctx, db.Pool); err != nil {
		t.Fatal(err)
	}
	equalDistricts(t, next, got)
}

func TestReadEmptyDatabase(t *testing.T) {
	db := migrated(t)
	d, err := Read(context.Background(), db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range layers.SourceSchemas(layers.OwnerPostGIS, false) {
		if fs, ok := d.Layers[s.Name]; !ok || len(fs) != 0 {
			t.Errorf("layer %s: present %v, %d features; want present and empty", s.Name, ok, len(fs))
		}
	}
	if d.Name != "" || d.Ages != nil || d.Housing != nil {
		t.Errorf("empty database read as %+v", d)
	}
}

func TestWriteRejectsBadFeaturesAndKeepsContent(t *testing.T) {
	db := migrated(t)
	ctx := context.Background()
	good := smallDistrict(4)
	if err := Write(ctx, db.Pool, good); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		spoil func(d *data.District)
		want  string
	}{
		{"int as string", func(d *data.District) { d.Layers[layers.Schools][1].Properties["seats"] = "900" }, `"seats"`},
		{"unknown property", func(d *data.District) { d.Layers[layers.Roads][0].Properties["colour"] = "red" }, `"colour"`},
		{"wrong geometry", func(d *data.District) { d.Layers[layers.Cameras][2].Geometry = orb.LineString{{1, 2}, {3, 4}} }, "Point"},
		{"no geometry", func(d *data.District) { d.Layers[layers.Hospitals][0].Geometry = nil }, "no geometry"},
		{"unknown layer", func(d *data.District) { d.Layers["parks"] = nil }, "parks"},
		{"duplicate id", func(d *data.District) {
			d.Layers[layers.Hazards] = append(d.Layers[layers.Hazards], d.Layers[layers.Hazards][0])
		}, "hazards"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := smallDistrict(4)
			bad.Name = "spoilt"
			c.spoil(bad)
			err := Write(ctx, db.Pool, bad)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Write: %v, want an error mentioning %s", err, c.want)
			}
			got, err := Read(ctx, db.Pool)
			if err != nil {
				t.Fatal(err)
			}
			equalDistricts(t, good, got)
		})
	}
}

func TestWriteConformsGeometryAndNumbers(t *testing.T) {
	db := migrated(t)
	ctx := context.Background()
	d := smallDistrict(1)
	poly := orb.Polygon{{{116, 39}, {116.1, 39}, {116.1, 39.1}, {116, 39}}}
	d.Layers[layers.Grids][0].Geometry = poly                     // a Polygon in a MultiPolygon layer
	d.Layers[layers.Schools][0].Properties["seats"] = 900         // int, not int64
	d.Layers[layers.Roads][0].Properties["speed_kmh"] = int64(40) // integer for a float field
	if err := Write(ctx, db.Pool, d); err != nil {
		t.Fatal(err)
	}
	got, err := Read(ctx, db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if g := got.Layers[layers.Grids][0].Geometry; !orb.Equal(g, orb.MultiPolygon{poly}) {
		t.Errorf("grid geometry read as %#v, want the polygon as a multipolygon", g)
	}
	if v := got.Layers[layers.Schools][0].Properties["seats"]; v != int64(900) {
		t.Errorf("seats read as %#v, want int64(900)", v)
	}
	if v := got.Layers[layers.Roads][0].Properties["speed_kmh"]; v != float64(40) {
		t.Errorf("speed read as %#v, want float64(40)", v)
	}
}

func TestTriggersNotifyAndTouch(t *testing.T) {
	db := migrated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := Write(ctx, db.Pool, smallDistrict(2)); err != nil {
		t.Fatal(err)
	}
	cfg := db.Pool.Config().ConnConfig.Copy()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN onemap_changes"); err != nil {
		t.Fatal(err)
	}
	var before time.Time
	if err := db.Pool.QueryRow(ctx, "SELECT updated_at FROM schools WHERE id = $1", schoolID(t, db.Pool)).Scan(&before); err != nil {
		t.Fatal(err)
	}
	id := schoolID(t, db.Pool)
	stmts := []string{
		"INSERT INTO schools (id, geom, name) VALUES (99999, ST_SetSRID(ST_MakePoint(116.3, 39.9), 4326), 'new')",
		fmt.Sprintf("UPDATE schools SET seats = 1 WHERE id = %d", id),
		"UPDATE schools SET id = 99998 WHERE id = 99999",
		"DELETE FROM schools WHERE id = 99998",
	}
	want := []string{
		`{"schema" : "%s", "table" : "schools", "op" : "insert", "id" : 99999}`,
		`{"schema" : "%s", "table" : "schools", "op" : "update", "id" : ` + fmt.Sprint(id) + `}`,
		`{"schema" : "%s", "table" : "schools", "op" : "delete", "id" : 99999}`,
		`{"schema" : "%s", "table" : "schools", "op" : "update", "id" : 99998}`,
		`{"schema" : "%s", "table" : "schools", "op" : "delete", "id" : 99998}`,
	}
	for _, s := range stmts {
		if _, err := db.Pool.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	for _, w := range want {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if w := fmt.Sprintf(w, db.Schema); n.Payload != w {
			t.Errorf("notification %s, want %s", n.Payload, w)
		}
	}
	var after time.Time
	if err := db.Pool.QueryRow(ctx, "SELECT updated_at FROM schools WHERE id = $1", id).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if !after.After(before) {
		t.Errorf("updated_at %v after the update, was %v", after, before)
	}
}

// schoolID is the smallest school id in the test schema.
func schoolID(t *testing.T, pool *pgxpool.Pool) int64 {
	t.Helper()
	var id int64
	if err := pool.QueryRow(context.Background(), "SELECT min(id) FROM schools").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestConform(t *testing.T) {
	p := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}
	l := orb.LineString{{0, 0}, {1, 1}}
	cases := []struct {
		in   orb.Geometry
		t    layers.GeomType
		want orb.Geometry
	}{
		{orb.Point{1, 2}, layers.Point, orb.Point{1, 2}},
		{orb.MultiPoint{{1, 2}}, layers.Point, orb.Point{1, 2}},
		{orb.MultiPoint{{1, 2}, {3, 4}}, layers.Point, nil},
		{p, layers.MultiPolygon, orb.MultiPolygon{p}},
		{orb.MultiPolygon{p}, layers.Polygon, p},
		{orb.MultiPolygon{p, p}, layers.Polygon, nil},
		{l, layers.MultiLineString, orb.MultiLineString{l}},
		{orb.MultiLineString{l}, layers.LineString, l},
		{orb.Point{1, 2}, layers.MultiPoint, orb.MultiPoint{{1, 2}}},
		{l, layers.Polygon, nil},
		{nil, layers.Point, nil},
	}
	for _, c := range cases {
		got, err := conform(c.in, c.t)
		if (err != nil) != (c.want == nil) || (c.want != nil && !orb.Equal(got, c.want)) {
			t.Errorf("conform(%v, %s) = %v, %v; want %v", c.in, c.t, got, err, c.want)
		}
	}
}

func TestColumnValue(t *testing.T) {
	cases := []struct {
		v    any
		t    layers.FieldType
		want any
		ok   bool
	}{
		{int64(5), layers.Int, int64(5), true},
		{7, layers.Int, int64(7), true},
		{int32(-7), layers.Int, int64(-7), true},
		{5.0, layers.Int, nil, false},
		{"5", layers.Int, nil, false},
		{2.5, layers.Float, 2.5, true},
		{int64(3), layers.Float, 3.0, true},
		{"x", layers.String, "x", true},
		{5, layers.String, nil, false},
		{true, layers.Bool, true, true},
		{1, layers.Bool, nil, false},
		{nil, layers.Int, nil, true},
	}
	for _, c := range cases {
		got, err := columnValue(c.v, c.t)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("columnValue(%#v, %s) = %#v, %v; want %#v, ok %v", c.v, c.t, got, err, c.want, c.ok)
		}
	}
}
