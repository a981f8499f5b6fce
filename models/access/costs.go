package access

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"gonum.org/v1/gonum/mat"
)

// DefaultKmh is the speed that turns straight-line metres into minutes
// when no road network is available: 20 km/h, a typical urban door-to-door
// driving speed in Chinese city centres at peak (Amap/Gaode traffic reports
// put central Shenzhen's peak speed around 20–30 km/h); callers should
// override it for walking (≈ 4.5 km/h) or off-peak driving.
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
