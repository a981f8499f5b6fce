package network

import (
	"math"
	"math/bits"
	"slices"
	"sort"

	"github.com/paulmach/orb"
)

// Site is a place a search ranks, such as a fire station.
type Site struct {
	ID    int64
	Name  string
	Point orb.Point
}

// Sites is a set of sites snapped to the network under one set of
// closures. Sites too far from any usable road are left out (Unsnapped).
// Make it with Graph.SnapSites.
type Sites struct {
	List      []Site
	Snaps     []Snap
	Unsnapped []Site
	blocked   *Blocked
	// Where the sites join the graph, ordered by node, and a bitset of
	// the nodes that have an attachment: a search checks one bit per
	// settled node. The attachments of the r-th set bit's node start at
	// att[attStart[r]]; attRank[w] counts the set bits before word w.
	att      []attachment
	attBits  []uint64
	attRank  []int32
	attStart []int32
}

// attachment is one way a site joins the graph: it drives along edge to
// node at cost off (by metric), or stands on junction node (edge -1, off 0).
type attachment struct {
	node, site, edge int32
	off              [2]float64
}

// Blocked is the closure set the sites were snapped under.
func (s *Sites) Blocked() *Blocked { return s.blocked }

// SnapSites snaps every site under blocked.
func (g *Graph) SnapSites(sites []Site, maxMetres float64, blocked *Blocked) *Sites {
	out := &Sites{blocked: blocked}
	for _, s := range sites {
		sn, err := g.Snap(s.Point, maxMetres, blocked)
		if err != nil {
			out.Unsnapped = append(out.Unsnapped, s)
			continue
		}
		out.List = append(out.List, s)
		out.Snaps = append(out.Snaps, sn)
	}
	g.attach(out)
	return out
}

// attach lists where the sites join the graph.
func (g *Graph) attach(s *Sites) {
	s.att = s.att[:0]
	for i, sn := range s.Snaps {
		if sn.Node >= 0 { // on a junction: leaves by any road
			s.att = append(s.att, attachment{node: sn.Node, site: int32(i), edge: -1})
		}
		for _, e := range g.segEdge[g.segFirst[sn.Seg]:g.segFirst[sn.Seg+1]] {
			if s.blocked.Has(e) {
				continue
			}
			f := 1 - g.along(sn, e)
			s.att = append(s.att, attachment{node: g.Head[e], site: int32(i), edge: e,
				off: [2]float64{Time: f * g.Seconds[e], Distance: f * g.Metres[e]}})
		}
	}
	sort.SliceStable(s.att, func(a, b int) bool { return s.att[a].node < s.att[b].node })
	s.attBits = make([]uint64, (len(g.Coords)+63)/64)
	s.attStart = s.attStart[:0]
	for j, a := range s.att {
		if j == 0 || a.node != s.att[j-1].node {
			s.attStart = append(s.attStart, int32(j))
		}
		s.attBits[a.node>>6] |= 1 << (uint(a.node) & 63)
	}
	s.attStart = append(s.attStart, int32(len(s.att)))
	s.attRank = make([]int32, len(s.attBits))
	r := int32(0)
	for w, b := range s.attBits {
		s.attRank[w] = r
		r += int32(bits.OnesCount64(b))
	}
}

// attachedAt returns the attachments at node u, which has some.
func (s *Sites) attachedAt(u int32) []attachment {
	w := u >> 6
	r := s.attRank[w] + int32(bits.OnesCount64(s.attBits[w]&(1<<(uint(u)&63)-1)))
	return s.att[s.attStart[r]:s.attStart[r+1]]
}

// Ranked is one site's answer to an alarm: how long and how far its best
// route is, the route itself from the site to the alarm, and where the site
// joins the roads.
type Ranked struct {
	ID      int64          `json:"id"`
	Name    string         `json:"name"`
	Seconds float64        `json:"eta_s"`
	Metres  float64        `json:"distance_m"`
	Route   orb.LineString `json:"-"`
	Snapped orb.Point      `json:"-"`
}

// siteLabel is a site's best arrival at the alarm found so far: its cost
// and the other metric's along the same route, the node it joins the
// search at, and whether it drives straight to the alarm along their
// common segment instead.
type siteLabel struct {
	dist, other float64
	node        int32
	direct      bool
	done        bool
}

// Nearest ranks the sites by cost (metric m) of their best route to the
// alarm, in one Dijkstra from the alarm over the reversed graph that stops
// as soon as k sites (all when k ≤ 0) are settled, and returns them with
// their routes. Unreachable sites are left out. The alarm must be snapped
// under the sites' closures.
//
// Sites are not queued: each settled node offers its attached sites an
// arrival, and a site is settled once the queue has moved past the bucket
// its best arrival lies in (no later node can improve it).
func (g *Graph) Nearest(alarm Snap, sites *Sites, k int, m Metric) []Ranked {
	return g.NearestInto(&Answer{}, alarm, sites, k, m)
}

