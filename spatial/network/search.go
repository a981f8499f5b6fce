package network

import (
	"math"
	"math/bits"
	"sort"

	"github.com/paulmach/orb"
)

// state is the reusable memory of one search. Labels are valid where their
// stamp is the search's generation (gen: labelled, gen+1: settled), so a
// search never clears them.
type state struct {
	lab     []label
	gen     uint32
	queue   queue
	settled []int32
	// nearest-unit searches: each site's best arrival, the finished
	// sites and the routes' points before they are copied out
	site  []siteLabel
	order []int32
	pts   []orb.Point
	ends  []int32
	walk  []walkMark
}

// label is one node's search state, kept together for locality (24
// bytes).
type label struct {
	dist float64
	// other is the other metric's total along the same path (the
	// reversed search keeps it, so a route needs no walk over edges to
	// know its time and distance).
	other float64
	stamp uint32
	// parent is the edge the node was reached by (forward search) or
	// the next node towards the alarm (reversed search), -1 at a start.
	parent int32
}

// get returns a search state sized for the graph, with a fresh generation.
func (g *Graph) get() *state {
	st, _ := g.pool.Get().(*state)
	if st == nil {
		st = &state{}
	}
	if n := len(g.Coords); len(st.lab) < n {
		st.lab = make([]label, n)
		st.gen = 0
	}
	st.gen += 2
	if st.gen >= math.MaxUint32-2 { // about to wrap: clear the stamps once
		clear(st.lab)
		clear(st.walk)
		st.gen = 2
	}
	st.settled = st.settled[:0]
	return st
}

func (g *Graph) put(st *state) { g.pool.Put(st) }

// relax lowers u's label to d via edge p and queues it.
func (st *state) relax(u int32, d float64, p int32) {
	l := &st.lab[u]
	if l.stamp >= st.gen && l.dist <= d {
		return
	}
	l.stamp, l.dist, l.parent = st.gen, d, p
	st.queue.push(st.lab, d, u)
}

// queue is a monotone priority queue of nodes for Dijkstra (no key pushed
// is below the last settled): a ring of buckets of fixed key width, as in
// Dial's algorithm. A node's key is its label's distance. The bucket being
// emptied is q.front; q.cur is its index.
//
// When the bucket width is at most the smallest edge weight (unsorted
// mode), no node in a bucket can improve another node of the same bucket,
// so its nodes leave in any order and every popped label is final: pops
// and pushes are a slice append and truncate of 4-byte node ids.
// Otherwise (sorted mode, for graphs with very short edges) the current
// bucket is kept sorted by label so that nodes leave in exact key order.
//
// A node is queued again each time its label drops; the entries left
// behind are skipped by the caller (the node is settled by then: its
// live entry lies in the same or an earlier bucket and, in sorted mode,
// nearer the end of the front).
type queue struct {
	inv    float64   // 1 / bucket width
	ring   [][]int32 // a power of two long
	mask   int64
	cur    int64   // absolute index of the current bucket
	front  []int32 // the current bucket (by descending label in sorted mode)
	size   int
	sorted bool
}

// queueShape is how a search's queue is laid out for one metric.
type queueShape struct {
	width  float64
	ring   int
	sorted bool
}

// shapeQueue picks the queue layout for edge weights w. When the smallest
// weight is not much below the lower quartile, buckets are as wide as the
// smallest weight (a hair less, against rounding) and need no sorting;
// otherwise they are an eighth of the lower-quartile weight (so a bucket
// holds few items) and the current one is kept sorted. The ring spans the
// largest weight.
func shapeQueue(w []float64) queueShape {
	if len(w) == 0 {
		return queueShape{width: 1, ring: 2, sorted: true}
	}
	step := max(1, len(w)/4096)
	var sample []float64
	minW, maxW := math.Inf(1), 0.0
	for i, x := range w {
		maxW, minW = max(maxW, x), min(minW, x)
		if i%step == 0 {
			sample = append(sample, x)
		}
	}
	sort.Float64s(sample)
	sh := queueShape{width: max(sample[len(sample)/4]/8, maxW/65536, 1e-9), sorted: true}
	if minW*(1-1e-6) >= sh.width {
		sh.width, sh.sorted = minW*(1-1e-6), false
	}
	sh.ring = int(maxW/sh.width) + 2
	return sh
}

