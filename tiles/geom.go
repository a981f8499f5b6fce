package tiles

import (
	"math"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/simplify"
)

// maxLat is the latitude limit of Web Mercator.
const maxLat = 85.05112877980659

// projector maps WGS84 lon/lat to the integer grid of one tile, as
// ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(z, x, y), extent,
// buffer) does: spherical Mercator, y down, rounded to the nearest unit
// (ties to even, as PostGIS's grid snapping).
type projector struct {
	z           int
	extent      float64 // the tile's width in tile units
	scale       float64 // tile units per world width
	x0, y0      float64 // the tile's origin in world tile units
	clipBox     orb.Bound
	searchBound orb.Bound // what to ask the R-tree for
	envelope    orb.Bound // the buffered tile as PostGIS compares it
	s           *scratch
	simplifier  simplify.DouglasPeuckerSimplifier
}

// dp returns the projector's simplifier with threshold tol.
func (p *projector) dp(tol float64) *simplify.DouglasPeuckerSimplifier {
	p.simplifier.Threshold = tol
	return &p.simplifier
}

// scratch is the working memory of one render, reused by the next when
// the options have a store (a render's slices die with it: the tile bytes
// are a fresh slice).
type scratch struct {
	points   arena[orb.Point] // rings and lines
	rings    arena[orb.Ring]  // polygons
	features arena[feature]   // layers
	found    []*layers.Feature
	sorted   []*layers.Feature // byID's other buffer
	keys     []uint64
	prs      []*prepared
	enc      encoder
	sizer    sizer
	cells    []uint64 // point thinning's bitmap
}

// reset empties the scratch for reuse, keeping a bounded amount of memory.
func (s *scratch) reset() {
	s.points.reset(false)
	s.rings.reset(true)
	s.features.reset(true)
	clear(s.found)
	clear(s.prs)
}

// arena carves slices from chunks, so that one allocation serves many
// rings, polygons or layers.
type arena[T any] struct {
	chunks [][]T
	cur    int // the chunk being carved
}

// alloc returns an empty slice with room for n values. The capacity is
// exact, so an append beyond it (orb's clip does so) reallocates rather
// than run into a neighbour.
func (a *arena[T]) alloc(n int) []T {
	if n > 1024 {
		return make([]T, 0, n)
	}
	for {
		if a.cur == len(a.chunks) {
			// Chunks grow with use so that a sparse tile stays cheap.
			size := 256
			if a.cur > 0 {
				size = min(8192, 2*cap(a.chunks[a.cur-1]))
			}
			a.chunks = append(a.chunks, make([]T, 0, max(size, n)))
		}
		c := a.chunks[a.cur]
		if cap(c)-len(c) >= n {
			l := len(c)
			a.chunks[a.cur] = c[:l+n]
			return c[l : l : l+n]
		}
		a.cur++
	}
}

// reset makes the chunks free again (at most 16 kept), zeroing what was
// carved when the values hold pointers.
func (a *arena[T]) reset(zero bool) {
	if len(a.chunks) > 16 {
		a.chunks = a.chunks[:16]
	}
	for i := range a.chunks {
		if zero {
			clear(a.chunks[i])
		}
		a.chunks[i] = a.chunks[i][:0]
	}
	a.cur = 0
}

// alloc returns an empty slice with room for n points from the scratch.
func (p *projector) alloc(n int) []orb.Point { return p.s.points.alloc(n) }

func newProjector(t maptile.Tile, extent uint32, buffer float64) *projector {
	e := float64(extent)
	p := &projector{
		s:      &scratch{},
		z:      int(t.Z),
		extent: e,
		scale:  e * math.Exp2(float64(t.Z)),
		x0:     float64(t.X) * e,
		y0:     float64(t.Y) * e,
	}
	p.clipBox = orb.Bound{Min: orb.Point{-buffer, -buffer}, Max: orb.Point{e + buffer, e + buffer}}
	nw := p.unproject(orb.Point{-buffer, -buffer})
	se := p.unproject(orb.Point{e + buffer, e + buffer})
	p.envelope = float4Bound(orb.Bound{Min: orb.Point{nw[0], se[1]}, Max: orb.Point{se[0], nw[1]}})
	// The R-tree search must find everything the envelope test admits:
	// widen by one tile unit and one float32 step.
	nw = p.unproject(orb.Point{-buffer - 1, -buffer - 1})
	se = p.unproject(orb.Point{e + buffer + 1, e + buffer + 1})
	p.searchBound = float4Bound(float4Bound(orb.Bound{Min: orb.Point{nw[0], se[1]}, Max: orb.Point{se[0], nw[1]}}))
	return p
}

