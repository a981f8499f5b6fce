package crs_test

import (
	"context"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/spatial/crs"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]crs.CRS{
		"http://www.opengis.net/def/crs/OGC/1.3/CRS84": crs.CRS84,
		"[EPSG:3857]": crs.EPSG3857,
		"EPSG:4490":   crs.EPSG4490,
		"http://www.opengis.net/def/crs/EPSG/0/4326":  crs.EPSG4326,
		"https://www.opengis.net/def/crs/EPSG/0/3857": crs.EPSG3857,
	} {
		got, err := crs.Parse(in)
		if err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := crs.Parse("EPSG:2000"); err == nil {
		t.Error("EPSG:2000 parsed")
	}
}

func TestRoundTrip(t *testing.T) {
	p := orb.Point{114.0123, 22.5432}
	for _, c := range crs.All() {
		back := c.ToWGS84(c.FromWGS84(p)).(orb.Point)
		if math.Abs(back[0]-p[0]) > 1e-9 || math.Abs(back[1]-p[1]) > 1e-9 {
			t.Errorf("%s: %v back as %v", c.URI, p, back)
		}
	}
	if got := crs.EPSG4326.FromWGS84(p).(orb.Point); got != (orb.Point{p[1], p[0]}) {
		t.Errorf("EPSG:4326 is lat,lon: got %v", got)
	}
}

// TestAgainstSTTransform checks EPSG:3857 and EPSG:4490 coordinates equal
// PostGIS's ST_Transform of the same lon/lat within 1 mm (EPSG:4490's lat,
// lon order against ST_Y, ST_X: PostGIS keeps x = lon).
func TestAgainstSTTransform(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	pts := []orb.Point{{114.0123, 22.5432}, {113.9, 22.4}, {114.3, 22.8}, {0, 0}, {-70.5, -33.4}, {151.2, 60.1}}
	const mmDeg = 1e-3 / 111320 // a millimetre in degrees of latitude
	for _, p := range pts {
		var mx, my, gx, gy float64
		err := db.Pool.QueryRow(ctx, `SELECT ST_X(m), ST_Y(m), ST_X(g), ST_Y(g) FROM (SELECT
			ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 3857) AS m,
			ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 4490) AS g) t`, p[0], p[1]).Scan(&mx, &my, &gx, &gy)
		if err != nil {
			t.Fatal(err)
		}
		m := crs.EPSG3857.FromWGS84(p).(orb.Point)
		if math.Abs(m[0]-mx) > 1e-3 || math.Abs(m[1]-my) > 1e-3 {
			t.Errorf("%v in 3857: %v, PostGIS %v %v", p, m, mx, my)
		}
		g := crs.EPSG4490.FromWGS84(p).(orb.Point)
		if math.Abs(g[1]-gx) > mmDeg || math.Abs(g[0]-gy) > mmDeg {
			t.Errorf("%v in 4490: %v (lat, lon), PostGIS x %v y %v", p, g, gx, gy)
		}
		back := crs.EPSG3857.ToWGS84(orb.Point{mx, my}).(orb.Point)
		var lx, ly float64
		if err := db.Pool.QueryRow(ctx, `SELECT ST_X(w), ST_Y(w) FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 3857), 4326) AS w) t`,
			mx, my).Scan(&lx, &ly); err != nil {
			t.Fatal(err)
		}
		if math.Abs(back[0]-lx) > mmDeg || math.Abs(back[1]-ly) > mmDeg {
			t.Errorf("3857 %v %v back: %v, PostGIS %v %v", mx, my, back, lx, ly)
		}
	}
}
