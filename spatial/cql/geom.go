package cql

import (
	"math"

	"github.com/paulmach/orb"
)

// parts is a geometry broken into what the predicates test: its points,
// the vertices of its lines and rings, its segments and its polygons.
type parts struct {
	points []orb.Point // Point and MultiPoint members
	verts  []orb.Point // vertices of lines and rings
	segs   [][2]orb.Point
	polys  []orb.Polygon
	bound  orb.Bound
}

func decompose(g orb.Geometry) parts {
	var p parts
	var add func(g orb.Geometry)
	line := func(ls []orb.Point) {
		p.verts = append(p.verts, ls...)
		for i := 1; i < len(ls); i++ {
			p.segs = append(p.segs, [2]orb.Point{ls[i-1], ls[i]})
		}
	}
	add = func(g orb.Geometry) {
		switch x := g.(type) {
		case orb.Point:
			p.points = append(p.points, x)
		case orb.MultiPoint:
			p.points = append(p.points, x...)
		case orb.LineString:
			line(x)
		case orb.MultiLineString:
			for _, l := range x {
				line(l)
			}
		case orb.Ring:
			add(orb.Polygon{x})
		case orb.Polygon:
			for _, r := range x {
				line(r)
			}
			p.polys = append(p.polys, x)
		case orb.MultiPolygon:
			for _, pg := range x {
				add(pg)
			}
		case orb.Collection:
			for _, m := range x {
				add(m)
			}
		case orb.Bound:
			add(x.ToPolygon())
		}
	}
	add(g)
	p.bound = g.Bound()
	return p
}

// Intersects reports whether a and b share a point (ST_Intersects, planar).
func Intersects(a, b orb.Geometry) bool {
	if !a.Bound().Intersects(b.Bound()) {
		return false
	}
	pa, pb := decompose(a), decompose(b)
	return touch(pa, pb) || touch(pb, pa) || crosses(pa, pb, false)
}

// touch reports whether a point or vertex of a lies on b (in or on one of
// its polygons, on one of its segments, or at one of its points).
func touch(a, b parts) bool {
	for _, set := range [][]orb.Point{a.points, a.verts} {
		for _, p := range set {
			if !b.bound.Contains(p) {
				continue
			}
			for _, q := range b.points {
				if p == q {
					return true
				}
			}
			for _, s := range b.segs {
				if onSegment(p, s[0], s[1]) {
					return true
				}
			}
			for _, pg := range b.polys {
				if inPolygon(p, pg) > 0 {
					return true
				}
			}
		}
	}
	return false
}

// crosses reports whether a segment of a meets one of b (properly, when
// proper: the interiors cross at one point).
func crosses(a, b parts, proper bool) bool {
	for _, s := range a.segs {
		sb := orb.Bound{Min: s[0], Max: s[0]}.Extend(s[1])
		if !sb.Intersects(b.bound) {
			continue
		}
		for _, t := range b.segs {
			if segmentsMeet(s[0], s[1], t[0], t[1], proper) {
				return true
			}
		}
	}
	return false
}

// Within reports whether a lies in b with some interior point in common
// (ST_Within, planar). b must be polygonal for lines and polygons a to be
// within it; points are within lines they lie on and points they equal.
func Within(a, b orb.Geometry) bool {
	if !b.Bound().Intersects(a.Bound()) {
		return false
	}
	pa, pb := decompose(a), decompose(b)
	if len(pa.points)+len(pa.verts) == 0 {
		return false
	}
	if len(pb.polys) == 0 {
		if len(pa.segs) > 0 {
			// A line within a line: every vertex and midpoint on b.
			for _, s := range pa.segs {
				for _, p := range []orb.Point{s[0], s[1], mid(s)} {
					if !onAnySegment(p, pb.segs) {
						return false
					}
				}
			}
			return true
		}
		for _, p := range pa.points {
			if !onAnySegment(p, pb.segs) && !contains(pb.points, p) {
				return false
			}
		}
		return true
	}
	interior := false
	in := func(p orb.Point) bool {
		best := 0
		for _, pg := range pb.polys {
			best = max(best, inPolygon(p, pg))
		}
		if best == 2 {
			interior = true
		}
		return best > 0
	}
	for _, set := range [][]orb.Point{pa.points, pa.verts} {
		for _, p := range set {
			if !in(p) {
				return false
			}
		}
	}
	for _, s := range pa.segs {
		if !in(mid(s)) {
			return false
		}
	}
	if crosses(pa, pb, true) {
		return false
	}
	if len(pa.polys) > 0 {
		// b's boundary must not reach into a's interior (a hole of b
		// inside a).
		for _, v := range pb.verts {
			for _, pg := range pa.polys {
				if inPolygon(v, pg) == 2 {
					return false
				}
			}
		}
		interior = true
	}
	return interior
}

