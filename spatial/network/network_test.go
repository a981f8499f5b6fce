package network

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/onemap/onemap/layers/osm"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/planar"
)

func near(a, b float64) bool {
	if math.IsInf(a, 1) || math.IsInf(b, 1) {
		return math.IsInf(a, 1) && math.IsInf(b, 1)
	}
	return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(b))
}

// randomPoints picks n points near random nodes of g (within jitter
// metres), all snappable.
func randomPoints(t *testing.T, g *Graph, rng *rand.Rand, n int, jitter float64) []Snap {
	t.Helper()
	var out []Snap
	for tries := 0; len(out) < n && tries < 100*n; tries++ {
		u := rng.IntN(len(g.Orig))
		if !g.InMain(int32(u)) {
			continue
		}
		p := g.Coords[u]
		dx, dy := (rng.Float64()*2-1)*jitter, (rng.Float64()*2-1)*jitter
		q := g.proj.lonlat(g.proj.xy(p)[0]+dx, g.proj.xy(p)[1]+dy)
		if jitter == 0 {
			q = p
		}
		s, err := g.Snap(q, 0, nil)
		if err != nil {
			continue
		}
		out = append(out, s)
	}
	if len(out) < n {
		t.Fatalf("only %d of %d random points snapped", len(out), n)
	}
	return out
}

// checkAgainstRef compares point-to-point costs of g with the reference on
// random points (some on junctions, most between them).
func checkAgainstRef(t *testing.T, g *Graph, ref *refGraph, turns bool, sources, targets int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	src := append(randomPoints(t, g, rng, sources/2, 0), randomPoints(t, g, rng, sources-sources/2, 40)...)
	dst := append(randomPoints(t, g, rng, targets/2, 0), randomPoints(t, g, rng, targets-targets/2, 40)...)
	compared, finite := 0, 0
	for _, m := range []Metric{Time, Distance} {
		for _, s := range src {
			dist := ref.dijkstra(ref.pointStarts(g, s, m), m, turns)
			g.Forward([]Snap{s}, m, math.Inf(1), nil, func(tr *Tree) {
				for _, d := range dst {
					want := ref.pointCost(g, dist, s, d, m, turns)
					got := tr.To(d)
					if !near(got, want) {
						t.Errorf("%s from %v to %v: got %.6f, reference %.6f", m, s.Point, d.Point, got, want)
					}
					compared++
					if !math.IsInf(want, 1) {
						finite++
					}
				}
			})
		}
	}
	if finite < compared/2 {
		t.Errorf("only %d of %d pairs connected: the test compares too little", finite, compared)
	}
	t.Logf("%d pairs agree (%d connected)", compared, finite)
}

