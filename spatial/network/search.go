package network

import (
	"math"
	"math/bits"
	"sort"

	"github.com/paulmach/orb"
)

// state is the reusable memory of one search. Arrays are valid where their
// stamp equals gen, so a search never clears them.
type state struct {
	lab     []label
	gen     uint32
	queue   queue
	settled []int32
	// per-node lists of site attachments (nearest-unit searches)
	amark  []uint32
	afirst []int32
	attach []attachment
	direct []bool
}

// label is one node's search state, kept together for locality (16
// bytes). It is valid where stamp equals the search's generation. No
// "settled" flag is needed: a node is queued again only with a strictly
// lower key, so the entry whose key equals its label is its one live
// entry, popped once.
type label struct {
	dist   float64
	stamp  uint32
	parent int32
}

type item struct {
	key  float64
	node int32
}

type attachment struct {
	site int32
	edge int32
	off  float64
	next int32
}

// get returns a search state sized for the graph plus extra virtual nodes.
func (g *Graph) get(extra int) *state {
	st, _ := g.pool.Get().(*state)
	if st == nil {
		st = &state{}
	}
	n := len(g.Coords) + extra
	if len(st.lab) < n {
		st.lab = make([]label, n)
		st.gen = 0
	}
	if len(st.amark) < len(g.Coords) {
		st.amark = make([]uint32, len(g.Coords))
		st.afirst = make([]int32, len(g.Coords))
	}
	st.gen++
	if st.gen == 0 { // wrapped: clear the stamps once
		clear(st.lab)
		clear(st.amark)
		st.gen = 1
	}
	st.settled = st.settled[:0]
	st.attach = st.attach[:0]
	return st
}

func (g *Graph) put(st *state) { g.pool.Put(st) }

// relax lowers u's label to d via edge p and queues it.
func (st *state) relax(u int32, d float64, p int32) {
	l := &st.lab[u]
	if l.stamp == st.gen && l.dist <= d {
		return
	}
	l.stamp, l.dist, l.parent = st.gen, d, p
	st.queue.push(d, u)
}

func (st *state) has(u int32) bool { return st.lab[u].stamp == st.gen }

// queue is a monotone priority queue for Dijkstra (no key pushed is below
// the last popped): a ring of buckets of fixed key width, as in Dial's
// algorithm, whose current bucket is kept sorted so that items still leave
// in exact key order. Most buckets hold a handful of items, so a pop costs
// a few predictable comparisons instead of a heap's log n unpredictable
// ones. Superseded entries stay queued and are skipped by the caller.
type queue struct {
	inv   float64  // 1 / bucket width
	ring  [][]item // a power of two long
	mask  int64
	cur   int64  // absolute index of the current bucket
	front []item // the current bucket, sorted by descending key
	size  int
}

// queueShape picks the bucket width and ring size for edge weights w: the
// width is half the lower-quartile weight (so a bucket holds few items),
// the ring spans the largest weight.
func queueShape(w []float64) (float64, int) {
	if len(w) == 0 {
		return 1, 2
	}
	step := max(1, len(w)/4096)
	var sample []float64
	maxW := 0.0
	for i, x := range w {
		maxW = max(maxW, x)
		if i%step == 0 {
			sample = append(sample, x)
		}
	}
	sort.Float64s(sample)
	width := max(sample[len(sample)/4]/8, maxW/65536, 1e-9)
	return width, int(maxW/width) + 2
}

func (q *queue) reset(width float64, n int) {
	n = 1 << bits.Len(uint(n-1))
	if len(q.ring) != n {
		q.ring = make([][]item, n)
	}
	for i := range q.ring {
		q.ring[i] = q.ring[i][:0]
	}
	q.inv, q.mask, q.cur, q.front, q.size = 1/width, int64(n-1), 0, q.front[:0], 0
}

func (q *queue) push(key float64, node int32) {
	q.size++
	k := int64(key * q.inv)
	if k > q.cur {
		r := &q.ring[k&q.mask]
		*r = append(*r, item{key, node})
		return
	}
	// Into the current bucket, keeping it sorted (descending).
	f := q.front
	i := len(f)
	for i > 0 && f[i-1].key < key {
		i--
	}
	f = append(f, item{})
	copy(f[i+1:], f[i:])
	f[i] = item{key, node}
	q.front = f
}

func (q *queue) pop() item {
	for len(q.front) == 0 {
		q.cur++
		r := &q.ring[q.cur&q.mask]
		if len(*r) == 0 {
			continue
		}
		q.front = append(q.front[:0], *r...)
		*r = (*r)[:0]
		f := q.front
		for i := 1; i < len(f); i++ { // insertion sort: buckets are small
			x := f[i]
			j := i
			for j > 0 && f[j-1].key < x.key {
				f[j] = f[j-1]
				j--
			}
			f[j] = x
		}
	}
	f := q.front
	it := f[len(f)-1]
	q.front = f[:len(f)-1]
	q.size--
	return it
}

