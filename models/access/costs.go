package access

import (
	"math"
	"runtime"
	"sync"

	"github.com/onemap/onemap/spatial/network"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"gonum.org/v1/gonum/mat"
)

// DefaultKmh is the speed that turns straight-line metres into minutes
// when no road network is available: 20 km/h, of the order of peak-hour
// driving speeds reported for large Chinese city centres (Amap's traffic
// reports put them roughly between 20 and 30 km/h). A straight line is
// shorter than the road, so the low end of that range partly makes up for
// it. It is a modelling assumption: override it (about 4.5 km/h for walking).
const DefaultKmh = 20.0

// LineMinutes returns the straight-line (great-circle) travel minutes from
// every point of from (rows) to every point of to (columns) at kmh.
func LineMinutes(from, to []orb.Point, kmh float64) *mat.Dense {
	if kmh <= 0 {
		kmh = DefaultKmh
	}
	perMetre := 60 / (kmh * 1000)
	if len(from) == 0 || len(to) == 0 {
		return nil
	}
	out := mat.NewDense(len(from), len(to), nil)
	for i, a := range from {
		row := out.RawRowView(i)
		for j, b := range to {
			row[j] = geo.Distance(a, b) * perMetre
		}
	}
	return out
}

// NetworkMinutes returns road travel minutes on g from every point of
// from (rows) to every point of to (columns). Each column is one
// one-to-many search, run from the to point: on one-way streets the time is
// that of the trip from the facility to the demand point, which is what a
// network search from each facility gives; for two-way networks the two
// agree. A point farther than maxSnap metres from any usable road
// (network.DefaultMaxSnap when ≤ 0) takes the straight-line minutes at kmh
// for its pairs; unsnapped counts such points.
func NetworkMinutes(g *network.Graph, from, to []orb.Point, kmh, maxSnap float64) (costs *mat.Dense, unsnapped int) {
	if len(from) == 0 || len(to) == 0 {
		return nil, 0
	}
	costs = LineMinutes(from, to, kmh)
	fs := make([]network.Snap, len(from))
	fok := make([]bool, len(from))
	for i, p := range from {
		s, err := g.Snap(p, maxSnap, nil)
		fs[i], fok[i] = s, err == nil
		if err != nil {
			unsnapped++
		}
	}
	ts := make([]network.Snap, len(to))
	tok := make([]bool, len(to))
	for j, p := range to {
		s, err := g.Snap(p, maxSnap, nil)
		ts[j], tok[j] = s, err == nil
		if err != nil {
			unsnapped++
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(to))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := w; j < len(to); j += workers {
				if !tok[j] {
					continue
				}
				g.Forward([]network.Snap{ts[j]}, network.Time, math.Inf(1), nil, func(t *network.Tree) {
					for i := range from {
						if !fok[i] {
							continue
						}
						if s := t.To(fs[i]); !math.IsInf(s, 1) {
							costs.Set(i, j, s/60)
						}
					}
				})
			}
		}()
	}
	wg.Wait()
	return costs, unsnapped
}
