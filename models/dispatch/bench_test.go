package dispatch

import (
	"bytes"
	"context"
	"testing"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/data/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/network"
)

// TestBenchPgRoutingAgrees runs the side-by-side bench briefly: both sides
// must give every station the same ETA (timings are not asserted).
func TestBenchPgRoutingAgrees(t *testing.T) {
	db := pgtest.New(t)
	d := data.Generate(data.DemoOptions{Seed: data.DefaultSeed})
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