// Answer holds what NearestInto returns: the ranked sites and the one
// buffer their routes share. An Answer may be reused once its caller is
// done with the previous result (a handler that has written its
// response); a reused Answer makes the search allocation-free.
type Answer struct {
	ranked []Ranked
	pts    []orb.Point
}

// NearestInto is Nearest with its result in ans, whose previous result it
// overwrites.
func (g *Graph) NearestInto(ans *Answer, alarm Snap, sites *Sites, k int, m Metric) []Ranked {
	ns := len(sites.List)
	if k <= 0 || k > ns {
		k = ns
	}
	if k == 0 {
		return nil
	}
	if sites.attBits == nil { // not made by SnapSites
		cp := *sites
		g.attach(&cp)
		sites = &cp
	}
	st := g.get()
	defer g.put(st)
	w, ow := g.Weights(m), g.Weights(1-m)
	q := &st.queue
	q.reset(g.qShape[m])
	blocked := sites.blocked
	if cap(st.site) < ns {
		st.site = make([]siteLabel, ns)
	}
	sl := st.site[:ns]
	for i := range sl {
		sl[i] = siteLabel{dist: math.Inf(1), node: -1}
	}
	lab, gen := st.lab, st.gen
	start := func(u int32, d, o float64) { // u reaches the alarm at cost d (o)
		if l := &lab[u]; l.stamp != gen || d < l.dist {
			*l = label{dist: d, other: o, stamp: gen, parent: -1}
			q.push(lab, d, u)
		}
	}
	alarmEdges := g.segEdge[g.segFirst[alarm.Seg]:g.segFirst[alarm.Seg+1]]
	if alarm.Node >= 0 { // on a junction: reaching any copy of it arrives
		start(alarm.Node, 0, 0)
		for _, c := range g.copies[alarm.Node] {
			start(c, 0, 0)
		}
	}
	for _, e := range alarmEdges {
		if !blocked.Has(e) {
			f := g.along(alarm, e)
			start(g.Tail[e], f*w[e], f*ow[e])
		}
	}
	pendingMin := math.Inf(1) // least cost of a site not yet settled
	for i, sn := range sites.Snaps {
		if sn.Seg != alarm.Seg {
			continue
		}
		for _, e := range alarmEdges { // straight along the segment
			if blocked.Has(e) {
				continue
			}
			if as, aa := g.along(sn, e), g.along(alarm, e); as <= aa {
				if d := (aa - as) * w[e]; d < sl[i].dist {
					sl[i] = siteLabel{dist: d, other: (aa - as) * ow[e], node: -1, direct: true}
					pendingMin = min(pendingMin, d)
				}
			}
		}
	}

	order := g.reverse(st, sites, sl, pendingMin, k, m)
	if len(order) > k {
		order = order[:k]
	}

	// Routes: walked into one scratch buffer, then copied out in one
	// allocation shared by the answer's routes. Routes to one alarm
	// share their ends (the search's tree), so a walk stops at the first
	// node an earlier route passed and copies the rest of that route.
	out := slices.Grow(ans.ranked[:0], len(order))[:len(order)]
	ends := slices.Grow(st.ends[:0], len(order))[:len(order)]
	pts := st.pts[:0]
	if len(st.walk) < len(lab) {
		st.walk = make([]walkMark, len(lab))
	}
	walk := st.walk
	for j, i := range order {
		sn, s := sites.Snaps[i], sl[i]
		r := &out[j]
		r.ID, r.Name, r.Snapped = sites.List[i].ID, sites.List[i].Name, sn.Point
		r.Seconds, r.Metres = s.dist, s.other
		if m == Distance {
			r.Seconds, r.Metres = s.other, s.dist
		}
		from := len(pts)
		pts = append(pts, sn.Point)
		tail := true // the alarm point is still to come
		if !s.direct {
			for u, steps := s.node, 0; u >= 0 && steps <= len(lab); u, steps = lab[u].parent, steps+1 {
				if w := walk[u]; w.gen == gen {
					p := pts[w.pos:ends[w.route]]
					if p[0] == pts[len(pts)-1] {
						p = p[1:]
					}
					pts = append(pts, p...)
					tail = false
					break
				}
				c := g.Coords[u]
				if c != pts[len(pts)-1] {
					pts = append(pts, c)
				}
				walk[u] = walkMark{gen: gen, route: int32(j), pos: int32(len(pts) - 1)}
			}
		}
		if tail && alarm.Point != pts[len(pts)-1] {
			pts = append(pts, alarm.Point)
		}
		if len(pts)-from < 2 { // unit at the alarm: a route of two equal points
			pts = append(pts, pts[from])
		}
		ends[j] = int32(len(pts))
	}
	st.pts, st.ends = pts, ends
	buf := append(ans.pts[:0], pts...)
	ans.ranked, ans.pts = out, buf
	from := int32(0)
	for j := range out {
		out[j].Route = orb.LineString(buf[from:ends[j]:ends[j]])
		from = ends[j]
	}
	return out
}

