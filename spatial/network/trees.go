package network

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// Trees are the forward shortest-path trees (both metrics) of a fixed set
// of sites under one set of closures. When few sites answer many alarms —
// a district's fire stations — building them once per change of stations
// or closures turns each nearest-units question into a lookup per site
// and a walk along each route, instead of a search over the network.
// Answers equal Graph.Nearest's. Memory: 24 bytes per node per site.
type Trees struct {
	g      *Graph
	sites  *Sites
	dist   [2][][]float64
	parent [2][][]int32
}

// Trees builds the trees of sites (snapped under their closures).
func (g *Graph) Trees(sites *Sites) *Trees {
	t := &Trees{g: g, sites: sites}
	n := len(g.Coords)
	for _, m := range []Metric{Time, Distance} {
		for _, s := range sites.Snaps {
			dist := make([]float64, n)
			parent := make([]int32, n)
			g.Forward([]Snap{s}, m, math.Inf(1), sites.blocked, func(tr *Tree) {
				for u := range dist {
					l := tr.st.lab[u]
					if l.stamp == tr.st.gen {
						dist[u], parent[u] = l.dist, l.parent
					} else {
						dist[u], parent[u] = math.Inf(1), -1
					}
				}
			})
			t.dist[m] = append(t.dist[m], dist)
			t.parent[m] = append(t.parent[m], parent)
		}
	}
	return t
}

// Sites are the sites the trees grow from.
func (t *Trees) Sites() *Sites { return t.sites }

// arrival is how a site's best route reaches the alarm.
type arrival struct {
	cost float64
	node int32 // the junction the route reaches the alarm's segment by, or the alarm's junction
	edge int32 // the alarm-segment edge it finishes along (-1: the alarm is on node)
	// direct: the site is on the alarm's segment and drives straight along
	// edge to it.
	direct bool
}

// Nearest ranks the k (all when k ≤ 0) sites that reach the alarm first by
// metric m, as Graph.Nearest does. The alarm must be snapped under the
// sites' closures.
func (t *Trees) Nearest(alarm Snap, k int, m Metric) []Ranked {
	g, blocked := t.g, t.sites.blocked
	w := g.Weights(m)
	alarmEdges := g.segEdge[g.segFirst[alarm.Seg]:g.segFirst[alarm.Seg+1]]
	type cand struct {
		site int
		arrival
	}
	cands := make([]cand, 0, len(t.sites.List))
	var atAlarm []int32
	if alarm.Node >= 0 {
		atAlarm = append([]int32{alarm.Node}, g.copies[alarm.Node]...)
	}
	for i := range t.sites.List {
		dist := t.dist[m][i]
		best := arrival{cost: math.Inf(1), node: -1, edge: -1}
		for _, u := range atAlarm {
			if dist[u] < best.cost {
				best = arrival{cost: dist[u], node: u, edge: -1}
			}
		}
		sn := t.sites.Snaps[i]
		for _, e := range alarmEdges {
			if blocked.Has(e) {
				continue
			}
			aa := g.along(alarm, e)
			if d := dist[g.Tail[e]] + aa*w[e]; d < best.cost {
				best = arrival{cost: d, node: g.Tail[e], edge: e}
			}
			if sn.Seg == alarm.Seg {
				if as := g.along(sn, e); as <= aa {
					if d := (aa - as) * w[e]; d < best.cost {
						best = arrival{cost: d, node: -1, edge: e, direct: true}
					}
				}
			}
		}
		if !math.IsInf(best.cost, 1) {
			cands = append(cands, cand{i, best})
		}
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].cost < cands[b].cost })
	if k <= 0 || k > len(cands) {
		k = len(cands)
	}
	out := make([]Ranked, 0, k)
	for _, c := range cands[:k] {
		out = append(out, t.route(alarm, c.site, c.arrival, m))
	}
	return out
}

// route walks site i's tree back from the alarm to the site.
func (t *Trees) route(alarm Snap, i int, a arrival, m Metric) Ranked {
	g := t.g
	sn := t.sites.Snaps[i]
	r := Ranked{ID: t.sites.List[i].ID, Name: t.sites.List[i].Name, Snapped: sn.Point}
	if a.direct {
		f := g.along(alarm, a.edge) - g.along(sn, a.edge)
		r.Seconds, r.Metres = f*g.Seconds[a.edge], f*g.Metres[a.edge]
		r.Route = orb.LineString{sn.Point, alarm.Point}
		return r
	}
	parent := t.parent[m][i]
	siteEdges := g.segEdge[g.segFirst[sn.Seg]:g.segFirst[sn.Seg+1]]
	atSeed := func(p int32, u int32) bool { return isAlarmEdge(siteEdges, p) && g.Head[p] == u }
	hops := 0
	for u := a.node; hops <= len(g.Coords); hops++ {
		p := parent[u]
		if p < 0 || atSeed(p, u) {
			break
		}
		u = g.Tail[p]
	}
	back := make(orb.LineString, 1, hops+3)
	back[0] = alarm.Point
	if a.edge >= 0 {
		f := g.along(alarm, a.edge)
		r.Seconds, r.Metres = f*g.Seconds[a.edge], f*g.Metres[a.edge]
	}
	u := a.node
	back = append(back, g.Coords[u])
	for steps := 0; steps <= len(g.Coords); steps++ {
		p := parent[u]
		if p < 0 { // u is the site's junction
			break
		}
		if atSeed(p, u) { // the seed: the site leaves along p
			f := 1 - g.along(sn, p)
			r.Seconds += f * g.Seconds[p]
			r.Metres += f * g.Metres[p]
			break
		}
		r.Seconds += g.Seconds[p]
		r.Metres += g.Metres[p]
		u = g.Tail[p]
		back = append(back, g.Coords[u])
	}
	back = append(back, sn.Point)
	for l, h := 0, len(back)-1; l < h; l, h = l+1, h-1 {
		back[l], back[h] = back[h], back[l]
	}
	r.Route = dedupe(back)
	return r
}
