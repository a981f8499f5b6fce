package dispatch

import (
	"bytes"
	"context"
	"testing"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/network"
)

// TestBenchPgRoutingAgrees runs the side-by-side bench briefly: both sides
// must give every station the same ETA (timings are not asserted).
func TestBenchPgRoutingAgrees(t *testing.T) {
	db := pgtest.New(t)
	d := demo.Generate(demo.Options{Seed: demo.DefaultSeed})
	g, err := network.FromRoads(layers.NewSnapshot(1, d.Layers[layers.Roads]))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := BenchPgRouting(context.Background(), db.Pool, g, Sites(d.Layers[layers.FireStations]), 10, &out)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	if res.Stations != 23 || res.Alarms != 10 || res.Mismatches != 0 {
		t.Errorf("result %+v", res)
	}
}

// BenchmarkVsPgRouting is the side-by-side run of `onemap bench dispatch`
// (200 alarms per iteration); it reports the speed ratio.
func BenchmarkVsPgRouting(b *testing.B) {
	db := pgtest.New(b)
	d := demo.Generate(demo.Options{Seed: demo.DefaultSeed})
	g, err := network.FromRoads(layers.NewSnapshot(1, d.Layers[layers.Roads]))
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		var out bytes.Buffer
		res, err := BenchPgRouting(context.Background(), db.Pool, g, Sites(d.Layers[layers.FireStations]), 200, &out)
		if err != nil {
			b.Fatal(err)
		}
		b.Log("\n" + out.String())
		b.ReportMetric(res.Ratio, "×-faster")
		b.ReportMetric(float64(res.Onemap.P99.Microseconds()), "onemap-p99-µs")
		b.ReportMetric(float64(res.PgRouting.P99.Microseconds()), "pgrouting-p99-µs")
	}
}
