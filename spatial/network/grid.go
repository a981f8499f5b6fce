package network

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// Grid makes the roads of a synthetic city for benchmarks and tests: a
// cols×rows lattice of junctions about spacing metres apart (jittered),
// whose every tenth street is a 60 km/h two-way arterial, and whose other
// streets are 30 km/h, every third of them one-way (alternating
// direction). Road ids are 1+street index.
func Grid(cols, rows int, spacing float64, origin orb.Point, seed uint64) []Way {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	dLat := spacing / (earthRadius * math.Pi / 180)
	dLon := dLat / math.Cos(origin[1]*math.Pi/180)
	pts := make([]orb.Point, cols*rows)
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			pts[r*cols+c] = orb.Point{
				origin[0] + (float64(c)+0.2*(rng.Float64()-0.5))*dLon,
				origin[1] + (float64(r)+0.2*(rng.Float64()-0.5))*dLat,
			}
		}
	}
	var ways []Way
	street := func(i int, keys []int64) {
		w := Way{ID: int64(len(ways) + 1), Keys: keys, Forward: true, Backward: true, SpeedKmh: 30}
		switch {
		case i%10 == 0:
			w.SpeedKmh = 60
		case i%3 == 0:
			if i%2 == 0 {
				w.Backward = false
			} else {
				w.Forward = false
			}
		}
		w.Coords = make([]orb.Point, len(keys))
		for j, k := range keys {
			w.Coords[j] = pts[k]
		}
		ways = append(ways, w)
	}
	for r := 0; r < rows; r++ {
		keys := make([]int64, cols)
		for c := range keys {
			keys[c] = int64(r*cols + c)
		}
		street(r, keys)
	}
	for c := 0; c < cols; c++ {
		keys := make([]int64, rows)
		for r := range keys {
			keys[r] = int64(r*cols + c)
		}
		street(c, keys)
	}
	return ways
}
