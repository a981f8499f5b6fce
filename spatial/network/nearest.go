package network

import (
	"math"

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
type Sites struct {
	List      []Site
	Snaps     []Snap
	Unsnapped []Site
	blocked   *Blocked
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
	return out
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

// Nearest ranks the sites by cost (metric m) of their best route to the
// alarm, in one Dijkstra from the alarm over the reversed graph that stops
// once k sites (all when k ≤ 0) are settled. Unreachable sites are left
// out. The alarm must be snapped under the sites' closures.
func (g *Graph) Nearest(alarm Snap, sites *Sites, k int, m Metric) []Ranked {
	ns := len(sites.List)
	if k <= 0 || k > ns {
		k = ns
	}
	if k == 0 {
		return nil
	}
	n := int32(len(g.Coords))
	st := g.get(ns)
	defer g.put(st)
	if cap(st.direct) < ns {
		st.direct = make([]bool, ns)
	}
	st.direct = st.direct[:ns]
	clear(st.direct)
	w := g.Weights(m)
	st.queue.reset(g.qWidth[m], g.qRing[m])
	blocked := sites.blocked
	alarmEdges := g.segEdge[g.segFirst[alarm.Seg]:g.segFirst[alarm.Seg+1]]
	if alarm.Node >= 0 { // on a junction: reaching any copy of it arrives
		st.relax(alarm.Node, 0, -1)
		for _, c := range g.copies[alarm.Node] {
			st.relax(c, 0, -1)
		}
	}
	for _, e := range alarmEdges {
		if !blocked.Has(e) {
			st.relax(g.Tail[e], g.along(alarm, e)*w[e], e)
		}
	}
	attach := func(h int32, a attachment) {
		if st.amark[h] != st.gen {
			st.amark[h] = st.gen
			st.afirst[h] = -1
		}
		a.next = st.afirst[h]
		st.attach = append(st.attach, a)
		st.afirst[h] = int32(len(st.attach) - 1)
	}
	for i, sn := range sites.Snaps {
		if sn.Node >= 0 { // on a junction: leaves by any road
			attach(sn.Node, attachment{site: int32(i), edge: -1})
		}
		for _, e := range g.segEdge[g.segFirst[sn.Seg]:g.segFirst[sn.Seg+1]] {
			if blocked.Has(e) {
				continue
			}
			as := g.along(sn, e)
			attach(g.Head[e], attachment{site: int32(i), edge: e, off: (1 - as) * w[e]})
			if sn.Seg == alarm.Seg {
				if aa := g.along(alarm, e); as <= aa {
					v := n + int32(i)
					d := (aa - as) * w[e]
					if !st.has(v) || d < st.lab[v].dist {
						st.relax(v, d, e)
						st.direct[i] = true
					}
				}
			}
		}
	}
	var order []int32
	q, gen := &st.queue, st.gen
	lab := st.lab
	rFirst, rEdge, rTail, rw := g.rFirst, g.rEdge, g.rTail, g.rCost[m]
	for q.size > 0 && len(order) < k {
		it := q.pop()
		u := it.node
		if it.key > lab[u].dist {
			continue // superseded
		}
		if u >= n {
			order = append(order, u-n)
			continue
		}
		if st.amark[u] == gen {
			for j := st.afirst[u]; j >= 0; j = st.attach[j].next {
				a := st.attach[j]
				v := n + a.site
				d := it.key + a.off
				if l := &lab[v]; l.stamp != gen || d < l.dist {
					l.stamp, l.dist, l.parent = gen, d, a.edge
					q.push(d, v)
					st.direct[a.site] = false
				}
			}
		}
		for i := rFirst[u]; i < rFirst[u+1]; i++ {
			if blocked != nil && blocked.Has(rEdge[i]) {
				continue
			}
			v, d := rTail[i], it.key+rw[i]
			l := &lab[v]
			if l.stamp == gen && l.dist <= d { // also true for settled nodes
				continue
			}
			l.stamp, l.dist, l.parent = gen, d, rEdge[i]
			q.push(d, v)
		}
	}
	out := make([]Ranked, 0, len(order))
	for _, i := range order {
		out = append(out, g.route(st, alarm, alarmEdges, sites, i, n))
	}
	return out
}

// route follows the parent edges from site i to the alarm.
func (g *Graph) route(st *state, alarm Snap, alarmEdges []int32, sites *Sites, i int32, n int32) Ranked {
	sn := sites.Snaps[i]
	r := Ranked{ID: sites.List[i].ID, Name: sites.List[i].Name, Snapped: sn.Point}
	e := st.lab[n+i].parent
	r.Route = append(r.Route, sn.Point)
	var u int32
	switch {
	case e < 0: // the site is on junction sn.Node
		u = sn.Node
		r.Route = append(r.Route, g.Coords[u])
	case st.direct[i]:
		as := g.along(sn, e)
		f := g.along(alarm, e) - as
		r.Seconds, r.Metres = f*g.Seconds[e], f*g.Metres[e]
		r.Route = append(r.Route, alarm.Point)
		return r
	default:
		as := g.along(sn, e)
		r.Seconds, r.Metres = (1-as)*g.Seconds[e], (1-as)*g.Metres[e]
		u = g.Head[e]
		r.Route = append(r.Route, g.Coords[u])
	}
	// Size the route once: count the hops to the alarm first.
	hops := 0
	for v := u; hops <= len(g.Coords); hops++ {
		e := st.lab[v].parent
		if e < 0 || g.Tail[e] == v && isAlarmEdge(alarmEdges, e) {
			break
		}
		v = g.Head[e]
	}
	r.Route = append(make(orb.LineString, 0, len(r.Route)+hops+1), r.Route...)
	for steps := 0; steps <= len(g.Coords); steps++ {
		e = st.lab[u].parent
		if e < 0 { // u is the alarm's junction
			r.Route = append(r.Route, alarm.Point)
			break
		}
		if isAlarmEdge(alarmEdges, e) && g.Tail[e] == u {
			f := g.along(alarm, e)
			r.Seconds += f * g.Seconds[e]
			r.Metres += f * g.Metres[e]
			r.Route = append(r.Route, alarm.Point)
			break
		}
		r.Seconds += g.Seconds[e]
		r.Metres += g.Metres[e]
		u = g.Head[e]
		r.Route = append(r.Route, g.Coords[u])
	}
	r.Route = dedupe(r.Route)
	return r
}

func isAlarmEdge(es []int32, e int32) bool {
	for _, a := range es {
		if a == e {
			return true
		}
	}
	return false
}

// dedupe drops repeated consecutive points; a route keeps at least two.
func dedupe(ls orb.LineString) orb.LineString {
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
