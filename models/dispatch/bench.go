package dispatch

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/network"
	"github.com/paulmach/orb"
)

// Sites turns fire_stations features into network sites (all of them,
// whatever their availability).
func Sites(fs []layers.Feature) []network.Site {
	out := make([]network.Site, 0, len(fs))
	for _, f := range fs {
		pt, ok := f.Geometry.(orb.Point)
		if !ok {
			continue
		}
		name, _ := f.Properties["name"].(string)
		out = append(out, network.Site{ID: f.ID, Name: name, Point: pt})
	}
	return out
}

// BenchResult is one side-by-side run of onemap and pgRouting.
type BenchResult struct {
	Alarms, Stations, Nodes, Edges int
	// Onemap is the desk's answer: one search from the alarm over the
	// reversed graph (Graph.Nearest).
	Onemap, PgRouting Latency
	// Ratio is pgRouting's mean latency over onemap's; MedianRatio the
	// same for the medians (steadier on a shared machine, where a
	// millisecond stall of one 70 µs answer moves onemap's mean).
	Ratio, MedianRatio float64
	// Mismatches counts alarms whose station costs differ between the two.
	Mismatches int
}

// Latency summarises per-alarm latencies.
type Latency struct {
	Mean, P50, P99 time.Duration
}

func summarise(ds []time.Duration) Latency {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Latency{Mean: sum / time.Duration(len(ds)), P50: ds[len(ds)/2], P99: ds[min(len(ds)-1, len(ds)*99/100)]}
}

