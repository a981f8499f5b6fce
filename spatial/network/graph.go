// Package network is onemap's road network: a directed graph in compact
// arrays (CSR) built from road features or an OSM extract, with snapping of
// points onto the roads, one-to-many shortest paths, drive-time isochrones
// and road closures.
//
// Nodes are road vertices; every pair of consecutive vertices of a road is a
// straight segment carrying one directed edge per permitted direction. Turn
// restrictions (from way, via node, to way) are built into the graph by
// splitting each restricted via node into one copy per restricted incoming
// way; a copy keeps only the outgoing edges its way may turn onto, so a plain
// node-based Dijkstra honours them.
package network

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/tidwall/rtree"
)

// Metric is what a search minimises.
type Metric int

// The metrics: travel time in seconds or length in metres.
const (
	Time Metric = iota
	Distance
)

// ParseMetric reads "time" or "distance" ("" means time).
func ParseMetric(s string) (Metric, error) {
	switch s {
	case "", "time":
		return Time, nil
	case "distance":
		return Distance, nil
	}
	return Time, fmt.Errorf("network: unknown metric %q (time, distance)", s)
}

// String is the metric's name as the API spells it.
func (m Metric) String() string {
	if m == Distance {
		return "distance"
	}
	return "time"
}

// Way is one road as the builder reads it: a polyline whose vertices carry
// node keys (vertices with the same key are the same junction), the
// directions it may be driven and its speed.
type Way struct {
	ID       int64 // road id: feature id or OSM way id
	Coords   []orb.Point
	Keys     []int64 // one per coordinate
	Forward  bool    // drivable in coordinate order
	Backward bool    // drivable against coordinate order
	SpeedKmh float64
}

// Restriction is a turn restriction from one way to another at a via node.
// Only restrictions allow just the To way; others forbid it.
type Restriction struct {
	From, To int64 // way ids
	Via      int64 // node key
	Only     bool
}

// Graph is a directed road graph in compressed sparse row form. It is
// immutable after Build and safe for concurrent use.
type Graph struct {
	// Coords holds each node's lon/lat; restriction copies repeat their
	// original's point.
	Coords []orb.Point
	// Key is each node's junction key (the OSM node id, or a number per
	// distinct coordinate for road layers); copies repeat their original's.
	Key []int64
	// Orig maps a node to the junction it was copied from (itself for
	// ordinary nodes).
	Orig []int32
	// First[u]..First[u+1] are u's outgoing edges.
	First []int32
	// Head, Tail, Seconds, Metres and Seg are per edge.
	Head, Tail []int32
	Seconds    []float64
	Metres     []float64
	Seg        []int32 // geometric segment the edge runs along

	// rFirst[u]..rFirst[u+1] index u's incoming edges (the reversed
	// graph): rEdge is the edge, rTail and rCost (per metric) repeat its
	// tail and cost so that the reversed search reads two arrays in
	// order and nothing else.
	rFirst []int32
	rEdge  []int32
	rTail  []int32
	rCost  [2][]float64

	// Segments: straight pieces between two junctions, in both directions.
	segA, segB   []int32 // original node ids
	segRoad      []int64
	segFirst     []int32 // segFirst[s]..segFirst[s+1] index segEdge
	segEdge      []int32
	segMain      []bool // segment has an edge inside the main component
	comp         []int32
	mainComp     int32
	mainSize     int
	tree         rtree.RTreeG[int32] // over segments in local metres
	proj         projection
	roadSegs     map[int64][]int32
	copies       map[int32][]int32 // junction → its restriction copies
	restrictions int
	qShape       [2]queueShape // search queue layout per metric
	pool         sync.Pool
}

// Nodes is the number of nodes.
func (g *Graph) Nodes() int { return len(g.Coords) }

// Edges is the number of directed edges.
func (g *Graph) Edges() int { return len(g.Head) }

// Segments is the number of geometric road segments.
func (g *Graph) Segments() int { return len(g.segA) }