// reverse runs the search of Nearest from the labels and site arrivals
// already set, and returns the settled sites (at least k, or all reached)
// in cost order. It is its own function so that its loop keeps its
// variables in registers.
func (g *Graph) reverse(st *state, sites *Sites, sl []siteLabel, pendingMin float64, k int, m Metric) []int32 {
	q, lab, gen := &st.queue, st.lab, st.gen
	order := st.order[:0]
	var rbits []uint64
	if sites.blocked != nil {
		rbits = sites.blocked.rbits
	}
	rFirst, rTail, rw, ro := g.rFirst, g.rTail, g.rCost[m&1], g.rCost[(1-m)&1]
	attBits := sites.attBits
	ring, mask, inv := q.ring, q.mask, q.inv
	// The current bucket, its index and the queue's size live in locals
	// while the loop runs; q is brought up to date around its own calls.
	front, cur, size := q.front, q.cur, q.size
	for {
		if len(front) == 0 {
			q.front, q.size = front, size
			// Every key in buckets up to q.cur has been settled and
			// every later key lies in a later bucket.
			if q.bucket(pendingMin) <= cur {
				order, pendingMin = settleSites(q, sl, order, false)
			}
			if len(order) >= k {
				break
			}
			if !q.next(lab) {
				order, _ = settleSites(q, sl, order, true)
				break
			}
			front, cur = q.front, q.cur
		}
		u := front[len(front)-1]
		front = front[:len(front)-1]
		size--
		lu := &lab[u]
		if lu.stamp != gen {
			continue // settled already
		}
		lu.stamp = gen + 1
		dist, other := lu.dist, lu.other
		if attBits[u>>6]&(1<<(uint(u)&63)) != 0 {
			pendingMin = offer(sites, sl, u, dist, other, m, pendingMin)
		}
		lo, hi := rFirst[u], rFirst[u+1]
		tails, costs, others := rTail[lo:hi], rw[lo:hi], ro[lo:hi]
		costs, others = costs[:len(tails)], others[:len(tails)]
		for j, v := range tails {
			if rbits != nil {
				if i := lo + int32(j); rbits[i>>6]&(1<<(uint(i)&63)) != 0 {
					continue // closed
				}
			}
			d := dist + costs[j]
			l := &lab[v]
			if l.stamp >= gen && l.dist <= d { // also true for settled nodes
				continue
			}
			*l = label{dist: d, other: other + others[j], stamp: gen, parent: u}
			if b := int64(d * inv); b > cur { // q.push's usual case, inline
				r := &ring[b&mask]
				*r = append(*r, v)
				size++
			} else {
				q.front, q.size = front, size
				q.push(lab, d, v)
				front, size = q.front, q.size
			}
		}
	}
	st.order = order
	return order
}

// offer gives the sites attached at node u, settled at cost dist (other
// metric: other), their arrival through u, and returns the least cost of
// a site not yet settled.
func offer(sites *Sites, sl []siteLabel, u int32, dist, other float64, m Metric, pendingMin float64) float64 {
	at := sites.attachedAt(u)
	for j := range at {
		a := &at[j]
		if d := dist + a.off[m&1]; d < sl[a.site].dist {
			sl[a.site] = siteLabel{dist: d, other: other + a.off[(1-m)&1], node: u}
			pendingMin = min(pendingMin, d)
		}
	}
	return pendingMin
}

// settleSites moves every site whose best arrival lies in a bucket up to
// q.cur (or, when all is true, every reached site) into order, in cost
// order, and returns it with the least cost of the sites left.
func settleSites(q *queue, sl []siteLabel, order []int32, all bool) ([]int32, float64) {
	from := len(order)
	next := math.Inf(1)
	for i := range sl {
		s := &sl[i]
		if s.done || math.IsInf(s.dist, 1) {
			continue
		}
		if all || q.bucket(s.dist) <= q.cur {
			s.done = true
			order = append(order, int32(i))
		} else {
			next = min(next, s.dist)
		}
	}
	batch := order[from:]
	for i := 1; i < len(batch); i++ { // few at a time: insertion sort
		x := batch[i]
		j := i
		for j > 0 && (sl[batch[j-1]].dist > sl[x].dist || sl[batch[j-1]].dist == sl[x].dist && batch[j-1] > x) {
			batch[j] = batch[j-1]
			j--
		}
		batch[j] = x
	}
	return order, next
}

// walkMark records that a route of the answer being built passed a node:
// route index and the position of the node's point.
type walkMark struct {
	gen        uint32
	route, pos int32
}

// Cost returns the cheapest cost (metric m) from one snapped point to
// another, +Inf when unreachable. It is a plain point-to-point Dijkstra,
// used by tests and tools; dispatch uses Nearest.
func (g *Graph) Cost(from, to Snap, m Metric, blocked *Blocked) float64 {
	best := math.Inf(1)
	g.Forward([]Snap{from}, m, math.Inf(1), blocked, func(t *Tree) { best = t.To(to) })
	return best
}
