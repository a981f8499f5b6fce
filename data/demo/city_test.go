package demo

import (
	"strings"
	"sync"
	"testing"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/network"
)

// smallCity is a two-district city, generated once for the read-only tests.
var smallCity = sync.OnceValue(func() *data.District {
	d, err := GenerateCity(CityOptions{Districts: 2})
	if err != nil {
		panic(err)
	}
	return d
})

func TestCityDeterministic(t *testing.T) {
	a := fingerprint(t, smallCity())
	b, err := GenerateCity(CityOptions{Districts: 2, Seed: DefaultSeed})
	if err != nil {
		t.Fatal(err)
	}
	if fb := fingerprint(t, b); fb != a {
		t.Fatalf("two runs differ: %s vs %s", a, fb)
	}
	if _, err := GenerateCity(CityOptions{Districts: 11}); err == nil {
		t.Fatal("an eleven-district city was accepted")
	}
}

func TestCityCounts(t *testing.T) {
	c := Count(smallCity())
	per := func(v int) int { return v / c.Districts }
	if c.Districts != 2 {
		t.Fatalf("%d districts, want 2", c.Districts)
	}
	for _, k := range []struct {
		what     string
		got      int
		min, max int
	}{
		{"buildings a district", per(c.Buildings), 60_000, 72_000},
		{"cameras a district", per(c.Cameras), 4000, 4000},
		{"road vertices a district", per(c.RoadVertices), 100_000, 140_000},
		{"residents a district", per(c.Residents), 1_990_000, 2_010_000},
	} {
		if k.got < k.min || k.got > k.max {
			t.Errorf("%s: %d, want %d–%d", k.what, k.got, k.min, k.max)
		}
	}
}

func TestCityUniqueIDsAndCodes(t *testing.T) {
	d := smallCity()
	for name, fs := range d.Layers {
		ids := map[int64]bool{}
		for _, f := range fs {
			if ids[f.ID] {
				t.Fatalf("%s: id %d twice", name, f.ID)
			}
			ids[f.ID] = true
		}
	}
	codes := map[string]string{}
	unique := func(what, code string) {
		if code == "" {
			t.Fatalf("%s: empty code", what)
		}
		if prev, ok := codes[code]; ok {
			t.Fatalf("code %s of %s is also %s's", code, what, prev)
		}
		codes[code] = what
	}
	admin := map[string]string{} // code → level
	for _, l := range []string{layers.Districts, layers.Streets, layers.Communities, layers.Grids} {
		for _, f := range d.Layers[l] {
			c := f.Properties["code"].(string)
			unique(l, c)
			admin[c] = l
		}
	}
	// every unit's parent is a unit of the level above with its code as prefix
	up := map[string]string{layers.Streets: layers.Districts, layers.Communities: layers.Streets, layers.Grids: layers.Communities}
	for l, pl := range up {
		for _, f := range d.Layers[l] {
			c, pc := f.Properties["code"].(string), f.Properties["parent_code"].(string)
			if admin[pc] != pl || !strings.HasPrefix(c, pc) {
				t.Fatalf("%s %s: parent %s is not a %s prefix", l, c, pc, pl)
			}
		}
	}
	for _, f := range d.Layers[layers.Buildings] {
		unique("building", f.Properties["address_code"].(string))
		if g := f.Properties["grid_code"].(string); admin[g] != layers.Grids {
			t.Fatalf("building %d in unknown grid %s", f.ID, g)
		}
	}
	for _, f := range d.Layers[layers.Cameras] {
		unique("camera", f.Properties["channel"].(string))
	}
	schools := map[int64]bool{}
	for _, f := range d.Layers[layers.Schools] {
		schools[f.ID] = true
	}
	for _, r := range d.Catchments {
		unique("catchment", r.Code)
		if !schools[r.SchoolID] {
			t.Fatalf("catchment %s feeds unknown school %d", r.Code, r.SchoolID)
		}
		for _, g := range r.Grids {
			if admin[g] != layers.Grids {
				t.Fatalf("catchment %s holds unknown grid %s", r.Code, g)
			}
		}
	}
	for _, r := range d.Enrolment {
		if !schools[r.SchoolID] {
			t.Fatalf("enrolment of unknown school %d", r.SchoolID)
		}
	}
	for _, r := range d.Ages {
		if admin[r.Grid] != layers.Grids {
			t.Fatalf("ages of unknown grid %s", r.Grid)
		}
	}
}

func TestCityRoadsConnected(t *testing.T) {
	d := smallCity()
	cat := layers.NewCatalog()
	if err := d.Put(cat, layers.OwnerDemo); err != nil {
		t.Fatal(err)
	}
	l, _ := cat.Layer(layers.Roads)
	g, err := network.FromRoads(l.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if main := g.MainComponent(); float64(main) < 0.99*float64(g.Nodes()) {
		t.Fatalf("largest strongly connected component: %d of %d nodes", main, g.Nodes())
	}
	// both districts are in it: a route crosses from one to the other
	var ends [2]network.Snap
	for k, f := range d.Layers[layers.Districts] {
		c := f.Geometry.Bound().Center()
		s, err := g.Snap(c, 2000, nil)
		if err != nil {
			t.Fatalf("district %d: %v", k, err)
		}
		ends[k] = s
	}
	if c := g.Cost(ends[0], ends[1], network.Time, nil); c <= 0 || c > 3600 {
		t.Fatalf("drive from one district's centre to the other's: %.0f s", c)
	}
}