// MainComponent is the size (nodes) of the largest strongly connected
// component, the part of the network points are snapped to.
func (g *Graph) MainComponent() int { return g.mainSize }

// Restrictions is the number of turn restrictions built into the graph.
func (g *Graph) Restrictions() int { return g.restrictions }

// InMain reports whether node u lies in the largest strongly connected
// component.
func (g *Graph) InMain(u int32) bool { return g.comp[u] == g.mainComp }

// Weights returns the per-edge cost array for m.
func (g *Graph) Weights(m Metric) []float64 {
	if m == Distance {
		return g.Metres
	}
	return g.Seconds
}

// MemoryBytes estimates the memory the graph's arrays hold.
func (g *Graph) MemoryBytes() int {
	n, e, s := len(g.Coords), len(g.Head), len(g.segA)
	return n*(16+8+4+4+4+4) + e*(4+4+8+8+4+4+4+4+16) + s*(4+4+8+4+1) + s*80 // last term: R-tree entries, roughly
}

// projection is a local equirectangular projection in metres, accurate
// enough for snapping and rasterising within a city.
type projection struct {
	lon0, lat0, kx, ky float64
}

const earthRadius = 6371008.8

func newProjection(b orb.Bound) projection {
	c := b.Center()
	ky := earthRadius * math.Pi / 180
	return projection{lon0: c[0], lat0: c[1], kx: ky * math.Cos(c[1]*math.Pi/180), ky: ky}
}

func (p projection) xy(pt orb.Point) [2]float64 {
	return [2]float64{(pt[0] - p.lon0) * p.kx, (pt[1] - p.lat0) * p.ky}
}

func (p projection) lonlat(x, y float64) orb.Point {
	return orb.Point{x/p.kx + p.lon0, y/p.ky + p.lat0}
}

// ErrEmpty is returned when there is no drivable road to build from.
var ErrEmpty = errors.New("network: no drivable roads")

type rawEdge struct {
	tail, head int32
	way        int64
	seg        int32
	metres     float64
	seconds    float64
}

