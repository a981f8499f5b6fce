package tiles

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb/maptile"
)

// BenchSets are the layer sets the benchmarks render: everything at once,
// the admin hierarchy, the point layers, and the two biggest layers.
var benchSets = map[string][]string{
	"all":       nil, // every layer
	"admin":     {layers.Districts, layers.Streets, layers.Communities, layers.Grids},
	"points":    {layers.Hazards, layers.FloodPoints, layers.FireStations, layers.Schools, layers.Hospitals, layers.ElderlyCare, layers.Cameras},
	"buildings": {layers.Buildings},
	"roads":     {layers.Roads},
}

// benchTiles is the fixed list: 16 tiles per zoom z10–z17 over the district.
func benchTiles(cat *layers.Catalog) []maptile.Tile {
	return Sample(demoBound(cat), 10, 17, 16)
}

// BenchmarkRender renders uncached demo tiles z10–z17 for each layer set
// and reports the per-tile p50 and p99 (the target: p99 ≤ 10 ms).
func BenchmarkRender(b *testing.B) {
	cat := demoCatalog(b)
	list := benchTiles(cat)
	for _, name := range []string{"all", "admin", "points", "buildings", "roads"} {
		srcs := catalogSources(cat, benchSets[name]...)
		// As the server renders: features' Mercator geometry prepared once
		// (the first pass over the list, untimed).
		o := DefaultOptions().Prepared()
		for _, t := range list {
			if _, err := o.Render(srcs, t); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(name, func(b *testing.B) {
			var ds, cpu []time.Duration
			var bytesOut int
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t := list[i%len(list)]
				start, c0 := time.Now(), threadCPU()
				raw, err := o.Render(srcs, t)
				ds = append(ds, time.Since(start))
				cpu = append(cpu, threadCPU()-c0)
				if err != nil {
					b.Fatal(err)
				}
				bytesOut += len(raw)
			}
			b.StopTimer()
			b.ReportMetric(float64(Quantile(ds, 0.5).Microseconds()), "p50-µs")
			b.ReportMetric(float64(Quantile(ds, 0.99).Microseconds()), "p99-µs")
			// The same tiles in CPU time of the rendering thread: what wall
			// time would be on an idle machine, when others share the cores.
			b.ReportMetric(float64(Quantile(cpu, 0.99).Microseconds()), "p99-cpu-µs")
			b.ReportMetric(float64(bytesOut)/float64(b.N), "B/tile")
		})
	}
}

// BenchmarkCacheHit is the cached path the server takes for a hot tile.
func BenchmarkCacheHit(b *testing.B) {
	cat := demoCatalog(b)
	srcs := catalogSources(cat)
	c := NewCache(1<<30, DefaultOptions())
	list := benchTiles(cat)
	for _, t := range list {
		if _, err := c.Tile(srcs, t); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := c.Tile(srcs, list[i%len(list)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func TestBenchPostGIS(t *testing.T) {
	ctx, db, cat := demoInPostGIS(t)
	list := Sample(demoBound(cat), 12, 16, 2)
	sets := [][]string{benchSets["admin"], benchSets["points"]}
	var out bytes.Buffer
	rep, err := BenchPostGIS(ctx, db.Pool, cat, sets, list, 1, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != len(list)*len(sets) || rep.Ratio <= 0 || rep.OnemapP99 < rep.OnemapP50 {
		t.Fatalf("report %+v", rep)
	}
	for _, r := range rep.Rows {
		if r.OnemapFeatures != r.PostGISFeatures || r.OnemapFeatures < 0 {
			t.Errorf("%s %v: onemap %d features, PostGIS %d", r.Layers, r.Tile, r.OnemapFeatures, r.PostGISFeatures)
		}
	}
	if !strings.Contains(out.String(), "faster per tile") {
		t.Fatalf("output:\n%s", out.String())
	}
	t.Logf("\n%s", out.String())

	// A catalog that does not hold the database's rows is refused.
	other := layers.NewCatalog()
	other.Put(layers.ThematicSchemas(true)[1], nil)
	if _, err := BenchPostGIS(ctx, db.Pool, other, [][]string{{other.Names()[0]}}, list, 1, &out); err == nil {
		t.Fatal("bench ran on different data")
	}
}
