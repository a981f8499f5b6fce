package network

// Independent references for the tests: a plain map-based Dijkstra over the
// ways themselves (no CSR, no snapping code), and an edge-based variant
// that honours turn restrictions by tracking the way a node was reached by.

import (
	"container/heap"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/onemap/onemap/layers/osm"
	"github.com/paulmach/orb/geo"
)

type refEdge struct {
	to      int64
	way     int64
	seconds float64
	metres  float64
}

type refGraph struct {
	adj map[int64][]refEdge
	// restrictions: via → from way → rule
	only map[int64]map[int64]map[int64]bool
	no   map[int64]map[int64]map[int64]bool
}

func newRef(ways []Way, rs []Restriction) *refGraph {
	r := &refGraph{adj: map[int64][]refEdge{}, only: map[int64]map[int64]map[int64]bool{}, no: map[int64]map[int64]map[int64]bool{}}
	for _, w := range ways {
		if w.SpeedKmh <= 0 {
			continue
		}
		for i := 1; i < len(w.Keys); i++ {
			a, b := w.Keys[i-1], w.Keys[i]
			if a == b {
				continue
			}
			m := geo.DistanceHaversine(w.Coords[i-1], w.Coords[i])
			s := m / (w.SpeedKmh / 3.6)
			if w.Forward {
				r.adj[a] = append(r.adj[a], refEdge{b, w.ID, s, m})
			}
			if w.Backward {
				r.adj[b] = append(r.adj[b], refEdge{a, w.ID, s, m})
			}
		}
	}
	for _, x := range rs {
		set := r.no
		if x.Only {
			set = r.only
		}
		if set[x.Via] == nil {
			set[x.Via] = map[int64]map[int64]bool{}
		}
		if set[x.Via][x.From] == nil {
			set[x.Via][x.From] = map[int64]bool{}
		}
		set[x.Via][x.From][x.To] = true
	}
	return r
}

// refState is a node reached by a way from a previous node (way 0:
// standing at the node).
type refState struct {
	node, way, prev int64
}

type refItem struct {
	s refState
	d float64
}

type refHeap []refItem