// Build makes a graph from ways and turn restrictions. Restrictions whose
// ways or via node are not in the network are ignored.
func Build(ways []Way, restrictions []Restriction) (*Graph, error) {
	g := &Graph{roadSegs: map[int64][]int32{}}
	// Sized up front: a city's million vertices would otherwise be copied
	// over and over as the slices and the index grow.
	nv := 0
	for _, w := range ways {
		nv += len(w.Coords)
	}
	index := make(map[int64]int32, nv)
	g.Coords, g.Key = make([]orb.Point, 0, nv), make([]int64, 0, nv)
	g.segA, g.segB, g.segRoad = make([]int32, 0, nv), make([]int32, 0, nv), make([]int64, 0, nv)
	raw := make([]rawEdge, 0, 2*nv)
	for _, w := range ways {
		if len(w.Coords) < 2 || len(w.Keys) != len(w.Coords) || (!w.Forward && !w.Backward) || w.SpeedKmh <= 0 {
			continue
		}
		mps := w.SpeedKmh / 3.6
		prev := int32(-1)
		for i, key := range w.Keys {
			u, ok := index[key]
			if !ok {
				u = int32(len(g.Coords))
				index[key] = u
				g.Coords = append(g.Coords, w.Coords[i])
				g.Key = append(g.Key, key)
			}
			if prev >= 0 && prev != u {
				s := int32(len(g.segA))
				g.segA = append(g.segA, prev)
				g.segB = append(g.segB, u)
				g.segRoad = append(g.segRoad, w.ID)
				g.roadSegs[w.ID] = append(g.roadSegs[w.ID], s)
				m := geo.DistanceHaversine(g.Coords[prev], g.Coords[u])
				if w.Forward {
					raw = append(raw, rawEdge{prev, u, w.ID, s, m, m / mps})
				}
				if w.Backward {
					raw = append(raw, rawEdge{u, prev, w.ID, s, m, m / mps})
				}
			}
			prev = u
		}
	}
	if len(raw) == 0 {
		return nil, ErrEmpty
	}
	n0 := int32(len(g.Coords))
	g.Orig = make([]int32, n0)
	for i := range g.Orig {
		g.Orig[i] = int32(i)
	}
	raw = g.expandRestrictions(raw, restrictions, index)
	g.renumber(raw)
	g.copies = map[int32][]int32{}
	for c, o := range g.Orig {
		if o != int32(c) {
			g.copies[o] = append(g.copies[o], int32(c))
		}
	}

	// CSR by tail.
	n := len(g.Coords)
	raw = sortByTail(raw, n)
	m := len(raw)
	g.First = make([]int32, n+1)
	g.Head = make([]int32, m)
	g.Tail = make([]int32, m)
	g.Seconds = make([]float64, m)
	g.Metres = make([]float64, m)
	g.Seg = make([]int32, m)
	for i, e := range raw {
		g.First[e.tail+1]++
		g.Head[i], g.Tail[i] = e.head, e.tail
		g.Seconds[i], g.Metres[i] = e.seconds, e.metres
		g.Seg[i] = e.seg
	}
	for u := 0; u < n; u++ {
		g.First[u+1] += g.First[u]
	}
	g.rFirst = make([]int32, n+1)
	for _, h := range g.Head {
		g.rFirst[h+1]++
	}
	for u := 0; u < n; u++ {
		g.rFirst[u+1] += g.rFirst[u]
	}
	g.rEdge, g.rTail = make([]int32, m), make([]int32, m)
	g.rCost[Time], g.rCost[Distance] = make([]float64, m), make([]float64, m)
	fill := append([]int32(nil), g.rFirst[:n]...)
	for e, h := range g.Head {
		i := fill[h]
		fill[h]++
		g.rEdge[i], g.rTail[i] = int32(e), g.Tail[e]
		g.rCost[Time][i], g.rCost[Distance][i] = g.Seconds[e], g.Metres[e]
	}
	// Segment → edges.
	ns := len(g.segA)
	g.segFirst = make([]int32, ns+1)
	for _, s := range g.Seg {
		g.segFirst[s+1]++
	}
	for s := 0; s < ns; s++ {
		g.segFirst[s+1] += g.segFirst[s]
	}
	g.segEdge = make([]int32, m)
	fill = append(fill[:0], g.segFirst[:ns]...)
	for e, s := range g.Seg {
		g.segEdge[fill[s]] = int32(e)
		fill[s]++
	}

	g.components()
	g.qShape[Time] = shapeQueue(g.Seconds)
	g.qShape[Distance] = shapeQueue(g.Metres)
	g.segMain = make([]bool, ns)
	var b orb.Bound
	for i, p := range g.Coords {
		if i == 0 {
			b = orb.Bound{Min: p, Max: p}
		} else {
			b = b.Extend(p)
		}
	}
	g.proj = newProjection(b)
	for s := 0; s < ns; s++ {
		for _, e := range g.segEdge[g.segFirst[s]:g.segFirst[s+1]] {
			if g.comp[g.Tail[e]] == g.mainComp && g.comp[g.Head[e]] == g.mainComp {
				g.segMain[s] = true
			}
		}
		a, c := g.proj.xy(g.Coords[g.segA[s]]), g.proj.xy(g.Coords[g.segB[s]])
		g.tree.Insert([2]float64{math.Min(a[0], c[0]), math.Min(a[1], c[1])},
			[2]float64{math.Max(a[0], c[0]), math.Max(a[1], c[1])}, int32(s))
	}
	return g, nil
}

