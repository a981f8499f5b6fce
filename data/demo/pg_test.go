package demo

import (
	"context"
	"testing"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb/encoding/wkb"
)

// TestGeometryValidInPostGIS cross-checks the demo polygons with PostGIS:
// every polygon is valid (ST_IsValid), and every grid, community and street
// is covered by its parent (ST_Covers); no two units of a level (streets,
// communities, grids, primary or junior catchments) share any area.
func TestGeometryValidInPostGIS(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	d := demo()
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE g (layer text, id bigint, code text, parent text, geom geometry)`); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{layers.Water, layers.Districts, layers.Streets, layers.Communities, layers.Grids, layers.Catchments, layers.Buildings} {
		var ids []int64
		var codes, parents []string
		var geoms [][]byte
		for _, f := range d.Layers[name] {
			b, err := wkb.Marshal(f.Geometry)
			if err != nil {
				t.Fatal(err)
			}
			code, _ := f.Properties["code"].(string)
			parent, _ := f.Properties["parent_code"].(string)
			ids, codes, parents, geoms = append(ids, f.ID), append(codes, code), append(parents, parent), append(geoms, b)
		}
		if _, err := db.Pool.Exec(ctx, `INSERT INTO g SELECT $1, i, c, p, ST_GeomFromWKB(w, 4326)
			FROM unnest($2::bigint[], $3::text[], $4::text[], $5::bytea[]) AS t(i, c, p, w)`, name, ids, codes, parents, geoms); err != nil {
			t.Fatalf("insert %s: %v", name, err)
		}
	}
	rows, err := db.Pool.Query(ctx, `SELECT layer, id, ST_IsValidReason(geom) FROM g WHERE NOT ST_IsValid(geom) LIMIT 10`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var layer, reason string
		var id int64
		if err := rows.Scan(&layer, &id, &reason); err != nil {
			t.Fatal(err)
		}
		t.Errorf("%s %d invalid: %s", layer, id, reason)
	}
	rows.Close()
	var uncovered, overlaps int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM g c JOIN g p ON p.code = c.parent
		WHERE c.layer IN ('streets', 'communities', 'grids') AND NOT ST_Covers(p.geom, c.geom)`).Scan(&uncovered); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM g a JOIN g b ON a.layer = b.layer AND a.id < b.id AND a.geom && b.geom
		WHERE a.layer IN ('streets', 'communities', 'grids', 'catchments') AND left(a.code, 1) = left(b.code, 1) AND ST_Area(ST_Intersection(a.geom, b.geom)) > 1e-12`).Scan(&overlaps); err != nil {
		t.Fatal(err)
	}
	if uncovered != 0 || overlaps != 0 {
		t.Errorf("%d units not covered by their parent, %d pairs of siblings overlap", uncovered, overlaps)
	}
}