func TestGridAgainstReference(t *testing.T) {
	ways := Grid(40, 30, 120, orb.Point{114.05, 22.55}, 7)
	g, err := Build(ways, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Nodes() != 1200 || g.MainComponent() != 1200 {
		t.Fatalf("nodes %d main %d, want 1200 strongly connected", g.Nodes(), g.MainComponent())
	}
	checkAgainstRef(t, g, newRef(ways, nil), false, 10, 40, 1)
}

func TestOSMAgainstReference(t *testing.T) {
	for _, name := range []string{"monaco.osm.pbf", "andorra.osm.pbf", "liechtenstein-latest.osm.pbf", "baltimore.osm.pbf"} {
		t.Run(name, func(t *testing.T) {
			x := loadExtract(t, name)
			ways, _ := osmWays(x)
			g, err := Build(ways, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d nodes, %d edges, main component %d", name, g.Nodes(), g.Edges(), g.MainComponent())
			checkAgainstRef(t, g, newRef(ways, nil), false, 6, 30, 2)
		})
	}
}

func TestTurnRestrictionsMonaco(t *testing.T) {
	x := loadExtract(t, "monaco.osm.pbf")
	ways, rs := osmWays(x)
	g, err := Build(ways, rs)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Build(ways, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Restrictions() < 10 {
		t.Fatalf("only %d of Monaco's turn restrictions built in", g.Restrictions())
	}
	ref := newRef(ways, rs)
	checkAgainstRef(t, g, ref, true, 6, 30, 3)

	// At each real no_* restriction: from a point on the from-way just
	// before the via node to a point on the to-way just after it. The
	// direct turn is forbidden, so the restricted cost must match the
	// edge-based reference and no returned route may make the turn.
	segsAt := func(gr *Graph, way int64, via int64) []int32 {
		var out []int32
		for _, s := range gr.roadSegs[way] {
			if gr.Key[gr.segA[s]] == via || gr.Key[gr.segB[s]] == via {
				out = append(out, s)
			}
		}
		return out
	}
	mid := func(gr *Graph, s int32) orb.Point {
		return lerp(gr.Coords[gr.segA[s]], gr.Coords[gr.segB[s]], 0.5)
	}
	detours, onlys := 0, 0
	for _, r := range rs {
		if r.From == r.To {
			continue
		}
		if r.Only {
			// The forbidden turns of only_* are onto every other way
			// at the via node: test the first such way.
			other := int64(0)
			for s := range g.segA {
				if (g.Key[g.segA[s]] == r.Via || g.Key[g.segB[s]] == r.Via) && g.segRoad[s] != r.From && g.segRoad[s] != r.To {
					other = g.segRoad[s]
					break
				}
			}
			if other == 0 {
				continue
			}
			onlys++
			r = Restriction{From: r.From, Via: r.Via, To: other}
		}
		fs, ts := segsAt(g, r.From, r.Via), segsAt(g, r.To, r.Via)
		if len(fs) == 0 || len(ts) == 0 {
			continue
		}
		from, err1 := g.Snap(mid(g, fs[0]), 0, nil)
		to, err2 := g.Snap(mid(g, ts[0]), 0, nil)
		if err1 != nil || err2 != nil || from.RoadID != r.From || to.RoadID != r.To {
			continue
		}
		got := g.Cost(from, to, Time, nil)
		dist := ref.dijkstra(ref.pointStarts(g, from, Time), Time, true)
		want := ref.pointCost(g, dist, from, to, Time, true)
		if !near(got, want) {
			t.Errorf("restriction %d→%d via %d: cost %.3f, restriction-aware reference %.3f", r.From, r.To, r.Via, got, want)
		}
		pfrom, _ := plain.Snap(mid(plain, fs[0]), 0, nil)
		pto, _ := plain.Snap(mid(plain, ts[0]), 0, nil)
		if free := plain.Cost(pfrom, pto, Time, nil); got > free+1e-9 {
			detours++
		}
		// The route of a "station" on the from-way to an alarm on the
		// to-way never passes from-way → via → to-way.
		sites := g.SnapSites([]Site{{ID: 1, Point: mid(g, fs[0])}}, 0, nil)
		ranked := g.Nearest(to, sites, 1, Time)
		if math.IsInf(want, 1) {
			if len(ranked) != 0 {
				t.Errorf("restriction %d→%d: route found where the reference finds none", r.From, r.To)
			}
			continue
		}
		if len(ranked) != 1 || !near(ranked[0].Seconds, want) {
			t.Errorf("restriction %d→%d: Nearest %+v, want %.3f s", r.From, r.To, ranked, want)
			continue
		}
		viaPt := g.Coords[g.index(r.Via)]
		onWay := func(p orb.Point, way int64) bool {
			for _, s := range g.roadSegs[way] {
				if g.Coords[g.segA[s]] == p || g.Coords[g.segB[s]] == p {
					return true
				}
			}
			return false
		}
		rt := ranked[0].Route
		for i := 1; i+1 < len(rt); i++ {
			if rt[i] == viaPt && (rt[i-1] == from.Point || onWay(rt[i-1], r.From)) && (rt[i+1] == to.Point || onWay(rt[i+1], r.To)) &&
				rt[i-1] != rt[i+1] && !onWay(rt[i-1], r.To) {
				t.Errorf("restriction %d→%d via %d: route makes the forbidden turn: %v", r.From, r.To, r.Via, rt)
			}
		}
	}
	if detours == 0 {
		t.Error("no restriction changed any route: the test would pass without restrictions")
	}
	if onlys < 5 {
		t.Errorf("only %d only_* restrictions tested", onlys)
	}
	t.Logf("%d restrictions force detours (%d only_* tested)", detours, onlys)
}

// index finds the original node with key k (tests only).
func (g *Graph) index(k int64) int32 {
	for i, key := range g.Key {
		if key == k && g.Orig[i] == int32(i) {
			return int32(i)
		}
	}
	return -1
}

func TestNearestAgainstReference(t *testing.T) {
	ways := Grid(30, 30, 150, orb.Point{114.05, 22.55}, 11)
	g, err := Build(ways, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := newRef(ways, nil)
	rng := rand.New(rand.NewPCG(5, 5))
	stations := randomPoints(t, g, rng, 12, 60)
	var sites []Site
	for i, s := range stations {
		sites = append(sites, Site{ID: int64(100 + i), Name: "station", Point: s.Input})
	}
	ss := g.SnapSites(sites, 0, nil)
	if len(ss.List) != len(sites) {
		t.Fatalf("%d sites unsnapped", len(ss.Unsnapped))
	}
	var reused Answer
	for _, alarm := range randomPoints(t, g, rng, 15, 60) {
		for _, m := range []Metric{Time, Distance} {
			got := g.Nearest(alarm, ss, 0, m)
			want := map[int64]float64{}
			for i, s := range ss.Snaps {
				dist := ref.dijkstra(ref.pointStarts(g, s, m), m, false)
				want[ss.List[i].ID] = ref.pointCost(g, dist, s, alarm, m, false)
			}
			if len(got) != len(sites) {
				t.Fatalf("ranked %d of %d", len(got), len(sites))
			}
			for i, r := range got {
				c := r.Seconds
				if m == Distance {
					c = r.Metres
				}
				if !near(c, want[r.ID]) {
					t.Errorf("%s alarm %v unit %d: %.4f, reference %.4f", m, alarm.Point, r.ID, c, want[r.ID])
				}
				if i > 0 {
					p := got[i-1].Seconds
					if m == Distance {
						p = got[i-1].Metres
					}
					if p > c+1e-9 {
						t.Errorf("ranking out of order at %d", i)
					}
				}
				// The route is drawn along the roads: its length is the
				// distance reported.
				if l := geo.LengthHaversine(r.Route); math.Abs(l-r.Metres) > 0.5+1e-6*l {
					t.Errorf("route length %.2f m, distance %.2f m", l, r.Metres)
				}
				if r.Route[0] != r.Snapped || r.Route[len(r.Route)-1] != alarm.Point {
					t.Errorf("route does not run from the unit to the alarm")
				}
			}
			// k stops early with the same leaders.
			top := g.Nearest(alarm, ss, 3, m)
			if len(top) != 3 {
				t.Fatalf("k=3 gave %d", len(top))
			}
			for i := range top {
				if !near(top[i].Seconds, got[i].Seconds) || !near(top[i].Metres, got[i].Metres) {
					t.Errorf("k=3 rank %d differs from the full ranking", i)
				}
			}
			// A reused answer buffer, last filled by another alarm's
			// answer (bigger or smaller), gives the same answer as a
			// fresh one.
			again := g.NearestInto(&reused, alarm, ss, 0, m)
			if !reflect.DeepEqual(again, got) {
				t.Errorf("%s alarm %v: answer in a reused buffer differs from a fresh one", m, alarm.Point)
			}
			g.NearestInto(&reused, alarm, ss, 1+rng.IntN(len(sites)), 1-m)
		}
	}
}

func TestSnap(t *testing.T) {
	ways := Grid(10, 10, 100, orb.Point{114.05, 22.55}, 3)
	// An island: a small two-way square 300 m east of the grid's corner,
	// not connected to it.
	o := ways[0].Coords[9]
	d := 100 / (earthRadius * math.Pi / 180)
	island := orb.LineString{{o[0] + 3*d, o[1]}, {o[0] + 4*d, o[1]}, {o[0] + 4*d, o[1] + d}, {o[0] + 3*d, o[1]}}
	ways = append(ways, Way{ID: 999, Coords: island, Keys: []int64{-1, -2, -3, -1}, Forward: true, Backward: true, SpeedKmh: 30})
	g, err := Build(ways, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.MainComponent() < 90 || g.MainComponent() > 100 {
		t.Fatalf("main component %d, want the grid's (~100)", g.MainComponent())
	}
	// A point on the island snaps to the main network instead (it is
	// within 500 m of it).
	s, err := g.Snap(orb.Point{o[0] + 3.5*d, o[1]}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.RoadID == 999 {
		t.Errorf("snapped to the island")
	}
	if s.Metres < 300 || s.Metres > 400 {
		t.Errorf("snap distance %.1f m, want about 350", s.Metres)
	}
	// Too far: refused with ErrTooFar.
	if _, err := g.Snap(orb.Point{o[0] + 3.5*d, o[1]}, 100, nil); !errors.Is(err, ErrTooFar) {
		t.Errorf("err %v, want ErrTooFar", err)
	}
	if _, err := g.Snap(orb.Point{0, 0}, 0, nil); !errors.Is(err, ErrTooFar) {
		t.Errorf("point at sea: err %v, want ErrTooFar", err)
	}
	// Exactly on a segment: zero distance, the point itself.
	a, b := g.Coords[g.segA[5]], g.Coords[g.segB[5]]
	s, err = g.Snap(lerp(a, b, 0.25), 0, nil)
	if err != nil || s.Metres > 1e-6 || math.Abs(s.Frac-0.25) > 1e-9 {
		t.Errorf("on-road snap: %+v %v", s, err)
	}
}

func TestClosures(t *testing.T) {
	ways := Grid(20, 20, 120, orb.Point{114.05, 22.55}, 9)
	g, err := Build(ways, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Close the arterial row 10 (road id 11) and a polygon over a block of
	// columns: costs must equal the reference built without those roads.
	sw, ne := ways[0].Coords[0], ways[19].Coords[19] // the grid's corners
	poly := orb.Polygon{orb.Ring{
		lerp(sw, ne, 0.2), {lerp(sw, ne, 0.3)[0], lerp(sw, ne, 0.2)[1]},
		lerp(sw, ne, 0.3), {lerp(sw, ne, 0.2)[0], lerp(sw, ne, 0.3)[1]},
		lerp(sw, ne, 0.2),
	}}
	blocked, err := g.Block([]Closure{{RoadID: 11}, {Polygon: poly}})
	if err != nil {
		t.Fatal(err)
	}
	if blocked.Len() == 0 {
		t.Fatal("nothing blocked")
	}
	// The reference: drop the closed segments from the ways.
	closed := map[[2]int64]bool{}
	for s := int32(0); s < int32(g.Segments()); s++ {
		for _, e := range g.segEdge[g.segFirst[s]:g.segFirst[s+1]] {
			if blocked.Has(e) {
				closed[[2]int64{g.Key[g.segA[s]], g.Key[g.segB[s]]}] = true
			}
		}
	}
	var open []Way
	for _, w := range ways {
		for i := 1; i < len(w.Keys); i++ {
			if closed[[2]int64{w.Keys[i-1], w.Keys[i]}] || closed[[2]int64{w.Keys[i], w.Keys[i-1]}] {
				continue
			}
			p := w
			p.Keys, p.Coords = w.Keys[i-1:i+1], w.Coords[i-1:i+1]
			open = append(open, p)
		}
	}
	if len(closed) < 20 {
		t.Fatalf("only %d segments closed", len(closed))
	}
	ref := newRef(open, nil)
	rng := rand.New(rand.NewPCG(8, 8))
	var pts []Snap
	for len(pts) < 20 {
		s := randomPoints(t, g, rng, 1, 50)[0]
		if s, err = g.Snap(s.Input, 0, blocked); err == nil {
			pts = append(pts, s)
		}
	}
	for _, s := range pts[:5] {
		dist := ref.dijkstra(ref.pointStarts(g, s, Time), Time, false)
		g.Forward([]Snap{s}, Time, math.Inf(1), blocked, func(tr *Tree) {
			for _, d := range pts[5:] {
				if got, want := tr.To(d), ref.pointCost(g, dist, s, d, Time, false); !near(got, want) {
					t.Errorf("closed: got %.4f want %.4f", got, want)
				}
			}
		})
	}
	// A snapped point never lands on a closed road.
	for _, s := range pts {
		if s.RoadID == 11 {
			t.Errorf("snapped onto the closed road")
		}
	}
	if _, err := g.Block([]Closure{{RoadID: 123456}}); err == nil {
		t.Error("unknown road closed without error")
	}
	if _, err := g.Block([]Closure{{Polygon: orb.LineString{{0, 0}, {1, 1}}}}); err == nil {
		t.Error("a line accepted as closure polygon")
	}
}

func TestIsochrone(t *testing.T) {
	ways := Grid(40, 40, 120, orb.Point{114.05, 22.55}, 13)
	g, err := Build(ways, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref := newRef(ways, nil)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, src := range randomPoints(t, g, rng, 4, 50) {
		iso5 := g.Isochrone(src, 120, 0, nil)
		iso10 := g.Isochrone(src, 240, 0, nil)
		if len(iso5.Polygon) != 1 || len(iso5.Polygon[0]) < 4 {
			t.Fatalf("polygon %v", iso5.Polygon)
		}
		if planar.Area(iso5.Polygon) <= 0 {
			t.Errorf("ring is not counter-clockwise")
		}
		// Every road point the reference reaches within the limit is
		// inside: sample each segment at 20 points.
		dist := ref.dijkstra(ref.pointStarts(g, src, Time), Time, false)
		inside, checked := 0, 0
		for _, w := range ways {
			for i := 1; i < len(w.Keys); i++ {
				for _, dir := range [2]bool{true, false} {
					a, b := w.Keys[i-1], w.Keys[i]
					pa, pb := w.Coords[i-1], w.Coords[i]
					if !dir {
						a, b, pa, pb = b, a, pb, pa
					}
					c, ok := ref.segCost(a, b, w.ID, Time)
					d := nodeCost(dist, a)
					if !ok || math.IsInf(d, 1) {
						continue
					}
					for k := 0; k <= 20; k++ {
						f := float64(k) / 20
						if d+f*c > iso5.Seconds {
							break
						}
						checked++
						if planar.PolygonContains(iso5.Polygon, lerp(pa, pb, f)) {
							inside++
						}
					}
				}
			}
		}
		if checked < 100 || inside != checked {
			t.Errorf("%d of %d reachable road points inside the 2-minute polygon", inside, checked)
		}
		// Nesting: random points inside the smaller polygon are inside the
		// larger one.
		b := iso5.Polygon.Bound()
		in := 0
		for k := 0; k < 2000; k++ {
			p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
			if planar.PolygonContains(iso5.Polygon, p) {
				in++
				if !planar.PolygonContains(iso10.Polygon, p) {
					t.Fatalf("point %v in the 2-minute polygon but not the 4-minute one", p)
				}
			}
		}
		if in < 100 {
			t.Errorf("only %d sample points inside", in)
		}
		// Not absurdly large: the area is within the bound of reachable
		// points grown by two cells.
		if a5, a10 := geo.Area(iso5.Polygon), geo.Area(iso10.Polygon); a5 >= a10 {
			t.Errorf("areas %.0f ≥ %.0f", a5, a10)
		}
	}
}

func TestParseMetric(t *testing.T) {
	for in, want := range map[string]Metric{"": Time, "time": Time, "distance": Distance} {
		if m, err := ParseMetric(in); err != nil || m != want {
			t.Errorf("%q: %v %v", in, m, err)
		}
	}
	if _, err := ParseMetric("fast"); err == nil {
		t.Error("fast accepted")
	}
}

// TestQueueOrder drives the bucket queue as Dijkstra does (every key
// pushed at least the last settled; labels drop and the node is queued
// again, leaving its old entry behind). Sorted mode must settle in exact
// key order, including keys in the current bucket and ties; unsorted mode,
// whose pushes are never closer than an edge (≥ the bucket width) to the
// node being settled, must settle no node that a queued one could still
// improve.
func TestQueueOrder(t *testing.T) {
	for _, c := range []struct {
		width  float64
		sorted bool
	}{{0.01, true}, {1, true}, {50, true}, {1, false}, {7, false}} {
		rng := rand.New(rand.NewPCG(3, 3))
		var q queue
		minEdge := c.width
		if !c.sorted {
			minEdge = c.width / (1 - 1e-6)
		}
		q.reset(queueShape{width: c.width, ring: int((100+minEdge)/c.width) + 2, sorted: c.sorted})
		const n = 3000
		lab := make([]label, n)
		queued := map[int32]bool{} // live, not settled
		settled := make([]bool, n)
		fresh := int32(0)
		push := func(d float64) {
			u := fresh
			// Sometimes lower the label of a queued node instead.
			for v := range queued {
				if rng.IntN(3) == 0 && d < lab[v].dist {
					u = v
				}
				break
			}
			if u == fresh {
				if fresh == n {
					return
				}
				fresh++
			}
			lab[u].dist = d
			queued[u] = true
			q.push(lab, d, u)
		}
		for i := 0; i < 50; i++ {
			push(rng.Float64() * 100)
		}
		last, pops := 0.0, 0
		for q.size > 0 {
			u := q.pop(lab)
			if settled[u] {
				continue
			}
			if !queued[u] {
				t.Fatalf("%+v: popped %d, never queued", c, u)
			}
			k := lab[u].dist
			least := math.Inf(1)
			for v := range queued {
				least = math.Min(least, lab[v].dist)
			}
			if c.sorted && (k != least || k < last) {
				t.Fatalf("%+v: settled %v after %v, least queued %v", c, k, last, least)
			}
			if !c.sorted && least+minEdge <= k {
				t.Fatalf("%+v: settled %v while %v is queued", c, k, least)
			}
			settled[u] = true
			delete(queued, u)
			last = k
			pops++
			for j := 1 + rng.IntN(2); j > 0; j-- {
				if c.sorted {
					push(k + rng.Float64()*[]float64{0, 0.001, 1, 100}[rng.IntN(4)])
				} else {
					push(k + minEdge + rng.Float64()*[]float64{0, 0.001, 1, 100}[rng.IntN(4)])
				}
			}
		}
		if pops < 1000 {
			t.Errorf("%+v: only %d settled", c, pops)
		}
	}
}

// TestNearestMatchesForward: every unit's cost from the reversed search
// equals a forward point-to-point search from the unit to the alarm (Cost),
// the ranking is in cost order, k stops with the same leaders, and each
// route runs from the unit to the alarm along the roads — on a grid, with
// closures, and on Monaco with its turn restrictions.
func TestNearestMatchesForward(t *testing.T) {
	grid, err := Build(Grid(30, 30, 150, orb.Point{114.05, 22.55}, 21), nil)
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		name    string
		g       *Graph
		blocked *Blocked
	}
	cases := []tc{{"grid", grid, nil}}
	b, err := grid.Block([]Closure{{RoadID: 11}, {RoadID: 45}})
	if err != nil {
		t.Fatal(err)
	}
	cases = append(cases, tc{"grid closed", grid, b})
	if x := loadExtractOrNil(t, "monaco.osm.pbf"); x != nil {
		mg, err := FromOSM(x)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, tc{"monaco", mg, nil})
	}
	for _, c := range cases {
		rng := rand.New(rand.NewPCG(9, 9))
		var sites []Site
		for i, s := range randomPoints(t, c.g, rng, 10, 80) {
			sites = append(sites, Site{ID: int64(i + 1), Point: s.Input})
		}
		ss := c.g.SnapSites(sites, 0, c.blocked)
		alarms := append(randomPoints(t, c.g, rng, 20, 80), randomPoints(t, c.g, rng, 10, 0)...)
		// Some alarms on a unit's own road, some on junctions.
		for _, sn := range ss.Snaps[:3] {
			alarms = append(alarms, sn, Snap{Input: c.g.Coords[c.g.Junction(sn)]})
		}
		for _, a := range alarms {
			a, err := c.g.Snap(a.Input, 0, c.blocked)
			if err != nil {
				continue
			}
			for _, m := range []Metric{Time, Distance} {
				got := c.g.Nearest(a, ss, 0, m)
				n := 0
				for i, s := range ss.Snaps {
					if want := c.g.Cost(s, a, m, c.blocked); !math.IsInf(want, 1) {
						n++
						found := false
						for _, r := range got {
							if r.ID == ss.List[i].ID {
								found = true
								if cost := costOf(r, m); !near(cost, want) {
									t.Errorf("%s %s unit %d: nearest %.6f, forward %.6f", c.name, m, r.ID, cost, want)
								}
							}
						}
						if !found {
							t.Errorf("%s %s: unit %d reachable (%.3f) but not ranked", c.name, m, ss.List[i].ID, want)
						}
					}
				}
				if len(got) != n {
					t.Errorf("%s %s: ranked %d, %d reachable", c.name, m, len(got), n)
				}
				for i, r := range got {
					if i > 0 && costOf(got[i-1], m) > costOf(r, m) {
						t.Errorf("%s %s: rank %d out of order", c.name, m, i)
					}
					if l := geo.LengthHaversine(r.Route); m == Distance && math.Abs(l-r.Metres) > 0.5+1e-6*l {
						t.Errorf("%s route length %.2f, distance %.2f", c.name, l, r.Metres)
					}
					if len(r.Route) < 2 || r.Route[0] != r.Snapped || r.Route[len(r.Route)-1] != a.Point {
						t.Errorf("%s: route does not run from unit to alarm", c.name)
					}
				}
				top := c.g.Nearest(a, ss, 3, m)
				if len(top) != min(3, len(got)) {
					t.Errorf("%s %s: k=3 ranked %d", c.name, m, len(top))
				}
				for i := range top {
					if !near(costOf(top[i], m), costOf(got[i], m)) {
						t.Errorf("%s %s: k=3 rank %d differs from the full ranking", c.name, m, i)
					}
				}
			}
		}
	}
}

// costOf is r's cost in metric m.
func costOf(r Ranked, m Metric) float64 {
	if m == Distance {
		return r.Metres
	}
	return r.Seconds
}

// loadExtractOrNil is loadExtract without the skip.
func loadExtractOrNil(t *testing.T, name string) *osm.Extract {
	path := filepath.Join(repoData(t), "osm", name)
	if _, err := os.Stat(path); err != nil {
		t.Logf("%s absent: that case is skipped", path)
		return nil
	}
	return loadExtract(t, name)
}

func TestLoadOSM(t *testing.T) {
	path := filepath.Join(repoData(t), "osm", "monaco.osm.pbf")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("%s absent (reference data lives in ../shared/data beside the repo)", path)
	}
	var progress strings.Builder
	d, g, err := LoadOSM(context.Background(), path, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "monaco" || len(d.Layers["roads"]) < 1000 || len(d.Layers["fire_stations"]) != 3 {
		t.Errorf("district %q: %d roads, %d stations", d.Name, len(d.Layers["roads"]), len(d.Layers["fire_stations"]))
	}
	if g.Restrictions() < 20 || g.MainComponent() < g.Nodes()/2 {
		t.Errorf("graph: %d restrictions, main component %d of %d", g.Restrictions(), g.MainComponent(), g.Nodes())
	}
	if !strings.Contains(progress.String(), "network:") {
		t.Errorf("no progress: %s", progress.String())
	}
	if _, _, err := LoadOSM(context.Background(), filepath.Join(t.TempDir(), "none.osm.pbf"), nil); err == nil {
		t.Error("a missing file loaded")
	}
}

// TestHilbert: the curve visits every cell of the grid once, each step to
// a neighbouring cell.
func TestHilbert(t *testing.T) {
	const side = 16
	at := map[uint64][2]int{}
	for x := 0; x < side; x++ {
		for y := 0; y < side; y++ {
			d := hilbert(side, uint32(x), uint32(y))
			if _, dup := at[d]; dup || d >= side*side {
				t.Fatalf("cell %d,%d at %d", x, y, d)
			}
			at[d] = [2]int{x, y}
		}
	}
	for d := uint64(1); d < side*side; d++ {
		a, b := at[d-1], at[d]
		if dx, dy := a[0]-b[0], a[1]-b[1]; dx*dx+dy*dy != 1 {
			t.Fatalf("step %d from %v to %v", d, a, b)
		}
	}
}