// renumber orders the nodes along a Hilbert curve over their coordinates
// (a restriction copy right after its junction), so that nodes near each
// other on the map are near each other in memory: a search's labels and
// edge lists then share cache lines. It rewrites raw's ends and every
// node-indexed array built so far.
func (g *Graph) renumber(raw []rawEdge) {
	n := len(g.Coords)
	if n == 0 {
		return
	}
	b := orb.Bound{Min: g.Coords[0], Max: g.Coords[0]}
	for _, p := range g.Coords {
		b = b.Extend(p)
	}
	const side = 1 << 16
	sx, sy := (side-1)/math.Max(b.Max[0]-b.Min[0], 1e-12), (side-1)/math.Max(b.Max[1]-b.Min[1], 1e-12)
	h := make([]uint64, n)
	order := make([]int32, n)
	for u, p := range g.Coords {
		h[u] = hilbert(side, uint32((p[0]-b.Min[0])*sx), uint32((p[1]-b.Min[1])*sy))
		order[u] = int32(u)
	}
	sort.Slice(order, func(i, j int) bool {
		a, c := order[i], order[j]
		if h[a] != h[c] {
			return h[a] < h[c]
		}
		return a < c // originals precede their copies
	})
	perm := make([]int32, n) // old → new
	for nu, u := range order {
		perm[u] = int32(nu)
	}
	coords, keys, orig := make([]orb.Point, n), make([]int64, n), make([]int32, n)
	for u := range g.Coords {
		nu := perm[u]
		coords[nu], keys[nu], orig[nu] = g.Coords[u], g.Key[u], perm[g.Orig[u]]
	}
	g.Coords, g.Key, g.Orig = coords, keys, orig
	for i := range raw {
		raw[i].tail, raw[i].head = perm[raw[i].tail], perm[raw[i].head]
	}
	for s := range g.segA {
		g.segA[s], g.segB[s] = perm[g.segA[s]], perm[g.segB[s]]
	}
}

// hilbert is the distance of cell (x, y) along the Hilbert curve filling
// a side×side grid (side a power of two).
func hilbert(side, x, y uint32) uint64 {
	var d uint64
	for s := side / 2; s > 0; s /= 2 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		if ry == 0 { // rotate the quadrant
			if rx == 1 {
				x, y = side-1-x, side-1-y
			}
			x, y = y, x
		}
	}
	return d
}

// expandRestrictions splits restricted via nodes (see the package comment)
// and returns the edge list rewired to the copies.
func (g *Graph) expandRestrictions(raw []rawEdge, rs []Restriction, index map[int64]int32) []rawEdge {
	type rule struct {
		only map[int64]bool
		no   map[int64]bool
	}
	// via node → from way → rule
	rules := map[int32]map[int64]*rule{}
	incoming := map[int32]map[int64]bool{}
	outgoing := map[int32]map[int64]bool{}
	for _, r := range rs {
		if v, ok := index[r.Via]; ok {
			incoming[v], outgoing[v] = map[int64]bool{}, map[int64]bool{}
		}
	}
	if len(incoming) == 0 {
		return raw
	}
	for _, e := range raw {
		if in, ok := incoming[e.head]; ok {
			in[e.way] = true
		}
		if out, ok := outgoing[e.tail]; ok {
			out[e.way] = true
		}
	}
	for _, r := range rs {
		v, ok := index[r.Via]
		if !ok || !incoming[v][r.From] || !outgoing[v][r.To] {
			continue
		}
		if rules[v] == nil {
			rules[v] = map[int64]*rule{}
		}
		ru := rules[v][r.From]
		if ru == nil {
			ru = &rule{only: map[int64]bool{}, no: map[int64]bool{}}
			rules[v][r.From] = ru
		}
		if r.Only {
			ru.only[r.To] = true
		} else {
			ru.no[r.To] = true
		}
		g.restrictions++
	}
	if len(rules) == 0 {
		return raw
	}
	// One copy per via node, restricted incoming way and the node that
	// way arrives from: the arrival side tells a U-turn (back to that
	// node along the same way) from going straight on.
	type key struct {
		v    int32
		way  int64
		from int32
	}
	type arrival struct {
		way  int64
		from int32
		copy int32
	}
	seen := map[key]bool{}
	var keys []key
	for _, e := range raw {
		if ru := rules[e.head]; ru != nil && ru[e.way] != nil {
			k := key{e.head, e.way, e.tail}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.v != b.v {
			return a.v < b.v
		}
		if a.way != b.way {
			return a.way < b.way
		}
		return a.from < b.from
	})
	copyOf := map[key]int32{}
	copiesAt := map[int32][]arrival{}
	for _, k := range keys {
		c := int32(len(g.Coords))
		g.Coords = append(g.Coords, g.Coords[k.v])
		g.Key = append(g.Key, g.Key[k.v])
		g.Orig = append(g.Orig, k.v)
		copyOf[k] = c
		copiesAt[k.v] = append(copiesAt[k.v], arrival{k.way, k.from, c})
	}
	// allowed reports whether a vehicle that arrived at the via node by
	// way a.way from node a.from may leave by edge e. A restriction onto
	// the way it came by forbids only turning back.
	allowed := func(ru *rule, a arrival, e rawEdge) bool {
		if len(ru.only) > 0 {
			return ru.only[e.way]
		}
		if !ru.no[e.way] {
			return true
		}
		return e.way == a.way && e.head != a.from
	}
	out := make([]rawEdge, 0, len(raw)+len(raw)/8)
	for _, e := range raw {
		orig := e
		if c, ok := copyOf[key{e.head, e.way, e.tail}]; ok {
			e.head = c
		}
		out = append(out, e)
		for _, a := range copiesAt[orig.tail] {
			if allowed(rules[orig.tail][a.way], a, orig) {
				d := e
				d.tail = a.copy
				out = append(out, d)
			}
		}
	}
	return out
}