func (h refHeap) Len() int           { return len(h) }
func (h refHeap) Less(i, j int) bool { return h[i].d < h[j].d }
func (h refHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *refHeap) Push(x any)        { *h = append(*h, x.(refItem)) }
func (h *refHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// allowed reports whether a vehicle that reached via by way from (coming
// from node prev) may leave by way to towards node next. A restriction
// onto the way it came by forbids turning back only.
func (r *refGraph) allowed(via, from, prev, to, next int64, turns bool) bool {
	if !turns || from == 0 {
		return true
	}
	if o := r.only[via][from]; len(o) > 0 {
		return o[to]
	}
	if !r.no[via][from][to] {
		return true
	}
	return from == to && next != prev
}

// dijkstra returns the cost to every node (the cheapest over the ways it
// may be reached by) from the start states; turns selects whether turn
// restrictions apply.
func (r *refGraph) dijkstra(starts map[refState]float64, metric Metric, turns bool) map[refState]float64 {
	dist := map[refState]float64{}
	h := &refHeap{}
	for s, d := range starts {
		if old, ok := dist[s]; !ok || d < old {
			dist[s] = d
			heap.Push(h, refItem{s, d})
		}
	}
	done := map[refState]bool{}
	for h.Len() > 0 {
		it := heap.Pop(h).(refItem)
		if done[it.s] {
			continue
		}
		done[it.s] = true
		for _, e := range r.adj[it.s.node] {
			if !r.allowed(it.s.node, it.s.way, it.s.prev, e.way, e.to, turns) {
				continue
			}
			c := e.seconds
			if metric == Distance {
				c = e.metres
			}
			ns := refState{e.to, e.way, it.s.node}
			if !turns {
				ns = refState{node: e.to}
			}
			if old, ok := dist[ns]; !ok || it.d+c < old {
				dist[ns] = it.d + c
				heap.Push(h, refItem{ns, it.d + c})
			}
		}
	}
	return dist
}

// nodeCost is the cheapest cost of any state at node.
func nodeCost(dist map[refState]float64, node int64) float64 {
	best := math.Inf(1)
	for s, d := range dist {
		if s.node == node && d < best {
			best = d
		}
	}
	return best
}

// repoData is ../shared/data beside the repository, found by walking up
// to go.mod.
func repoData(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "data")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// loadExtract reads ../shared/data/osm/name, skipping when absent.
func loadExtract(t testing.TB, name string) *osm.Extract {
	t.Helper()
	path := filepath.Join(repoData(t), "osm", name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("OSM extract %s absent (reference data lives in ../shared/data beside the repo): %v", path, err)
	}
	x, err := osm.Read(context.Background(), path, osm.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// osmWays converts an extract as FromOSM does, for tests that build
// without restrictions.
func osmWays(x *osm.Extract) ([]Way, []Restriction) {
	var ways []Way
	for _, h := range x.Highways {
		ways = append(ways, Way{ID: h.ID, Coords: h.Coords, Keys: h.Nodes, Forward: h.Forward, Backward: h.Backward, SpeedKmh: h.SpeedKmh})
	}
	var rs []Restriction
	for _, r := range x.Restrictions {
		rs = append(rs, Restriction{From: r.From, To: r.To, Via: r.Via, Only: r.Only})
	}
	return ways, rs
}

// pointStarts are the reference's start states for a snapped source point.
func (r *refGraph) pointStarts(g *Graph, s Snap, m Metric) map[refState]float64 {
	starts := map[refState]float64{}
	ka, kb := g.Key[g.segA[s.Seg]], g.Key[g.segB[s.Seg]]
	if c, ok := r.segCost(ka, kb, s.RoadID, m); ok {
		starts[refState{kb, s.RoadID, ka}] = (1 - s.Frac) * c
	}
	if c, ok := r.segCost(kb, ka, s.RoadID, m); ok {
		starts[refState{ka, s.RoadID, kb}] = s.Frac * c
	}
	if s.Node >= 0 {
		starts[refState{node: g.Key[s.Node]}] = 0
	}
	return starts
}

func (r *refGraph) segCost(a, b, way int64, m Metric) (float64, bool) {
	best, ok := math.Inf(1), false
	for _, e := range r.adj[a] {
		if e.to == b && e.way == way {
			c := e.seconds
			if m == Distance {
				c = e.metres
			}
			best, ok = math.Min(best, c), true
		}
	}
	return best, ok
}

// pointCost is the reference cost from source s (whose search is dist) to
// the snapped point t.
func (r *refGraph) pointCost(g *Graph, dist map[refState]float64, s, t Snap, m Metric, turns bool) float64 {
	ka, kb := g.Key[g.segA[t.Seg]], g.Key[g.segB[t.Seg]]
	best := math.Inf(1)
	if t.Node >= 0 {
		best = nodeCost(dist, g.Key[t.Node])
	}
	arrive := func(from, to int64, f float64) {
		c, ok := r.segCost(from, to, t.RoadID, m)
		if !ok {
			return
		}
		for st, d := range dist {
			if st.node == from && r.allowed(from, st.way, st.prev, t.RoadID, to, turns) {
				best = math.Min(best, d+f*c)
			}
		}
		if s.Seg == t.Seg || (g.segA[s.Seg] == g.segA[t.Seg] && g.segB[s.Seg] == g.segB[t.Seg] && s.RoadID == t.RoadID) {
			fs, ft := s.Frac, t.Frac
			if from != ka {
				fs, ft = 1-fs, 1-ft
			}
			if fs <= ft {
				best = math.Min(best, (ft-fs)*c)
			}
		}
	}
	arrive(ka, kb, t.Frac)
	arrive(kb, ka, 1-t.Frac)
	return best
}
