package tiles

import (
	"testing"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/project"
)

// TestLabelPoint checks that every label point of the demo district's
// grid hierarchy lies inside its unit, and that a U-shaped polygon, whose
// centroid is in the gap, is labelled inside one of its arms.
func TestLabelPoint(t *testing.T) {
	u := orb.Polygon{{{0, 0}, {3, 0}, {3, 3}, {2, 3}, {2, 1}, {1, 1}, {1, 3}, {0, 3}, {0, 0}}}
	if c, _ := planar.CentroidArea(u); planar.PolygonContains(u, c) {
		t.Fatalf("the U's centroid %v is inside it: the case does not test the fallback", c)
	}
	if p, ok := labelPoint(u); !ok || !planar.PolygonContains(u, p) {
		t.Errorf("U-shaped polygon: label %v (%v) is not inside", p, ok)
	}
	if _, ok := labelPoint(orb.LineString{{0, 0}, {1, 1}}); ok {
		t.Error("a line got a label point")
	}
	cat := demoCatalog(t)
	n := 0
	for _, name := range []string{layers.Districts, layers.Streets, layers.Communities, layers.Grids} {
		l, _ := cat.Layer(name)
		if !l.Schema.Labels {
			t.Errorf("%s: the schema does not ask for labels", name)
		}
		l.Snapshot().All(func(f *layers.Feature) bool {
			w := project.Geometry(orb.Clone(f.Geometry), toWorld)
			p, ok := labelPoint(w)
			inside := false
			switch g := w.(type) {
			case orb.Polygon:
				inside = planar.PolygonContains(g, p)
			case orb.MultiPolygon:
				inside = planar.MultiPolygonContains(g, p)
			}
			if !ok || !inside {
				t.Errorf("%s/%d: label %v (%v) is not inside", name, f.ID, p, ok)
			}
			n++
			return true
		})
	}
	if n < 1500 {
		t.Errorf("only %d units checked", n)
	}
}

// TestLabelsOncePerZoom renders every tile over the demo district at
// z10–z14 and checks that each unit of the grid hierarchy has exactly one
// label among them (its polygon may span many tiles), in the tile that
// holds its label point.
func TestLabelsOncePerZoom(t *testing.T) {
	cat := demoCatalog(t)
	srcs := catalogSources(cat, layers.Districts, layers.Streets, layers.Communities, layers.Grids)
	opts := DefaultOptions().Prepared()
	for z := maptile.Zoom(10); z <= 14; z++ {
		seen := map[string]map[uint64]int{}
		for _, tile := range Sample(demoBound(cat), z, z, 1<<20) {
			raw, err := opts.Render(srcs, tile)
			if err != nil {
				t.Fatal(err)
			}
			got := checkTile(t, raw, srcs, tile)
			for _, l := range got {
				if seen[l.Name] == nil {
					seen[l.Name] = map[uint64]int{}
				}
				for _, f := range l.Features {
					seen[l.Name][f.ID]++
				}
			}
		}
		for _, s := range srcs {
			name := LabelLayer(s.Schema.Name)
			if int(z) < s.Schema.MinZoom || int(z) < s.Schema.LabelMinZoom {
				if len(seen[name]) > 0 {
					t.Errorf("z%d: %d %s points below the layer's label zoom %d", z, len(seen[name]), s.Schema.Name, s.Schema.LabelMinZoom)
				}
				continue
			}
			for i := range s.Snapshot.Len() {
				f := s.Snapshot.At(i)
				if c := seen[name][uint64(f.ID)]; c != 1 {
					t.Errorf("z%d: %s/%d has %d labels", z, s.Schema.Name, f.ID, c)
				}
			}
			// The polygons themselves do span tiles: the test means something.
			if z == 14 && s.Schema.Name == layers.Streets {
				spans := 0
				for _, c := range seen[s.Schema.Name] {
					if c > 1 {
						spans++
					}
				}
				if spans == 0 {
					t.Errorf("z%d: no street spans two tiles", z)
				}
			}
		}
	}
}

// TestLabelsPreparedStore renders the same snapshot with and without label
// points through one store: each render has them exactly when its schema
// asks.
func TestLabelsPreparedStore(t *testing.T) {
	cat := demoCatalog(t)
	src := catalogSources(cat, layers.Streets)[0]
	opts := DefaultOptions().Prepared()
	tile := maptile.At(demoBound(cat).Center(), 12)
	for _, labels := range []bool{false, true, false, true} {
		s := src
		s.Schema.Labels = labels
		raw, err := opts.Render([]Source{s}, tile)
		if err != nil {
			t.Fatal(err)
		}
		got := false
		for _, l := range checkTile(t, raw, []Source{s}, tile) {
			got = got || l.Name == LabelLayer(layers.Streets)
		}
		if got != labels {
			t.Errorf("labels %v: label layer in the tile: %v", labels, got)
		}
	}
}