// forward runs Dijkstra from the snapped sources along the edges' direction
// of travel, settling nodes up to limit (inclusive).
func (g *Graph) forward(st *state, sources []Snap, m Metric, limit float64, blocked *Blocked) {
	w := g.Weights(m)
	st.queue.reset(g.qWidth[m], g.qRing[m])
	for _, s := range sources {
		if s.Node >= 0 {
			st.relax(s.Node, 0, -1)
		}
		for _, e := range g.segEdge[g.segFirst[s.Seg]:g.segFirst[s.Seg+1]] {
			if blocked.Has(e) {
				continue
			}
			st.relax(g.Head[e], (1-g.along(s, e))*w[e], e)
		}
	}
	q, gen := &st.queue, st.gen
	lab := st.lab
	first, head := g.First, g.Head
	for q.size > 0 {
		it := q.pop()
		u := it.node
		if it.key > lab[u].dist {
			continue // superseded
		}
		if it.key > limit {
			break
		}
		st.settled = append(st.settled, u)
		for e := first[u]; e < first[u+1]; e++ {
			if blocked != nil && blocked.Has(e) {
				continue
			}
			v, d := head[e], it.key+w[e]
			l := &lab[v]
			// A settled node's label is ≤ it.key ≤ d, so this test
			// also skips settled nodes.
			if l.stamp == gen && l.dist <= d {
				continue
			}
			l.stamp, l.dist, l.parent = gen, d, e
			q.push(d, v)
		}
	}
}

// Tree is the result of a forward search, valid only inside the callback
// that receives it.
type Tree struct {
	g       *Graph
	st      *state
	w       []float64
	sources []Snap
	limit   float64
	blocked *Blocked
}

// Forward runs one search from all sources (their nearest source wins) up
// to limit (math.Inf(1) for the whole network) and calls fn with the result.
func (g *Graph) Forward(sources []Snap, m Metric, limit float64, blocked *Blocked, fn func(t *Tree)) {
	st := g.get(0)
	defer g.put(st)
	w := g.Weights(m)
	g.forward(st, sources, m, limit, blocked)
	fn(&Tree{g: g, st: st, w: w, sources: sources, limit: limit, blocked: blocked})
}

// Node returns the cost to node u and whether it was reached within the
// limit.
func (t *Tree) Node(u int32) (float64, bool) {
	// Every node labelled within the limit was settled before the
	// search stopped.
	if l := t.st.lab[u]; l.stamp == t.st.gen && l.dist <= t.limit {
		return l.dist, true
	}
	return math.Inf(1), false
}

// To returns the cost from the nearest source to the snapped point (+Inf
// when not reached within the limit).
func (t *Tree) To(s Snap) float64 {
	g := t.g
	best := math.Inf(1)
	if s.Node >= 0 {
		if d, ok := t.Node(s.Node); ok {
			best = d
		}
		for _, c := range g.copies[s.Node] {
			if d, ok := t.Node(c); ok {
				best = math.Min(best, d)
			}
		}
	}
	for _, e := range g.segEdge[g.segFirst[s.Seg]:g.segFirst[s.Seg+1]] {
		if t.blocked.Has(e) {
			continue
		}
		at := g.along(s, e)
		if d, ok := t.Node(g.Tail[e]); ok {
			best = math.Min(best, d+at*t.w[e])
		}
		for _, src := range t.sources {
			if src.Seg == s.Seg {
				if as := g.along(src, e); as <= at {
					best = math.Min(best, (at-as)*t.w[e])
				}
			}
		}
	}
	if best > t.limit {
		return math.Inf(1)
	}
	return best
}

// Pieces calls fn with every stretch of road reachable within the limit:
// whole edges and the reachable start of edges that run beyond it. A closed
// edge is never reported.
func (t *Tree) Pieces(fn func(a, b orb.Point)) {
	g := t.g
	part := func(e int32, from, to float64) { // fractions along e's direction
		a, b := g.Coords[g.Tail[e]], g.Coords[g.Head[e]]
		fn(lerp(a, b, from), lerp(a, b, to))
	}
	for _, src := range t.sources {
		for _, e := range g.segEdge[g.segFirst[src.Seg]:g.segFirst[src.Seg+1]] {
			if t.blocked.Has(e) {
				continue
			}
			at := g.along(src, e)
			rest := (1 - at) * t.w[e]
			if rest <= t.limit {
				part(e, at, 1)
			} else {
				part(e, at, at+t.limit/t.w[e])
			}
		}
	}
	for _, u := range t.st.settled {
		d := t.st.lab[u].dist
		for e := g.First[u]; e < g.First[u+1]; e++ {
			if t.blocked.Has(e) {
				continue
			}
			if d+t.w[e] <= t.limit {
				part(e, 0, 1)
			} else if t.w[e] > 0 {
				part(e, 0, (t.limit-d)/t.w[e])
			}
		}
	}
}

func lerp(a, b orb.Point, f float64) orb.Point {
	return orb.Point{a[0] + (b[0]-a[0])*f, a[1] + (b[1]-a[1])*f}
}