// components labels strongly connected components (iterative Tarjan) and
// picks the largest.
func (g *Graph) components() {
	n := len(g.Coords)
	g.comp = make([]int32, n)
	idx := make([]int32, n)
	low := make([]int32, n)
	on := make([]bool, n)
	for i := range idx {
		idx[i] = -1
	}
	var stack, call []int32
	var iter []int32
	counter, ncomp := int32(0), int32(0)
	sizes := []int{}
	for s := 0; s < n; s++ {
		if idx[s] >= 0 {
			continue
		}
		call = append(call[:0], int32(s))
		iter = append(iter[:0], g.First[s])
		idx[s], low[s] = counter, counter
		counter++
		stack = append(stack, int32(s))
		on[s] = true
		for len(call) > 0 {
			u := call[len(call)-1]
			it := &iter[len(iter)-1]
			if *it < g.First[u+1] {
				v := g.Head[*it]
				*it++
				if idx[v] < 0 {
					idx[v], low[v] = counter, counter
					counter++
					stack = append(stack, v)
					on[v] = true
					call = append(call, v)
					iter = append(iter, g.First[v])
				} else if on[v] && idx[v] < low[u] {
					low[u] = idx[v]
				}
				continue
			}
			if low[u] == idx[u] {
				size := 0
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					on[w] = false
					g.comp[w] = ncomp
					size++
					if w == u {
						break
					}
				}
				sizes = append(sizes, size)
				ncomp++
			}
			call = call[:len(call)-1]
			iter = iter[:len(iter)-1]
			if len(call) > 0 {
				p := call[len(call)-1]
				if low[u] < low[p] {
					low[p] = low[u]
				}
			}
		}
	}
	for c, sz := range sizes {
		if sz > g.mainSize {
			g.mainSize, g.mainComp = sz, int32(c)
		}
	}
}

// sortByTail orders edges by tail, stably, in linear time.
func sortByTail(raw []rawEdge, n int) []rawEdge {
	count := make([]int32, n+1)
	for _, e := range raw {
		count[e.tail+1]++
	}
	for i := 0; i < n; i++ {
		count[i+1] += count[i]
	}
	out := make([]rawEdge, len(raw))
	for _, e := range raw {
		out[count[e.tail]] = e
		count[e.tail]++
	}
	return out
}

// EdgeRoad is the id of the road edge e runs along.
func (g *Graph) EdgeRoad(e int32) int64 { return g.segRoad[g.Seg[e]] }
