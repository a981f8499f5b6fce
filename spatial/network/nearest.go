package network

import (
	"math"
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
	// settled node.
	att     []attachment
	attBits []uint64
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
	for _, a := range s.att {
		s.attBits[a.node>>6] |= 1 << (uint(a.node) & 63)
	}
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

// siteLabel is a site's best arrival at the alarm found so far: its cost,
// the attachment edge it leaves by (-1: from its junction), and whether it
// drives straight along that edge to the alarm (both on one segment).
type siteLabel struct {
	dist   float64
	edge   int32
	direct bool
	done   bool
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
	w := g.Weights(m)
	q := &st.queue
	q.reset(g.qShape[m])
	blocked := sites.blocked
	if cap(st.site) < ns {
		st.site = make([]siteLabel, ns)
	}
	sl := st.site[:ns]
	for i := range sl {
		sl[i] = siteLabel{dist: math.Inf(1), edge: -1}
	}
	// Labels' parents are positions in the reversed edge list (the node
	// drives on along that edge), atAlarm (the node is the alarm's
	// junction), or alarmEdge-j (the node drives along alarmEdges[j] to
	// the alarm).
	alarmEdges := g.segEdge[g.segFirst[alarm.Seg]:g.segFirst[alarm.Seg+1]]
	if alarm.Node >= 0 { // on a junction: reaching any copy of it arrives
		st.relax(alarm.Node, 0, atAlarm)
		for _, c := range g.copies[alarm.Node] {
			st.relax(c, 0, atAlarm)
		}
	}
	for j, e := range alarmEdges {
		if !blocked.Has(e) {
			st.relax(g.Tail[e], g.along(alarm, e)*w[e], alarmEdge-int32(j))
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
					sl[i] = siteLabel{dist: d, edge: e, direct: true}
					pendingMin = min(pendingMin, d)
				}
			}
		}
	}

	order := st.order[:0]
	// settle moves every site whose best arrival lies in a bucket up to
	// q.cur (or, when all is true, every reached site) into order, in
	// cost order.
	settle := func(all bool) {
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
		pendingMin = next
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
	}

	lab, gen := st.lab, st.gen
	rFirst, rTail, rw := g.rFirst, g.rTail, g.rCost[m&1]
	var rbits []uint64
	if blocked != nil {
		rbits = blocked.rbits
	}
	att, attBits := sites.att, sites.attBits
	for {
		if len(q.front) == 0 {
			// Every key in buckets up to q.cur has been settled and
			// every later key lies in a later bucket.
			if q.bucket(pendingMin) <= q.cur {
				settle(false)
			}
			if len(order) >= k {
				break
			}
			if !q.next() {
				settle(true)
				break
			}
		}
		it := q.front[len(q.front)-1]
		q.front = q.front[:len(q.front)-1]
		q.size--
		u := it.node
		if it.key > lab[u].dist {
			continue // superseded
		}
		if attBits[u>>6]&(1<<(uint(u)&63)) != 0 {
			j := sort.Search(len(att), func(j int) bool { return att[j].node >= u })
			for ; j < len(att) && att[j].node == u; j++ {
				a := &att[j]
				if d := it.key + a.off[m]; d < sl[a.site].dist {
					sl[a.site] = siteLabel{dist: d, edge: a.edge}
					pendingMin = min(pendingMin, d)
				}
			}
		}
		for i := rFirst[u]; i < rFirst[u+1]; i++ {
			if rbits != nil && rbits[i>>6]&(1<<(uint(i)&63)) != 0 {
				continue // closed
			}
			v, d := rTail[i], it.key+rw[i]
			l := &lab[v]
			if l.stamp == gen && l.dist <= d { // also true for settled nodes
				continue
			}
			l.stamp, l.dist, l.parent = gen, d, i
			q.push(d, v)
		}
	}
	st.order = order
	if len(order) > k {
		order = order[:k]
	}

	// Routes: walked into one scratch buffer, then copied out in one
	// allocation shared by the answer's routes.
	out := make([]Ranked, len(order))
	ends := make([]int, len(order))
	pts := st.pts[:0]
	for j, i := range order {
		sn := sites.Snaps[i]
		r := &out[j]
		r.ID, r.Name, r.Snapped = sites.List[i].ID, sites.List[i].Name, sn.Point
		start := len(pts)
		r.Seconds, r.Metres, pts = g.route(st, alarm, alarmEdges, sn, sl[i], pts)
		pts = pts[:start+len(dedupe(pts[start:]))]
		ends[j] = len(pts)
	}
	buf := make([]orb.Point, len(pts))
	copy(buf, pts)
	st.pts = pts
	start := 0
	for j := range out {
		out[j].Route = orb.LineString(buf[start:ends[j]:ends[j]])
		start = ends[j]
	}
	return out
}

// route appends the points of a site's route to the alarm to pts (from the
// site, along the parent edges of the reversed search) and returns its cost
// in both metrics.
func (g *Graph) route(st *state, alarm Snap, alarmEdges []int32, sn Snap, s siteLabel, pts []orb.Point) (secs, metres float64, _ []orb.Point) {
	pts = append(pts, sn.Point)
	e := s.edge
	var u int32
	switch {
	case s.direct:
		f := g.along(alarm, e) - g.along(sn, e)
		return f * g.Seconds[e], f * g.Metres[e], append(pts, alarm.Point)
	case e < 0: // the site is on junction sn.Node
		u = sn.Node
	default:
		as := g.along(sn, e)
		secs, metres = (1-as)*g.Seconds[e], (1-as)*g.Metres[e]
		u = g.Head[e]
	}
	pts = append(pts, g.Coords[u])
	for steps := 0; steps <= len(g.Coords); steps++ {
		p := st.lab[u].parent
		if p == atAlarm {
			break
		}
		if p <= alarmEdge {
			e = alarmEdges[alarmEdge-p]
			f := g.along(alarm, e)
			secs += f * g.Seconds[e]
			metres += f * g.Metres[e]
			break
		}
		e = g.rEdge[p]
		secs += g.Seconds[e]
		metres += g.Metres[e]
		u = g.Head[e]
		pts = append(pts, g.Coords[u])
	}
	return secs, metres, append(pts, alarm.Point)
}

// Parents of the reversed search's labels that are not positions in the
// reversed edge list.
const (
	atAlarm   = -1 // the alarm's junction
	alarmEdge = -2 // alarmEdge-j: along the alarm segment's edge j
)

// dedupe drops repeated consecutive points in place; a route keeps at
// least two.
func dedupe(ls []orb.Point) []orb.Point {
	out := ls[:1]
	for _, p := range ls[1:] {
		if p != out[len(out)-1] {
			out = append(out, p)
		}
	}
	if len(out) == 1 {
		out = append(out, out[0])
	}
	return out
}

// Cost returns the cheapest cost (metric m) from one snapped point to
// another, +Inf when unreachable. It is a plain point-to-point Dijkstra,
// used by tests and tools; dispatch uses Nearest.
func (g *Graph) Cost(from, to Snap, m Metric, blocked *Blocked) float64 {
	best := math.Inf(1)
	g.Forward([]Snap{from}, m, math.Inf(1), blocked, func(t *Tree) { best = t.To(to) })
	return best
}