func contains(ps []orb.Point, p orb.Point) bool {
	for _, q := range ps {
		if p == q {
			return true
		}
	}
	return false
}

func onAnySegment(p orb.Point, segs [][2]orb.Point) bool {
	for _, s := range segs {
		if onSegment(p, s[0], s[1]) {
			return true
		}
	}
	return false
}

func mid(s [2]orb.Point) orb.Point {
	return orb.Point{(s[0][0] + s[1][0]) / 2, (s[0][1] + s[1][1]) / 2}
}

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func sign(f float64) int {
	switch {
	case f > 0:
		return 1
	case f < 0:
		return -1
	}
	return 0
}

// onSegment reports whether p lies on the segment ab.
func onSegment(p, a, b orb.Point) bool {
	if orient(a, b, p) != 0 {
		return false
	}
	return math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

// segmentsMeet reports whether segments ab and cd share a point; when
// proper, only a crossing of their interiors at a single point counts.
func segmentsMeet(a, b, c, d orb.Point, proper bool) bool {
	o1, o2 := sign(orient(a, b, c)), sign(orient(a, b, d))
	o3, o4 := sign(orient(c, d, a)), sign(orient(c, d, b))
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	if proper {
		return false
	}
	return o1 == 0 && onSegment(c, a, b) || o2 == 0 && onSegment(d, a, b) ||
		o3 == 0 && onSegment(a, c, d) || o4 == 0 && onSegment(b, c, d)
}

// inPolygon is 0 when p is outside pg, 1 on its boundary, 2 inside.
func inPolygon(p orb.Point, pg orb.Polygon) int {
	if len(pg) == 0 {
		return 0
	}
	for _, r := range pg {
		for i := 1; i < len(r); i++ {
			if onSegment(p, r[i-1], r[i]) {
				return 1
			}
		}
	}
	if !inRing(p, pg[0]) {
		return 0
	}
	for _, h := range pg[1:] {
		if inRing(p, h) {
			return 0
		}
	}
	return 2
}

// inRing is the even-odd ray test for a point not on the ring.
func inRing(p orb.Point, r orb.Ring) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

// checkGeom refuses a geometry literal with non-finite coordinates, lines
// of fewer than 2 points or rings of fewer than 4.
func checkGeom(g orb.Geometry) error {
	finite := func(ps []orb.Point) error {
		for _, p := range ps {
			if math.IsNaN(p[0]) || math.IsInf(p[0], 0) || math.IsNaN(p[1]) || math.IsInf(p[1], 0) {
				return jerr("geometry has a non-finite coordinate")
			}
		}
		return nil
	}
	switch x := g.(type) {
	case orb.Point:
		return finite([]orb.Point{x})
	case orb.MultiPoint:
		return finite(x)
	case orb.LineString:
		if len(x) < 2 {
			return jerr("a LineString needs at least 2 points")
		}
		return finite(x)
	case orb.MultiLineString:
		for _, l := range x {
			if err := checkGeom(l); err != nil {
				return err
			}
		}
	case orb.Polygon:
		if len(x) == 0 {
			return jerr("a Polygon needs a ring")
		}
		for _, r := range x {
			if len(r) < 4 || r[0] != r[len(r)-1] {
				return jerr("a polygon ring needs at least 4 points, the last equal to the first")
			}
			if err := finite(r); err != nil {
				return err
			}
		}
	case orb.MultiPolygon:
		for _, p := range x {
			if err := checkGeom(p); err != nil {
				return err
			}
		}
	case orb.Collection:
		for _, m := range x {
			if err := checkGeom(m); err != nil {
				return err
			}
		}
	default:
		return jerr("unsupported geometry %T", g)
	}
	return nil
}
