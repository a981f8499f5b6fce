package spatial

import (
	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// cellIndex is a uniform raster over a layer's bounds; each cell lists the
// features whose bounds meet it. A point lookup is one array access and
// then exact tests on a handful of candidates — about twice as fast as an
// R-tree descent for the locate hot path.
type cellIndex struct {
	bound  orb.Bound
	n      int     // cells per side
	sx, sy float64 // cells per degree
	start  []int32 // cell i's candidates are items[start[i]:start[i+1]]
	items  []*layers.Feature
	// inside[i] is the one feature that wholly contains cell i (no
	// feature's boundary crosses it), or nil: most lookups end there
	// without a point-in-polygon test.
	inside []*layers.Feature
}

func newCellIndex(s *layers.Snapshot, n int) cellIndex {
	ci := cellIndex{bound: s.Bound(), n: n}
	w, h := ci.bound.Max[0]-ci.bound.Min[0], ci.bound.Max[1]-ci.bound.Min[1]
	if s.Len() == 0 || w <= 0 || h <= 0 {
		return cellIndex{}
	}
	ci.sx, ci.sy = float64(n)/w, float64(n)/h
	lists := make([][]*layers.Feature, n*n)
	s.All(func(f *layers.Feature) bool {
		b := f.Bound()
		x0, y0 := ci.cell(b.Min)
		x1, y1 := ci.cell(b.Max)
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				lists[y*n+x] = append(lists[y*n+x], f)
			}
		}
		return true
	})
	ci.start = make([]int32, n*n+1)
	for i, l := range lists {
		ci.start[i+1] = ci.start[i] + int32(len(l))
		ci.items = append(ci.items, l...)
	}
	// Cells that some boundary segment may cross (by the segment's bounds:
	// exact for the axis-parallel edges of the demo's grids, conservative
	// for others).
	crossed := make([]bool, n*n)
	s.All(func(f *layers.Feature) bool {
		forEachSegment(f.Geometry, func(a, b orb.Point) {
			x0, y0 := ci.cell(orb.Point{min(a[0], b[0]), min(a[1], b[1])})
			x1, y1 := ci.cell(orb.Point{max(a[0], b[0]), max(a[1], b[1])})
			for y := y0; y <= y1; y++ {
				for x := x0; x <= x1; x++ {
					crossed[y*n+x] = true
				}
			}
		})
		return true
	})
	ci.inside = make([]*layers.Feature, n*n)
	for i := range ci.inside {
		if crossed[i] {
			continue
		}
		x, y := i%n, i/n
		c := orb.Point{ci.bound.Min[0] + (float64(x)+0.5)/ci.sx, ci.bound.Min[1] + (float64(y)+0.5)/ci.sy}
		for _, f := range ci.items[ci.start[i]:ci.start[i+1]] {
			if Contains(f.Geometry, c) {
				ci.inside[i] = f
				break
			}
		}
	}
	return ci
}

// forEachSegment calls fn with every ring segment of a polygonal geometry.
func forEachSegment(g orb.Geometry, fn func(a, b orb.Point)) {
	ring := func(r orb.Ring) {
		for i := 1; i < len(r); i++ {
			fn(r[i-1], r[i])
		}
	}
	switch g := g.(type) {
	case orb.Polygon:
		for _, r := range g {
			ring(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				ring(r)
			}
		}
	}
}

// cell is the clamped cell coordinate of p.
func (ci *cellIndex) cell(p orb.Point) (int, int) {
	x := int((p[0] - ci.bound.Min[0]) * ci.sx)
	y := int((p[1] - ci.bound.Min[1]) * ci.sy)
	return min(max(x, 0), ci.n-1), min(max(y, 0), ci.n-1)
}

// lookup returns the feature wholly containing p's cell, if any, and
// otherwise the features whose bounds may contain p.
func (ci *cellIndex) lookup(p orb.Point) (*layers.Feature, []*layers.Feature) {
	if ci.n == 0 || !ci.bound.Contains(p) {
		return nil, nil
	}
	x, y := ci.cell(p)
	i := y*ci.n + x
	if f := ci.inside[i]; f != nil {
		return f, nil
	}
	return nil, ci.items[ci.start[i]:ci.start[i+1]]
}