func (q *queue) reset(sh queueShape) {
	n := 1 << bits.Len(uint(sh.ring-1))
	if len(q.ring) != n {
		q.ring = make([][]int32, n)
	}
	for i := range q.ring {
		q.ring[i] = q.ring[i][:0]
	}
	q.inv, q.mask, q.cur, q.front, q.size, q.sorted = 1/sh.width, int64(n-1), 0, q.front[:0], 0, sh.sorted
}

// bucket is the index of the bucket key falls in. It is monotone in key.
func (q *queue) bucket(key float64) int64 {
	if f := key * q.inv; f < 1<<62 {
		return int64(f)
	}
	return 1 << 62
}

// push queues node u, whose label (key) in lab is now d.
func (q *queue) push(lab []label, d float64, u int32) {
	q.size++
	k := int64(d * q.inv)
	if k > q.cur {
		r := &q.ring[k&q.mask]
		*r = append(*r, u)
		return
	}
	if !q.sorted {
		q.front = append(q.front, u)
		return
	}
	// Into the current bucket, keeping it sorted (descending).
	f := q.front
	i := len(f)
	for i > 0 && lab[f[i-1]].dist < d {
		i--
	}
	f = append(f, 0)
	copy(f[i+1:], f[i:])
	f[i] = u
	q.front = f
}

// next makes the next non-empty bucket current, once the current one is
// empty. It reports false when the queue is empty.
func (q *queue) next(lab []label) bool {
	if q.size == 0 {
		return false
	}
	for {
		q.cur++
		r := &q.ring[q.cur&q.mask]
		if len(*r) == 0 {
			continue
		}
		// Swap the bucket's array with the spent front's: no copy.
		q.front, *r = *r, q.front[:0]
		if q.sorted {
			f := q.front
			for i := 1; i < len(f); i++ { // insertion sort: buckets are small
				x := f[i]
				dx := lab[x].dist
				j := i
				for j > 0 && lab[f[j-1]].dist < dx {
					f[j] = f[j-1]
					j--
				}
				f[j] = x
			}
		}
		return true
	}
}

// pop removes a node of least key (sorted mode), or any node of the
// current bucket (unsorted mode). The queue must not be empty.
func (q *queue) pop(lab []label) int32 {
	for len(q.front) == 0 {
		q.next(lab)
	}
	f := q.front
	u := f[len(f)-1]
	q.front = f[:len(f)-1]
	q.size--
	return u
}

// forward runs Dijkstra from the snapped sources along the edges' direction
// of travel, settling nodes up to limit (inclusive).
func (g *Graph) forward(st *state, sources []Snap, m Metric, limit float64, blocked *Blocked) {
	w := g.Weights(m)
	q := &st.queue
	q.reset(g.qShape[m])
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
	gen := st.gen
	lab := st.lab
	first, head := g.First, g.Head
	last := q.bucket(limit) // every key in a later bucket exceeds limit
	for {
		if len(q.front) == 0 {
			if !q.next(lab) || q.cur > last {
				break
			}
		}
		u := q.front[len(q.front)-1]
		q.front = q.front[:len(q.front)-1]
		q.size--
		lu := &lab[u]
		if lu.stamp != gen || lu.dist > limit {
			continue // settled already, or beyond the limit
		}
		lu.stamp = gen + 1
		key := lu.dist
		st.settled = append(st.settled, u)
		for e := first[u]; e < first[u+1]; e++ {
			if blocked != nil && blocked.Has(e) {
				continue
			}
			v, d := head[e], key+w[e]
			l := &lab[v]
			// A settled node's label is ≤ key ≤ d, so this test
			// also skips settled nodes.
			if l.stamp >= gen && l.dist <= d {
				continue
			}
			l.stamp, l.dist, l.parent = gen, d, e
			q.push(lab, d, v)
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
	st := g.get()
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
	if l := t.st.lab[u]; l.stamp >= t.st.gen && l.dist <= t.limit {
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
