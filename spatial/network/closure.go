package network

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Blocked is an immutable set of closed edges. A nil *Blocked blocks
// nothing. Make a new one (Graph.Block) for every change of closures; a
// search in flight keeps the set it started with.
type Blocked struct {
	bits  []uint64 // by edge
	rbits []uint64 // by position in the reversed graph's edge list
	count int
}

// Has reports whether edge e is closed.
func (b *Blocked) Has(e int32) bool {
	return b != nil && b.bits[e>>6]&(1<<(uint(e)&63)) != 0
}

// Len is the number of closed edges.
func (b *Blocked) Len() int {
	if b == nil {
		return 0
	}
	return b.count
}

// Closure closes either every edge of one road or every edge with a part
// inside a polygon.
type Closure struct {
	RoadID  int64        `json:"road_id,omitempty"`
	Polygon orb.Geometry `json:"-"` // orb.Polygon or orb.MultiPolygon
}

// Block returns the set of edges the closures close, and an error naming a
// closure that closes nothing (an unknown road, a polygon touching no road).
func (g *Graph) Block(closures []Closure) (*Blocked, error) {
	if len(closures) == 0 {
		return nil, nil
	}
	b := &Blocked{bits: make([]uint64, (len(g.Head)+63)/64)}
	set := func(s int32) {
		for _, e := range g.segEdge[g.segFirst[s]:g.segFirst[s+1]] {
			if b.bits[e>>6]&(1<<(uint(e)&63)) == 0 {
				b.bits[e>>6] |= 1 << (uint(e) & 63)
				b.count++
			}
		}
	}
	for _, c := range closures {
		segs, err := g.ClosureSegments(c)
		if err != nil {
			return nil, err
		}
		for _, s := range segs {
			set(s)
		}
	}
	b.rbits = make([]uint64, len(b.bits))
	for i, e := range g.rEdge {
		if b.Has(e) {
			b.rbits[i>>6] |= 1 << (uint(i) & 63)
		}
	}
	return b, nil
}

// ClosureSegments lists the segments a closure closes.
func (g *Graph) ClosureSegments(c Closure) ([]int32, error) {
	if c.Polygon == nil {
		segs := g.roadSegs[c.RoadID]
		if len(segs) == 0 {
			return nil, fmt.Errorf("network: road %d is not in the network", c.RoadID)
		}
		return segs, nil
	}
	var polys orb.MultiPolygon
	switch p := c.Polygon.(type) {
	case orb.Polygon:
		polys = orb.MultiPolygon{p}
	case orb.MultiPolygon:
		polys = p
	default:
		return nil, fmt.Errorf("network: closure geometry is a %s, not a polygon", c.Polygon.GeoJSONType())
	}
	var out []int32
	for _, poly := range polys {
		if len(poly) == 0 || len(poly[0]) < 4 {
			return nil, fmt.Errorf("network: closure polygon needs a ring of at least 4 points")
		}
		bd := poly.Bound()
		lo, hi := g.proj.xy(bd.Min), g.proj.xy(bd.Max)
		g.tree.Search(lo, hi, func(_, _ [2]float64, s int32) bool {
			if segmentInPolygon(g.Coords[g.segA[s]], g.Coords[g.segB[s]], poly) {
				out = append(out, s)
			}
			return true
		})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("network: the closure polygon touches no road")
	}
	return out, nil
}

// segmentInPolygon reports whether any part of segment ab lies in poly: an
// end inside, or a crossing of one of its rings.
func segmentInPolygon(a, b orb.Point, poly orb.Polygon) bool {
	if planar.PolygonContains(poly, a) || planar.PolygonContains(poly, b) {
		return true
	}
	for _, ring := range poly {
		for i := 1; i < len(ring); i++ {
			if segmentsCross(a, b, ring[i-1], ring[i]) {
				return true
			}
		}
	}
	return false
}

func segmentsCross(p1, p2, p3, p4 orb.Point) bool {
	d := func(a, b, c orb.Point) float64 { return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0]) }
	d1, d2 := d(p3, p4, p1), d(p3, p4, p2)
	d3, d4 := d(p1, p2, p3), d(p1, p2, p4)
	return math.Signbit(d1) != math.Signbit(d2) && math.Signbit(d3) != math.Signbit(d4)
}

// SegmentLines is the geometry of segments (as ClosureSegments lists
// them): one two-point line each, for drawing what a closure closes.
func (g *Graph) SegmentLines(segs []int32) orb.MultiLineString {
	out := make(orb.MultiLineString, len(segs))
	for i, s := range segs {
		out[i] = orb.LineString{g.Coords[g.segA[s]], g.Coords[g.segB[s]]}
	}
	return out
}