// admits reports whether a feature whose lon/lat bound widened to float32
// (float4Bound) is fb is a candidate for the tile. It is PostGIS's test for
// geom && ST_Transform(ST_TileEnvelope(z, x, y, margin => buffer/extent),
// 4326): both boxes widened outwards to float32, as PostGIS's index keys
// are, so that onemap and ST_AsMVT keep the same features at the buffer's
// edge.
func (p *projector) admits(fb orb.Bound) bool {
	return fb.Intersects(p.envelope)
}

// float4Bound widens b outwards to the nearest float32 values, as PostGIS's
// box2df does.
func float4Bound(b orb.Bound) orb.Bound {
	return orb.Bound{
		Min: orb.Point{float4Down(b.Min[0]), float4Down(b.Min[1])},
		Max: orb.Point{float4Up(b.Max[0]), float4Up(b.Max[1])},
	}
}

func float4Down(d float64) float64 {
	f := float32(d)
	if float64(f) > d {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return float64(f)
}

func float4Up(d float64) float64 {
	f := float32(d)
	if float64(f) < d {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return float64(f)
}

// project returns the tile coordinates of a world point, unrounded.
func (p *projector) project(w orb.Point) orb.Point {
	return orb.Point{w[0]*p.scale - p.x0, w[1]*p.scale - p.y0}
}

// unproject returns the lon/lat of a point in tile coordinates.
func (p *projector) unproject(q orb.Point) orb.Point {
	lon := (q[0]+p.x0)/p.scale*360 - 180
	n := math.Pi * (1 - 2*(q[1]+p.y0)/p.scale)
	lat := math.Atan(math.Sinh(n)) * 180 / math.Pi
	return orb.Point{lon, lat}
}

func (p *projector) snap(pt orb.Point) orb.Point {
	q := p.project(pt)
	return orb.Point{math.RoundToEven(q[0]), math.RoundToEven(q[1])}
}

func round(q orb.Point) orb.Point {
	return orb.Point{math.RoundToEven(q[0]), math.RoundToEven(q[1])}
}

// geometry returns g (world coordinates, bound b) in tile coordinates, clipped to the buffered tile,
// simplified with tolerance tol (tile units), with exterior rings of
// positive area (clockwise in tile space, y down) and holes negative. It
// returns nil for geometry that falls outside the tile or collapses, and for
// lines and areas whose extent is below minSize in both directions (and
// below half a unit, as ST_AsMVTGeom drops them).
func (p *projector) geometry(g orb.Geometry, b orb.Bound, tol, minSize float64) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		q := p.snap(g)
		if !p.clipBox.Contains(q) {
			return nil
		}
		return q
	case orb.MultiPoint:
		var out orb.MultiPoint
		seen := make(map[orb.Point]bool, len(g))
		for _, pt := range g {
			q := p.snap(pt)
			if p.clipBox.Contains(q) && !seen[q] {
				seen[q] = true
				out = append(out, q)
			}
		}
		return collapse(out)
	case orb.LineString:
		if p.tiny(b, minSize) {
			return nil
		}
		q := p.snapLine(g)
		if len(q) < 2 {
			return nil
		}
		if within(p.clipBox, q) { // the common case: no clipping, one part
			return p.simplifyLine(q, tol)
		}
		return collapse(p.clipLine(q, tol, nil))
	case orb.MultiLineString:
		if p.tiny(b, minSize) {
			return nil
		}
		var parts orb.MultiLineString
		for _, ls := range g {
			parts = p.line(ls, tol, parts)
		}
		return collapse(parts)
	case orb.Ring:
		return p.geometry(orb.Polygon{g}, b, tol, minSize)
	case orb.Bound:
		return p.geometry(g.ToPolygon(), b, tol, minSize)
	case orb.Polygon:
		if p.tiny(b, minSize) {
			return nil
		}
		if out := p.polygon(g, tol); out != nil {
			return out
		}
		return nil
	case orb.MultiPolygon:
		if p.tiny(b, minSize) {
			return nil
		}
		var out orb.MultiPolygon
		for _, poly := range g {
			if q := p.polygon(poly, tol); q != nil {
				out = append(out, q)
			}
		}
		return collapse(out)
	}
	return nil // collections have no MVT encoding
}

// tiny reports whether a world bound spans less than half a tile unit
// (and less than minSize) both across and down.
func (p *projector) tiny(b orb.Bound, minSize float64) bool {
	lim := math.Max(0.5, minSize)
	a, c := p.project(b.Min), p.project(b.Max)
	return math.Abs(c[0]-a[0]) < lim && math.Abs(c[1]-a[1]) < lim
}

