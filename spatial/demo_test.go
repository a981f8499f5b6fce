package spatial

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
)

func demoLocator(tb testing.TB) (*Locator, orb.Bound) {
	tb.Helper()
	c := layers.NewCatalog()
	demo.Generate(demo.Options{Seed: demo.DefaultSeed}).Put(c, layers.OwnerDemo)
	l, err := NewLocator(c)
	if err != nil {
		tb.Fatal(err)
	}
	d, _ := c.Layer(layers.Districts)
	return l, d.Snapshot().Bound()
}

// TestLocateDemoAgreesWithGridCodes checks every point facility's stored
// grid_code against the locator, and that the hierarchy nests.
func TestLocateDemoAgreesWithGridCodes(t *testing.T) {
	c := layers.NewCatalog()
	demo.Generate(demo.Options{Seed: demo.DefaultSeed}).Put(c, layers.OwnerDemo)
	l, err := NewLocator(c)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, name := range []string{layers.Hazards, layers.FloodPoints, layers.Schools, layers.FireStations} {
		layer, _ := c.Layer(name)
		layer.Snapshot().All(func(f *layers.Feature) bool {
			h, err := l.Locate(f.Geometry.(orb.Point))
			if err != nil {
				t.Fatalf("%s %d: %v", name, f.ID, err)
			}
			if h.Grid.Properties["code"] != f.Properties["grid_code"] {
				t.Errorf("%s %d: located in %v, stored grid_code %v", name, f.ID, h.Grid.Properties["code"], f.Properties["grid_code"])
			}
			if h.District == nil || h.Street == nil || h.Community == nil {
				t.Fatalf("%s %d: broken hierarchy %+v", name, f.ID, h)
			}
			n++
			return true
		})
	}
	if n < 900 {
		t.Fatalf("only %d points checked", n)
	}
}

// TestWithinAgreesWithContains checks Within, the stats' fast membership
// test, against point-in-polygon at every admin level on the demo.
func TestWithinAgreesWithContains(t *testing.T) {
	l, b := demoLocator(t)
	rng := rand.New(rand.NewPCG(7, 7))
	var units []*layers.Feature
	for _, f := range l.byCode {
		units = append(units, f)
	}
	in := 0
	for i := 0; i < 3000; i++ {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		for j := 0; j < 8; j++ {
			u := units[rng.IntN(len(units))]
			if j == 0 { // also the unit the point is in, at some level
				if h, err := l.Locate(p); err == nil {
					u = [4]*layers.Feature{h.District, h.Street, h.Community, h.Grid}[rng.IntN(4)]
				}
			}
			got, want := l.Within(u, p), Contains(u.Geometry, p)
			if got != want {
				t.Fatalf("%v in %v: Within %v, Contains %v", p, u.Properties["code"], got, want)
			}
			if got {
				in++
			}
		}
	}
	if in < 2000 {
		t.Fatalf("only %d memberships held: the test hardly checked the fast path", in)
	}
}

// BenchmarkLocateDemo is the /api/locate target: ≥ 1,000,000 lookups per
// second per core on the demo district's 1,547 grids.
func BenchmarkLocateDemo(b *testing.B) {
	l, bound := demoLocator(b)
	r := rand.New(rand.NewPCG(5, 6))
	var pts []orb.Point
	for len(pts) < 4096 {
		p := orb.Point{bound.Min[0] + r.Float64()*(bound.Max[0]-bound.Min[0]), bound.Min[1] + r.Float64()*(bound.Max[1]-bound.Min[1])}
		if _, err := l.Locate(p); err == nil {
			pts = append(pts, p)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.Locate(pts[i&4095]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}
