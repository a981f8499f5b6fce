package tiles

import (
	"math"
	"testing"
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
