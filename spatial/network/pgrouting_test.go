package network

// Cross-checks against pgRouting on the same graph: the edge list is
// copied into PostGIS (id, source, target, cost, reverse_cost) and
// pgr_dijkstraCost / pgr_drivingDistance answer the same questions.

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
)

// copyEdges loads g's edges as table edges (vertex id = node index + 1).
func copyEdges(t *testing.T, db *pgtest.DB, g *Graph) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE edges (id bigint PRIMARY KEY, source bigint, target bigint,
		cost double precision, metres double precision, reverse_cost double precision)`); err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, g.Edges())
	for e := range rows {
		rows[e] = []any{int64(e + 1), int64(g.Tail[e]) + 1, int64(g.Head[e]) + 1, g.Seconds[e], g.Metres[e], -1.0}
	}
	if _, err := db.Pool.CopyFrom(ctx, pgx.Identifier{"edges"}, []string{"id", "source", "target", "cost", "metres", "reverse_cost"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
}

func edgesSQL(m Metric) string {
	if m == Distance {
		return "SELECT id, source, target, metres AS cost, reverse_cost FROM edges"
	}
	return "SELECT id, source, target, cost, reverse_cost FROM edges"
}

// nodeSnap is a snapped point standing on junction u.
func (g *Graph) nodeSnap(u int32) Snap {
	for s := range g.segA {
		if g.segA[s] == u {
			return Snap{Seg: int32(s), Frac: 0, Node: u, Point: g.Coords[u], RoadID: g.segRoad[s]}
		}
		if g.segB[s] == u {
			return Snap{Seg: int32(s), Frac: 1, Node: u, Point: g.Coords[u], RoadID: g.segRoad[s]}
		}
	}
	panic("node on no segment")
}

// mainNodes picks n distinct original junctions of the main component
// that have no restriction copies.
func mainNodes(g *Graph, rng *rand.Rand, n int) []int32 {
	seen := map[int32]bool{}
	var out []int32
	for len(out) < n {
		u := int32(rng.IntN(len(g.Orig)))
		if seen[u] || !g.InMain(u) || len(g.copies[u]) > 0 {
			continue
		}
		seen[u] = true
		out = append(out, u)
	}
	return out
}

func TestAgainstPgRouting(t *testing.T) {
	for _, name := range []string{"monaco.osm.pbf", "andorra.osm.pbf", "liechtenstein-latest.osm.pbf", "baltimore.osm.pbf"} {
		t.Run(name, func(t *testing.T) {
			x := loadExtract(t, name)
			db := pgtest.New(t)
			g, err := FromOSM(x)
			if err != nil {
				t.Fatal(err)
			}
			copyEdges(t, db, g)
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(6, 6))
			sources, targets := mainNodes(g, rng, 4), mainNodes(g, rng, 40)
			for _, m := range []Metric{Time, Distance} {
				// pgr_dijkstraCost, many to many.
				src := make([]int64, len(sources))
				for i, u := range sources {
					src[i] = int64(u) + 1
				}
				dst := make([]int64, len(targets))
				for i, u := range targets {
					dst[i] = int64(u) + 1
				}
				rows, err := db.Pool.Query(ctx, "SELECT start_vid, end_vid, agg_cost FROM pgr_dijkstraCost($1, $2::bigint[], $3::bigint[], true)", edgesSQL(m), src, dst)
				if err != nil {
					t.Fatal(err)
				}
				want := map[[2]int64]float64{}
				for rows.Next() {
					var s, d int64
					var c float64
					if err := rows.Scan(&s, &d, &c); err != nil {
						t.Fatal(err)
					}
					want[[2]int64{s - 1, d - 1}] = c
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				if len(want) < len(src)*len(dst)/2 {
					t.Fatalf("pgRouting connected only %d pairs", len(want))
				}
				for _, s := range sources {
					g.Forward([]Snap{g.nodeSnap(s)}, m, math.Inf(1), nil, func(tr *Tree) {
						for _, d := range targets {
							got, _ := tr.Node(d)
							w, ok := want[[2]int64{int64(s), int64(d)}]
							if !ok {
								w = math.Inf(1)
								if s == d {
									w = 0
								}
							}
							if !near(got, w) {
								t.Errorf("%s %d→%d: %.6f, pgr_dijkstraCost %.6f", m, s, d, got, w)
							}
						}
					})
				}
			}
			// pgr_drivingDistance: the nodes within 180 s and their costs.
			for _, s := range sources[:2] {
				const limit = 180.0
				rows, err := db.Pool.Query(ctx, "SELECT node, agg_cost FROM pgr_drivingDistance($1, $2::bigint, $3::float8, true)", edgesSQL(Time), int64(s)+1, limit)
				if err != nil {
					t.Fatal(err)
				}
				want := map[int32]float64{}
				for rows.Next() {
					var n int64
					var c float64
					if err := rows.Scan(&n, &c); err != nil {
						t.Fatal(err)
					}
					want[int32(n-1)] = c
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				got := map[int32]float64{}
				g.Forward([]Snap{g.nodeSnap(s)}, Time, limit, nil, func(tr *Tree) {
					for u := int32(0); u < int32(g.Nodes()); u++ {
						if d, ok := tr.Node(u); ok {
							got[u] = d
						}
					}
				})
				if len(want) < 20 {
					t.Fatalf("drivingDistance reached only %d nodes", len(want))
				}
				for u, c := range want {
					if d, ok := got[u]; !ok || !near(d, c) {
						t.Errorf("drivingDistance node %d: pgRouting %.6f, onemap %.6f (reached %v)", u, c, d, ok)
					}
				}
				for u, d := range got {
					if _, ok := want[u]; !ok && limit-d > 1e-6 {
						t.Errorf("node %d at %.6f s reached by onemap only", u, d)
					}
				}
			}
		})
	}
}

// TestNearestStationsAgainstPgRouting ranks the real fire stations of
// Monaco and Baltimore for random alarms, by onemap (one reversed search)
// and by pgRouting (pgr_dijkstraCost from every station to the alarm).
func TestNearestStationsAgainstPgRouting(t *testing.T) {
	for _, name := range []string{"monaco.osm.pbf", "baltimore.osm.pbf"} {
		t.Run(name, func(t *testing.T) {
			x := loadExtract(t, name)
			stations := x.POIs[layers.FireStations]
			if len(stations) < 2 {
				t.Fatalf("%d fire stations in %s", len(stations), name)
			}
			db := pgtest.New(t)
			g, err := FromOSM(x)
			if err != nil {
				t.Fatal(err)
			}
			copyEdges(t, db, g)
			// Each station stands on the junction nearest to it on its road.
			var sites []Site
			var vids []int64
			for _, f := range stations {
				s, err := g.Snap(f.Geometry.(orb.Point), 1000, nil)
				if err != nil {
					t.Logf("station %d not on the network: %v", f.ID, err)
					continue
				}
				u := g.segA[s.Seg]
				if s.Frac > 0.5 {
					u = g.segB[s.Seg]
				}
				name, _ := f.Properties["name"].(string)
				sites = append(sites, Site{ID: f.ID, Name: name, Point: g.Coords[u]})
				vids = append(vids, int64(u)+1)
			}
			ss := g.SnapSites(sites, 0, nil)
			for i, sn := range ss.Snaps {
				if sn.Node < 0 || int64(sn.Node)+1 != vids[i] {
					t.Fatalf("site %d did not land on its junction", ss.List[i].ID)
				}
			}
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(7, 7))
			for _, a := range mainNodes(g, rng, 15) {
				for _, m := range []Metric{Time, Distance} {
					rows, err := db.Pool.Query(ctx, "SELECT start_vid, agg_cost FROM pgr_dijkstraCost($1, $2::bigint[], $3::bigint, true) ORDER BY agg_cost, start_vid",
						edgesSQL(m), vids, int64(a)+1)
					if err != nil {
						t.Fatal(err)
					}
					type rc struct {
						vid  int64
						cost float64
					}
					var want []rc
					for rows.Next() {
						var r rc
						if err := rows.Scan(&r.vid, &r.cost); err != nil {
							t.Fatal(err)
						}
						want = append(want, r)
					}
					if err := rows.Err(); err != nil {
						t.Fatal(err)
					}
					got := g.Nearest(g.nodeSnap(a), ss, 0, m)
					// Stations standing on the alarm's own junction cost 0;
					// pgRouting leaves start = end out.
					var gotRC []rc
					for _, r := range got {
						c := r.Seconds
						if m == Distance {
							c = r.Metres
						}
						for i, s := range ss.List {
							if s.ID == r.ID && vids[i] != int64(a)+1 {
								gotRC = append(gotRC, rc{vids[i], c})
							}
						}
					}
					sort.SliceStable(gotRC, func(i, j int) bool {
						if math.Abs(gotRC[i].cost-gotRC[j].cost) > 1e-9 {
							return gotRC[i].cost < gotRC[j].cost
						}
						return gotRC[i].vid < gotRC[j].vid
					})
					if len(gotRC) != len(want) {
						t.Fatalf("%s alarm %d: onemap ranks %d stations, pgRouting %d", m, a, len(gotRC), len(want))
					}
					wantBy := map[int64]float64{}
					for _, r := range want {
						wantBy[r.vid] = r.cost
					}
					for i := range want {
						// Same cost at every rank, and each station's own
						// cost the same (so only true ties may swap).
						if !near(gotRC[i].cost, want[i].cost) || !near(gotRC[i].cost, wantBy[gotRC[i].vid]) {
							t.Errorf("%s alarm %d rank %d: onemap %v, pgRouting %v", m, a, i+1, gotRC[i], want[i])
						}
					}
				}
			}
			t.Logf("%d stations ranked for 15 alarms, time and distance", len(sites))
		})
	}
}
