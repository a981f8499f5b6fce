package tiles

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// LabelLayer is the name of the point layer that tiles of a polygon layer
// whose schema asks for labels (layers.Schema.Labels) carry beside it.
func LabelLayer(name string) string { return name + "_label" }

// labelPoint is where a polygon's label goes: its centroid when that lies
// inside, else the middle of the widest inside span of the horizontal line
// through the centroid (ST_PointOnSurface takes such a span, through the
// middle of the bound). A multipolygon's label is its largest part's. It
// reports false for other geometry and for degenerate polygons.
func labelPoint(g orb.Geometry) (orb.Point, bool) {
	var poly orb.Polygon
	switch g := g.(type) {
	case orb.Polygon:
		poly = g
	case orb.MultiPolygon:
		best := -1.0
		for _, p := range g {
			if a := math.Abs(planar.Area(p)); a > best {
				best, poly = a, p
			}
		}
	default:
		return orb.Point{}, false
	}
	if len(poly) == 0 || len(poly[0]) < 3 {
		return orb.Point{}, false
	}
	c, area := planar.CentroidArea(poly)
	if area != 0 && planar.PolygonContains(poly, c) {
		return c, true
	}
	// Where the horizontal line y = c[1] crosses the rings; a vertex on the
	// line counts once (the edge's lower end is taken, its upper end not).
	y := c[1]
	var xs []float64
	for _, r := range poly {
		for i := 0; i+1 < len(r); i++ {
			a, b := r[i], r[i+1]
			if (a[1] <= y) != (b[1] <= y) {
				xs = append(xs, a[0]+(y-a[1])*(b[0]-a[0])/(b[1]-a[1]))
			}
		}
	}
	slices.Sort(xs)
	best, at := -1.0, orb.Point{}
	for i := 0; i+1 < len(xs); i += 2 {
		if w := xs[i+1] - xs[i]; w > best {
			best, at = w, orb.Point{(xs[i] + xs[i+1]) / 2, y}
		}
	}
	if best < 0 {
		return poly[0][0], true
	}
	return at, true
}

// labels builds the label layer of a source whose schema asks for labels:
// a point per feature whose label point lies in the tile proper (not its
// buffer; the left and top edges are in, the right and bottom ones out), so
// that exactly one tile of a zoom holds each feature's label.
func (o Options) labels(p *projector, s Source) layer {
	l, prs := o.candidates(p, s, LabelLayer(s.Schema.Name))
	e := p.extent
	for _, pr := range prs {
		if !pr.hasLabel {
			continue
		}
		q := p.project(pr.label)
		if q[0] < 0 || q[1] < 0 || q[0] >= e || q[1] >= e {
			continue
		}
		pt := round(q)
		l.features = append(l.features, feature{geom: pt, pr: pr, gsize: geomSize(pt)})
	}
	return l
}
