package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/internal/refdata"
)

// importOSM2pgsql imports an extract into the test schema with Debian's
// osm2pgsql (default style, EPSG:3857), sorting it with osmium first when
// osm2pgsql refuses unsorted input. It skips without the tools.
func importOSM2pgsql(t *testing.T, db *pgtest.DB, pbf string) {
	t.Helper()
	if _, err := exec.LookPath("osm2pgsql"); err != nil {
		t.Skip("osm2pgsql not installed (apt-get install osm2pgsql; .ci/test.sh does)")
	}
	run := func(file string) ([]byte, error) {
		cmd := exec.Command("osm2pgsql", "--create", "--output-pgsql-schema="+db.Schema, "--middle-schema="+db.Schema,
			"-d", os.Getenv(pgtest.Env), file)
		return cmd.CombinedOutput()
	}
	out, err := run(pbf)
	if err != nil && strings.Contains(string(out), "not ordered") {
		if _, lerr := exec.LookPath("osmium"); lerr != nil {
			t.Skipf("%s is not sorted and osmium is not installed (apt-get install osmium-tool)", pbf)
		}
		sorted := filepath.Join(t.TempDir(), "sorted.osm.pbf")
		if o, err := exec.Command("osmium", "sort", "-o", sorted, pbf).CombinedOutput(); err != nil {
			t.Fatalf("osmium sort: %v\n%s", err, o)
		}
		out, err = run(sorted)
	}
	if err != nil {
		t.Fatalf("osm2pgsql: %v\n%s", err, out)
	}
}

// TestServeOSM2pgsql: extracts nobody here made, imported with osm2pgsql,
// are served by the built-in profile: the layers are there, tiles decode,
// features page, dispatch answers on the roads, and the hierarchy (where
// the extract has admin boundaries) locates a point.
func TestServeOSM2pgsql(t *testing.T) {
	for _, c := range []struct {
		file      string
		at        orb.Point // a point on the road network
		hierarchy bool
	}{
		{"liechtenstein-latest.osm.pbf", orb.Point{9.52, 47.14}, true},
		{"baltimore.osm.pbf", orb.Point{-76.61, 39.29}, false},
	} {
		t.Run(c.file, func(t *testing.T) {
			pbf := filepath.Join(refdata.Path(t, "osm"), c.file)
			db := pgtest.New(t)
			importOSM2pgsql(t, db, pbf)
			cfg := defaultConfig()
			cfg.db = db.URL
			s := startApp(t, cfg)

			var h struct {
				Layers map[string]int `json:"layers"`
			}
			getJSON(t, s.URL+"/healthz", &h)
			for _, l := range []string{"roads", "buildings", "fire_stations", "schools"} {
				if h.Layers[l] == 0 {
					t.Errorf("layer %s empty: %v", l, h.Layers)
				}
			}
			if _, raw := h.Layers["planet_osm_line"]; raw {
				t.Error("osm2pgsql's raw tables are published beside the profile's layers")
			}
			t.Logf("layers: %v", h.Layers)

			if ids := tileIDs(t, s.URL, "roads,buildings", maptile.At(c.at, 15)); len(ids) == 0 {
				t.Error("no roads or buildings in the tile at the test point")
			}

			var page struct {
				Features []any `json:"features"`
				Links    []struct {
					Rel, Href string
				} `json:"links"`
				NumberMatched int `json:"numberMatched"`
			}
			getJSON(t, s.URL+"/collections/roads/items?limit=50", &page)
			next := ""
			for _, l := range page.Links {
				if l.Rel == "next" {
					next = l.Href
				}
			}
			if len(page.Features) != 50 || next == "" {
				t.Errorf("roads page: %d features, next %q", len(page.Features), next)
			}

			var d struct {
				Units []struct {
					Name string  `json:"name"`
					ETA  float64 `json:"eta_s"`
				} `json:"units"`
			}
			if st := getJSON(t, fmt.Sprintf("%s/api/dispatch/nearest?lon=%g&lat=%g&k=3", s.URL, c.at[0], c.at[1]), &d); st != 200 || len(d.Units) == 0 || d.Units[0].ETA <= 0 {
				t.Errorf("dispatch: %d %+v", st, d)
			} else {
				t.Logf("first team %s, %.0f s", d.Units[0].Name, d.Units[0].ETA)
			}

			var loc struct {
				Grid  map[string]any `json:"grid"`
				Error string         `json:"error"`
			}
			st := getJSON(t, fmt.Sprintf("%s/api/locate?lon=%g&lat=%g", s.URL, c.at[0], c.at[1]), &loc)
			switch {
			case c.hierarchy && (st != 200 || loc.Grid["name"] == nil):
				t.Errorf("locate: %d %v", st, loc)
			case !c.hierarchy && (st != 503 || !strings.Contains(loc.Error, "no grid hierarchy")):
				t.Errorf("locate without a hierarchy: %d %v", st, loc)
			}
		})
	}
}
