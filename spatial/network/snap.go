package network

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// DefaultMaxSnap is how far (metres) a point may lie from the nearest usable
// road before it is refused.
const DefaultMaxSnap = 500.0

// ErrTooFar is wrapped by Snap errors for points too far from any road.
var ErrTooFar = errors.New("network: point too far from the road network")

// Snap is a point joined to the network: the nearest point on the nearest
// usable road segment.
type Snap struct {
	Input orb.Point `json:"-"`
	Point orb.Point `json:"point"` // on the road
	Seg   int32     `json:"-"`
	// Frac is the position along the segment from its first to its second
	// node, 0..1.
	Frac   float64 `json:"-"`
	Metres float64 `json:"distance_m"` // from Input to Point
	RoadID int64   `json:"road_id"`
	// Node is the junction the point lies on when it is a segment end
	// (Frac 0 or 1), else -1.
	Node    int32 `json:"-"`
	blocked *Blocked
}

// along returns how far (0..1) the snapped point lies along edge e in e's
// direction of travel.
func (g *Graph) along(s Snap, e int32) float64 {
	if g.Orig[g.Tail[e]] == g.segA[s.Seg] {
		return s.Frac
	}
	return 1 - s.Frac
}

// usable reports whether segment s can take a snapped point under blocked:
// it has an unblocked edge inside the main component.
func (g *Graph) usable(s int32, blocked *Blocked) bool {
	if !g.segMain[s] {
		return false
	}
	for _, e := range g.segEdge[g.segFirst[s]:g.segFirst[s+1]] {
		if !blocked.Has(e) && g.comp[g.Tail[e]] == g.mainComp && g.comp[g.Head[e]] == g.mainComp {
			return true
		}
	}
	return false
}

// Snap joins pt to the nearest usable segment (in the largest strongly
// connected component, not closed) within maxMetres (DefaultMaxSnap when
// ≤ 0).
func (g *Graph) Snap(pt orb.Point, maxMetres float64, blocked *Blocked) (Snap, error) {
	if maxMetres <= 0 {
		maxMetres = DefaultMaxSnap
	}
	if math.IsNaN(pt[0]) || math.IsNaN(pt[1]) || math.Abs(pt[0]) > 180 || math.Abs(pt[1]) > 90 {
		return Snap{}, fmt.Errorf("network: point %v is not a lon/lat", pt)
	}
	p := g.proj.xy(pt)
	best := Snap{Seg: -1, Input: pt}
	bestD2 := math.Inf(1)
	max2 := maxMetres * maxMetres
	var bestT float64
	g.tree.Nearby(rtree.BoxDist[float64, int32](p, p, func(_, _ [2]float64, s int32) float64 {
		d2, _ := g.segDist2(p, s)
		return d2
	}), func(_, _ [2]float64, s int32, d2 float64) bool {
		if d2 > max2 || d2 > bestD2 {
			return false
		}
		if !g.usable(s, blocked) {
			return true
		}
		bestD2 = d2
		_, bestT = g.segDist2(p, s)
		best.Seg = s
		return false
	})
	if best.Seg < 0 {
		return Snap{}, fmt.Errorf("%w: nothing usable within %.0f m of %.6f,%.6f", ErrTooFar, maxMetres, pt[0], pt[1])
	}
	a, b := g.Coords[g.segA[best.Seg]], g.Coords[g.segB[best.Seg]]
	best.Frac = bestT
	best.Point = orb.Point{a[0] + (b[0]-a[0])*bestT, a[1] + (b[1]-a[1])*bestT}
	best.Metres = math.Sqrt(bestD2)
	best.RoadID = g.segRoad[best.Seg]
	best.blocked = blocked
	best.Node = -1
	switch bestT {
	case 0:
		best.Node = g.segA[best.Seg]
	case 1:
		best.Node = g.segB[best.Seg]
	}
	return best, nil
}

// segDist2 is the squared distance in local metres from p to segment s and
// the parameter of the nearest point.
func (g *Graph) segDist2(p [2]float64, s int32) (float64, float64) {
	a, b := g.proj.xy(g.Coords[g.segA[s]]), g.proj.xy(g.Coords[g.segB[s]])
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	x, y := a[0]+t*dx-p[0], a[1]+t*dy-p[1]
	return x*x + y*y, t
}

// Junction is the junction nearer to the snapped point of the two ends of
// its segment.
func (g *Graph) Junction(s Snap) int32 {
	if s.Frac > 0.5 {
		return g.segB[s.Seg]
	}
	return g.segA[s.Seg]
}

// Restricted reports whether junction u is the via node of a turn
// restriction (so it has copies in the graph).
func (g *Graph) Restricted(u int32) bool { return len(g.copies[u]) > 0 }