// BenchPgRouting answers the same alarms with onemap (as the desk does: one
// search from the alarm over the reversed graph, every station ranked,
// routes included) and with pgRouting's many-to-one
// pgr_dijkstra (every station to the alarm, paths included) on the same
// graph, copied into a scratch table of pool's database, and prints the
// comparison to out. Alarms and stations stand on junctions so that both
// answer exactly the same question; their costs are compared. Each side
// answers all the alarms in turn (onemap, then pgRouting).
func BenchPgRouting(ctx context.Context, pool *pgxpool.Pool, g *network.Graph, sites []network.Site, alarms int, out io.Writer) (BenchResult, error) {
	res := BenchResult{Alarms: alarms, Nodes: g.Nodes(), Edges: g.Edges()}
	// Stations on their nearest junction.
	var onJunction []network.Site
	var vids []int64
	for _, s := range sites {
		sn, err := g.Snap(s.Point, 0, nil)
		if err != nil {
			continue
		}
		u := g.Junction(sn)
		onJunction = append(onJunction, network.Site{ID: s.ID, Name: s.Name, Point: g.Coords[u]})
		vids = append(vids, int64(u)+1)
	}
	ss := g.SnapSites(onJunction, 0, nil)
	res.Stations = len(ss.List)
	if res.Stations == 0 || alarms <= 0 {
		return res, fmt.Errorf("dispatch: bench needs stations and alarms (have %d, %d)", res.Stations, alarms)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var points []network.Snap
	for tries := 0; len(points) < alarms && tries < 1000*alarms; tries++ {
		u := int32(rng.IntN(g.Nodes()))
		if g.Orig[u] != u || !g.InMain(u) || g.Restricted(u) {
			continue
		}
		if s, err := g.Snap(g.Coords[u], 0, nil); err == nil && s.Node == u {
			points = append(points, s)
		}
	}
	if len(points) < alarms {
		return res, fmt.Errorf("dispatch: found only %d alarm junctions", len(points))
	}

	table := fmt.Sprintf("onemap_bench_edges_%d", os.Getpid())
	if _, err := pool.Exec(ctx, "CREATE TABLE "+table+" (id bigint PRIMARY KEY, source bigint, target bigint, cost double precision, reverse_cost double precision)"); err != nil {
		return res, fmt.Errorf("dispatch: bench: %w", err)
	}
	defer func() { _, _ = pool.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+table) }()
	rows := make([][]any, g.Edges())
	for e := range rows {
		rows[e] = []any{int64(e + 1), int64(g.Tail[e]) + 1, int64(g.Head[e]) + 1, g.Seconds[e], -1.0}
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{table}, []string{"id", "source", "target", "cost", "reverse_cost"}, pgx.CopyFromRows(rows)); err != nil {
		return res, fmt.Errorf("dispatch: bench: copy edges: %w", err)
	}
	edgesSQL := "SELECT id, source, target, cost, reverse_cost FROM " + table

	// Each side answers every alarm in turn, onemap first, then
	// pgRouting; answers are compared afterwards. (Interleaved, each
	// onemap answer would follow a PostgreSQL round trip that has pushed
	// its few hundred kilobytes of graph and search state out of the
	// core's caches, so it would time the cache refill as well.)
	g.Nearest(points[0], ss, 0, network.Time) // warm up once
	var ours, theirs []time.Duration
	// Only each answer's ETAs are kept for the comparison; its routes
	// are dropped (overwritten by the next answer) as an API handler
	// drops them once written.
	type eta struct {
		id      int64
		seconds float64
	}
	answers := make([][]eta, len(points))
	// One answer buffer is reused from alarm to alarm, as the API
	// handler reuses its pooled buffers once a response is written.
	var buf network.Answer
	runtime.GC() // each pass starts from a collected heap, as testing.B does
	for i, a := range points {
		t0 := time.Now()
		ranked := g.NearestInto(&buf, a, ss, 0, network.Time)
		ours = append(ours, time.Since(t0))
		for _, u := range ranked {
			answers[i] = append(answers[i], eta{u.ID, u.Seconds})
		}
	}
	runtime.GC()
	for ai, a := range points {
		t0 := time.Now()
		r, err := pool.Query(ctx, "SELECT start_vid, max(agg_cost) FROM pgr_dijkstra($1, $2::bigint[], $3::bigint, true) GROUP BY start_vid",
			edgesSQL, vids, int64(a.Node)+1)
		if err != nil {
			return res, fmt.Errorf("dispatch: bench: pgr_dijkstra: %w", err)
		}
		pg := map[int64]float64{}
		for r.Next() {
			var v int64
			var c float64
			if err := r.Scan(&v, &c); err != nil {
				r.Close()
				return res, err
			}
			pg[v] = c
		}
		r.Close()
		if err := r.Err(); err != nil {
			return res, err
		}
		theirs = append(theirs, time.Since(t0))

		ranked := answers[ai]
		mismatch := len(ranked) != len(ss.List)
		for _, u := range ranked {
			for i, s := range ss.List {
				if s.ID != u.id || vids[i] == int64(a.Node)+1 {
					continue
				}
				if c, ok := pg[vids[i]]; !ok || math.Abs(c-u.seconds) > 1e-6*math.Max(1, c) {
					mismatch = true
				}
			}
		}
		if mismatch {
			res.Mismatches++
		}
	}
	res.Onemap, res.PgRouting = summarise(ours), summarise(theirs)
	res.Ratio = float64(res.PgRouting.Mean) / float64(res.Onemap.Mean)
	res.MedianRatio = float64(res.PgRouting.P50) / float64(res.Onemap.P50)
	fmt.Fprintf(out, "dispatch bench: %d alarms, %d stations, graph %d nodes / %d edges; every station ranked, routes included; each side answers all alarms in turn\n", res.Alarms, res.Stations, res.Nodes, res.Edges)
	fmt.Fprintf(out, "  onemap    one reversed search per alarm       mean %10v  p50 %10v  p99 %10v  %3.0f× faster (means), %3.0f× (medians)\n", res.Onemap.Mean, res.Onemap.P50, res.Onemap.P99, res.Ratio, res.MedianRatio)
	fmt.Fprintf(out, "  pgRouting pgr_dijkstra many-to-one (paths)    mean %10v  p50 %10v  p99 %10v\n", res.PgRouting.Mean, res.PgRouting.P50, res.PgRouting.P99)
	fmt.Fprintf(out, "  %d of %d alarms disagree on a station's ETA\n", res.Mismatches, res.Alarms)
	return res, nil
}

// BenchDemo is `onemap bench dispatch`: it generates the demo district,
// routes on its roads, and runs BenchPgRouting against the PostGIS (with
// pgRouting) at url for the given number of alarms.
func BenchDemo(ctx context.Context, url string, alarms int, out io.Writer) (BenchResult, error) {
	d := demo.Generate(demo.Options{Seed: demo.DefaultSeed})
	g, err := network.FromRoads(layers.NewSnapshot(1, d.Layers[layers.Roads]))
	if err != nil {
		return BenchResult{}, err
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return BenchResult{}, fmt.Errorf("dispatch: bench: %w", err)
	}
	defer pool.Close()
	return BenchPgRouting(ctx, pool, g, Sites(d.Layers[layers.FireStations]), alarms, out)
}
