package network

import (
	"math"

	"github.com/paulmach/orb"
)

// state is the reusable memory of one search. Arrays are valid where their
// stamp equals gen, so a search never clears them.
type state struct {
	lab     []label
	gen     uint32
	heap    []item
	settled []int32
	// per-node lists of site attachments (nearest-unit searches)
	amark  []uint32
	afirst []int32
	attach []attachment
	direct []bool
}

// label is one node's search state, kept together for locality. Fields
// are valid where stamp (labelled) or done (settled) equals the search's
// generation.
type label struct {
	dist   float64
	stamp  uint32
	parent int32
	pos    int32 // index in the heap while queued
	done   uint32
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
	st.heap = st.heap[:0]
	st.settled = st.settled[:0]
	st.attach = st.attach[:0]
	return st
}

func (g *Graph) put(st *state) { g.pool.Put(st) }

// relax lowers u's label to d via edge p and queues it.
func (st *state) relax(u int32, d float64, p int32) {
	l := &st.lab[u]
	fresh := l.stamp != st.gen
	if !fresh && (l.done == st.gen || l.dist <= d) {
		return
	}
	l.stamp, l.dist, l.parent = st.gen, d, p
	q := pq{h: st.heap, lab: st.lab}
	q.update(u, d, fresh)
	st.heap = q.h
}

func (st *state) has(u int32) bool { return st.lab[u].stamp == st.gen }

// pq is an indexed 4-ary min-heap of labelled, unsettled nodes with
// decrease-key, so no node is queued twice. Hot loops keep it in a local
// variable.
type pq struct {
	h   []item
	lab []label // holds each queued node's index in h
}

// update queues v with key d (fresh: v is not queued yet) or lowers its key.
func (q *pq) update(v int32, d float64, fresh bool) {
	var i int
	if fresh {
		i = len(q.h)
		q.h = append(q.h, item{})
	} else {
		i = int(q.lab[v].pos)
	}
	it := item{d, v}
	h, lab := q.h, q.lab
	for i > 0 {
		p := (i - 1) / 4
		if h[p].key <= d {
			break
		}
		h[i] = h[p]
		lab[h[i].node].pos = int32(i)
		i = p
	}
	h[i] = it
	lab[v].pos = int32(i)
}

// pop removes and returns the node with the least key.
func (q *pq) pop() item {
	h, lab := q.h, q.lab
	top := h[0]
	n := len(h) - 1
	last := h[n]
	h = h[:n]
	q.h = h
	if n == 0 {
		return top
	}
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		best := c
		end := min(c+4, n)
		for j := c + 1; j < end; j++ {
			if h[j].key < h[best].key {
				best = j
			}
		}
		if last.key <= h[best].key {
			break
		}
		h[i] = h[best]
		lab[h[i].node].pos = int32(i)
		i = best
	}
	h[i] = last
	lab[last.node].pos = int32(i)
	return top
}

// forward runs Dijkstra from the snapped sources along the edges' direction
// of travel, settling nodes up to limit (inclusive).
func (g *Graph) forward(st *state, sources []Snap, w []float64, limit float64, blocked *Blocked) {
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
	q, gen := pq{h: st.heap, lab: st.lab}, st.gen
	lab := st.lab
	first, head := g.First, g.Head
	for len(q.h) > 0 {
		it := q.pop()
		u := it.node
		if it.key > limit {
			break
		}
		lab[u].done = gen
		st.settled = append(st.settled, u)
		for e := first[u]; e < first[u+1]; e++ {
			if blocked != nil && blocked.Has(e) {
				continue
			}
			v, d := head[e], it.key+w[e]
			l := &lab[v]
			// A settled node's label is ≤ it.key ≤ d, so this test
			// also skips settled nodes.
			fresh := l.stamp != gen
			if !fresh && l.dist <= d {
				continue
			}
			l.stamp, l.dist, l.parent = gen, d, e
			q.update(v, d, fresh)
		}
	}
	st.heap = q.h
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
	g.forward(st, sources, w, limit, blocked)
	fn(&Tree{g: g, st: st, w: w, sources: sources, limit: limit, blocked: blocked})
}

// Node returns the cost to node u and whether it was reached within the
// limit.
func (t *Tree) Node(u int32) (float64, bool) {
	if l := t.st.lab[u]; l.done == t.st.gen {
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
