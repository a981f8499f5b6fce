package osm

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/internal/refdata"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/paulmach/osm"
)

// extract is ../shared/data/osm/name beside the repository, or a skip.
func extract(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(refdata.Path(t, "osm"), name)
}

func TestReadMonaco(t *testing.T) {
	var progress bytes.Buffer
	x, err := Read(context.Background(), extract(t, "monaco.osm.pbf"), Options{Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	// The data README: 2.9k highway ways (of every kind), 27 turn
	// restrictions, 3 fire stations.
	if len(x.Highways) < 1500 || len(x.Highways) > 2900 {
		t.Errorf("%d drivable highways", len(x.Highways))
	}
	if n := len(x.Restrictions) + x.SkippedRestrictions; n != 27 {
		t.Errorf("%d restrictions read + %d skipped, the extract has 27", len(x.Restrictions), x.SkippedRestrictions)
	}
	if n := len(x.POIs[layers.FireStations]); n != 3 {
		t.Errorf("%d fire stations, want 3", n)
	}
	if len(x.POIs[layers.Schools]) == 0 || len(x.POIs[layers.Hospitals]) == 0 {
		t.Errorf("schools %d hospitals %d", len(x.POIs[layers.Schools]), len(x.POIs[layers.Hospitals]))
	}
	oneway, reversed := 0, 0
	for _, h := range x.Highways {
		if len(h.Coords) != len(h.Nodes) || len(h.Coords) < 2 || h.SpeedKmh <= 0 {
			t.Fatalf("highway %d: %d coords for %d nodes, speed %v", h.ID, len(h.Coords), len(h.Nodes), h.SpeedKmh)
		}
		if h.Forward != h.Backward {
			oneway++
		}
		if !h.Forward {
			reversed++
		}
		switch h.Highway {
		case "footway", "path", "steps", "cycleway", "pedestrian", "track":
			t.Errorf("highway %d is a %s", h.ID, h.Highway)
		}
	}
	if oneway < 100 {
		t.Errorf("only %d one-way highways", oneway)
	}
	for _, want := range []string{"ways and relations", "nodes 100%", "fire stations"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
	d := x.District("monaco")
	if len(d.Layers[layers.Roads]) != len(x.Highways) {
		t.Errorf("roads layer %d", len(d.Layers[layers.Roads]))
	}
	for _, f := range d.Layers[layers.FireStations] {
		if f.Properties["available"] != true || f.Properties["name"] == "" {
			t.Errorf("station %v", f.Properties)
		}
	}
}

func TestTags(t *testing.T) {
	speeds := map[string]float64{"50": 50, "30 mph": 30 * 1.609344, "walk": 7, "70 km/h": 70, "40;50": 40}
	for in, want := range speeds {
		if got, ok := ParseMaxspeed(in); !ok || got != want {
			t.Errorf("maxspeed %q: %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"none", "signals", "FR:urban", "", "-5"} {
		if _, ok := ParseMaxspeed(in); ok {
			t.Errorf("maxspeed %q accepted", in)
		}
	}
	way := func(tags ...string) *osm.Way {
		w := &osm.Way{ID: 1, Nodes: osm.WayNodes{{ID: 1}, {ID: 2}}}
		for i := 0; i < len(tags); i += 2 {
			w.Tags = append(w.Tags, osm.Tag{Key: tags[i], Value: tags[i+1]})
		}
		return w
	}
	cases := []struct {
		w            *osm.Way
		ok, fwd, bwd bool
		speed        float64
	}{
		{way("highway", "residential"), true, true, true, 25},
		{way("highway", "primary", "oneway", "yes", "maxspeed", "50"), true, true, false, 50},
		{way("highway", "secondary", "oneway", "-1"), true, false, true, 50},
		{way("highway", "tertiary", "junction", "roundabout"), true, true, false, 40},
		{way("highway", "motorway"), true, true, false, 90},
		{way("highway", "footway"), false, false, false, 0},
		{way("highway", "service", "access", "private"), true, true, true, 15},
		{way("highway", "service", "access", "no"), false, false, false, 0},
		{way("highway", "service", "access", "no", "emergency", "yes"), true, true, true, 15},
		{way("highway", "residential", "emergency", "no"), false, false, false, 0},
		{way("highway", "residential", "area", "yes"), false, false, false, 0},
	}
	for i, c := range cases {
		h, ok := highway(c.w)
		if ok != c.ok || ok && (h.Forward != c.fwd || h.Backward != c.bwd || h.SpeedKmh != c.speed) {
			t.Errorf("case %d %v: %+v %v", i, c.w.Tags, h, ok)
		}
	}
	rel := func(kind string, members ...osm.Member) *osm.Relation {
		return &osm.Relation{ID: 9, Tags: osm.Tags{{Key: "type", Value: "restriction"}, {Key: "restriction", Value: kind}}, Members: members}
	}
	from := osm.Member{Type: osm.TypeWay, Ref: 1, Role: "from"}
	via := osm.Member{Type: osm.TypeNode, Ref: 5, Role: "via"}
	to := osm.Member{Type: osm.TypeWay, Ref: 2, Role: "to"}
	if r, ok := restriction(rel("no_left_turn", from, via, to)); !ok || r.Only || r.From != 1 || r.Via != 5 || r.To != 2 {
		t.Errorf("no_left_turn: %+v %v", r, ok)
	}
	if r, ok := restriction(rel("only_straight_on", from, via, to)); !ok || !r.Only {
		t.Errorf("only_straight_on: %+v %v", r, ok)
	}
	if _, ok := restriction(rel("no_u_turn", from, osm.Member{Type: osm.TypeWay, Ref: 3, Role: "via"}, to)); ok {
		t.Error("via-way restriction accepted")
	}
	if _, ok := restriction(rel("no_entry", from, via)); ok {
		t.Error("restriction without a to way accepted")
	}
}

func TestImportIntoPostGIS(t *testing.T) {
	path := extract(t, "monaco.osm.pbf")
	db := pgtest.New(t)
	ctx := context.Background()
	if err := Import(ctx, path, db.URL, nil); err != nil {
		t.Fatal(err)
	}
	d, err := postgis.Read(ctx, db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	x, err := Read(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Layers[layers.Roads]) != len(x.Highways) || len(d.Layers[layers.FireStations]) != 3 {
		t.Errorf("read back %d roads, %d stations; want %d, 3", len(d.Layers[layers.Roads]), len(d.Layers[layers.FireStations]), len(x.Highways))
	}
}