// collapse is a multi-geometry as MVT encodes it: nothing when empty, its
// one part alone, or the whole.
func collapse[E orb.Geometry, M interface {
	~[]E
	orb.Geometry
}](parts M) orb.Geometry {
	switch len(parts) {
	case 0:
		return nil
	case 1:
		return parts[0]
	}
	return parts
}

// snapLine projects and snaps the points, dropping repeats.
func (p *projector) snapLine(ls []orb.Point) orb.LineString {
	out := orb.LineString(p.alloc(len(ls)))
	for _, pt := range ls {
		q := p.snap(pt)
		if n := len(out); n > 0 && out[n-1] == q {
			continue
		}
		out = append(out, q)
	}
	return out
}

// dedupe rounds clip intersections back onto the grid and drops repeats,
// in place.
func dedupe(ls []orb.Point) []orb.Point {
	out := ls[:0]
	for _, q := range ls {
		q = round(q)
		if n := len(out); n > 0 && out[n-1] == q {
			continue
		}
		out = append(out, q)
	}
	return out
}

func within(b orb.Bound, ls []orb.Point) bool {
	for _, q := range ls {
		if q[0] < b.Min[0] || q[0] > b.Max[0] || q[1] < b.Min[1] || q[1] > b.Max[1] {
			return false
		}
	}
	return true
}

// line appends the parts of ls inside the tile to parts.
func (p *projector) line(ls orb.LineString, tol float64, parts orb.MultiLineString) orb.MultiLineString {
	q := p.snapLine(ls)
	if len(q) < 2 {
		return parts
	}
	if within(p.clipBox, q) {
		return append(parts, p.simplifyLine(q, tol))
	}
	return p.clipLine(q, tol, parts)
}

// clipLine appends the parts of the snapped line q inside the buffered
// tile to parts.
func (p *projector) clipLine(q orb.LineString, tol float64, parts orb.MultiLineString) orb.MultiLineString {
	for _, piece := range clip.LineString(p.clipBox, q) {
		piece = orb.LineString(dedupe(piece))
		if len(piece) < 2 {
			continue
		}
		parts = append(parts, p.simplifyLine(piece, tol))
	}
	return parts
}

// simplifyLine applies Douglas–Peucker to a snapped line of two or more
// distinct points, keeping the line as it is if simplification would
// collapse it.
func (p *projector) simplifyLine(piece orb.LineString, tol float64) orb.LineString {
	if len(piece) <= 2 {
		return piece
	}
	s := p.dp(tol).LineString(append(orb.LineString(p.alloc(len(piece))), piece...))
	if len(s) > 2 || len(s) == 2 && s[0] != s[1] {
		return s
	}
	return piece
}

// polygon returns the polygon in tile space, or nil when its exterior
// collapses or falls outside. Holes that collapse are dropped.
func (p *projector) polygon(poly orb.Polygon, tol float64) orb.Polygon {
	out := orb.Polygon(p.s.rings.alloc(len(poly)))
	for i, r := range poly {
		q := p.ring(r, tol)
		if q == nil {
			if i == 0 {
				return nil
			}
			continue
		}
		a := area2(q)
		if (i == 0) != (a > 0) {
			reverse(q)
		}
		out = append(out, q)
	}
	return out
}

// ring returns the closed ring snapped, clipped and simplified, or nil when
// it has no area left.
func (p *projector) ring(r orb.Ring, tol float64) orb.Ring {
	q := orb.Ring(p.snapLine(r))
	if len(q) > 1 && q[0] == q[len(q)-1] {
		q = q[:len(q)-1]
	}
	if len(q) < 3 {
		return nil
	}
	q = append(q, q[0])
	if !within(p.clipBox, q) {
		q = clip.Ring(p.clipBox, q)
		if q == nil {
			return nil
		}
		q = orb.Ring(dedupe(q))
		if len(q) > 1 && q[0] == q[len(q)-1] {
			q = q[:len(q)-1]
		}
		if len(q) < 3 {
			return nil
		}
		q = append(q, q[0])
	}
	if area2(q) == 0 {
		return nil
	}
	// A quadrilateral (most buildings) has nothing to simplify away.
	if len(q) > 5 {
		s := p.dp(tol).Ring(append(orb.Ring(p.alloc(len(q))), q...))
		if len(s) >= 4 && area2(s) != 0 {
			q = s
		}
	}
	return q
}

// area2 is twice the signed area of a closed ring by the shoelace formula:
// positive when the ring turns clockwise in tile space (y down), which is
// what spec 2.1 requires of exterior rings.
func area2(r orb.Ring) float64 {
	var a float64
	for i := 0; i+1 < len(r); i++ {
		a += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return a
}

func reverse(r orb.Ring) {
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
}
