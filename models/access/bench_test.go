package access_test

import (
	"sync"
	"testing"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/access"
	"github.com/onemap/onemap/models/demand"
	"github.com/onemap/onemap/spatial/network"
	"github.com/paulmach/orb"
	"gonum.org/v1/gonum/floats"
)

var (
	benchOnce  sync.Once
	benchIn    *demand.Inputs
	benchGraph *network.Graph
	benchErr   error
)

func demoData(b *testing.B) (*demand.Inputs, *network.Graph) {
	benchOnce.Do(func() {
		d := demo.Generate(demo.Options{Seed: demo.DefaultSeed})
		benchIn, benchErr = demand.FromDistrict(d)
		if benchErr != nil {
			return
		}
		benchGraph, benchErr = network.FromRoads(layers.NewSnapshot(1, d.Layers[layers.Roads]))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchIn, benchGraph
}

// bench2SFCA times the whole run the API does for a resource: demand by
// standard per grid, the cost matrix (grids × every facility of the kind)
// and 2SFCA with a 15-minute catchment.
func bench2SFCA(b *testing.B, r demand.Resource, network bool) {
	in, g := demoData(b)
	st := demand.DefaultStandards()
	fs := in.Facilities[r]
	sup := make([]float64, len(fs))
	to := make([]orb.Point, len(fs))
	for j, f := range fs {
		sup[j], to[j] = f.Capacity, f.Point
	}
	b.ResetTimer()
	for b.Loop() {
		pts, dem := demand.DemandPoints(in, r, st)
		var c = access.LineMinutes(pts, to, access.DefaultKmh)
		if network {
			c, _ = access.NetworkMinutes(g, pts, to, access.DefaultKmh, 0)
		}
		res, err := access.Compute(dem, sup, c, access.Options{Method: access.TwoStep, MaxCost: 15})
		if err != nil {
			b.Fatal(err)
		}
		if floats.Sum(res.Scores) <= 0 {
			b.Fatal("no scores")
		}
	}
	b.ReportMetric(float64(len(in.Grids)), "grids")
	b.ReportMetric(float64(len(fs)), "facilities")
}

func BenchmarkDemo2SFCAHospitalsLine(b *testing.B)    { bench2SFCA(b, demand.HospitalBeds, false) }
func BenchmarkDemo2SFCAHospitalsNetwork(b *testing.B) { bench2SFCA(b, demand.HospitalBeds, true) }
func BenchmarkDemo2SFCAElderlyLine(b *testing.B)      { bench2SFCA(b, demand.ElderlyCare, false) }
func BenchmarkDemo2SFCAElderlyNetwork(b *testing.B)   { bench2SFCA(b, demand.ElderlyCare, true) }
