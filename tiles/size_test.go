package tiles

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// TestSizeEstimate calibrates the estimates thinning relies on against
// mvt.Marshal: on demo tiles z8–z17 of every layer, the estimate of each
// layer is within 1% (or 16 bytes) of its encoded size, and the upper
// bound never below it.
func TestSizeEstimate(t *testing.T) {
	cat := demoCatalog(t)
	srcs := catalogSources(cat)
	o := DefaultOptions().Prepared()
	s := o.store.scratch()
	n, worst := 0, 0.0
	for _, tile := range Sample(demoBound(cat), 8, 17, 6) {
		p := newProjector(tile, 4096, 64)
		p.s = s
		for _, src := range srcs {
			if int(tile.Z) < src.Schema.MinZoom || int(tile.Z) > src.Schema.MaxZoom {
				continue
			}
			for _, level := range []int{0, 2} {
				l := o.layer(p, src, level)
				if len(l.features) == 0 {
					continue
				}
				b, err := encodeLayer(&l, 4096, s)
				if err != nil {
					t.Fatal(err)
				}
				est, up := s.sizer.layerSize(&l, 4096), upperSize(&l, 4096)
				off := math.Abs(float64(est-len(b))) / float64(len(b))
				worst = max(worst, off)
				if off > 0.01 && math.Abs(float64(est-len(b))) > 16 {
					t.Errorf("%v %s level %d: estimate %d, encoded %d", tile, src.Schema.Name, level, est, len(b))
				}
				if up < len(b) {
					t.Errorf("%v %s level %d: upper bound %d below encoded %d", tile, src.Schema.Name, level, up, len(b))
				}
				n++
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d layers compared", n)
	}
	t.Logf("%d layers, worst estimate off by %.2f%%", n, 100*worst)
}

// TestThinPoints checks the bitmap thinning against a map of cells: the
// first point of each 8·2^level-unit cell is kept, other geometry passes.
func TestThinPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var l layer
	for i := 0; i < 3000; i++ {
		var g orb.Geometry = orb.Point{math.Round(rng.Float64()*4224 - 64), math.Round(rng.Float64()*4224 - 64)}
		if i%10 == 0 {
			g = orb.LineString{{0, 0}, {1, 1}}
		}
		l.features = append(l.features, feature{geom: g})
	}
	s := &scratch{}
	for level := 1; level <= maxThin; level++ {
		got := thinPoints(l, level, s)
		cell := 8 * math.Exp2(float64(level))
		seen := map[[2]float64]bool{}
		var want []orb.Geometry
		for _, f := range l.features {
			if pt, ok := f.geom.(orb.Point); ok {
				c := [2]float64{math.Floor(pt[0] / cell), math.Floor(pt[1] / cell)}
				if seen[c] {
					continue
				}
				seen[c] = true
			}
			want = append(want, f.geom)
		}
		if len(got.features) != len(want) {
			t.Fatalf("level %d: %d features, want %d", level, len(got.features), len(want))
		}
		for i, f := range got.features {
			if !orb.Equal(f.geom, want[i]) {
				t.Fatalf("level %d: feature %d is %v, want %v", level, i, f.geom, want[i])
			}
		}
	}
}
