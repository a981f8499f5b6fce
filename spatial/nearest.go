package spatial

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/project"

	"github.com/onemap/onemap/layers"
)

// Hit is one result of Nearest: a feature and its distance in metres.
type Hit struct {
	Feature  *layers.Feature
	Distance float64
}

// metresPerDeg is one degree of a great circle on orb's spherical earth, so
// that distances agree with geo.DistanceHaversine.
const metresPerDeg = orb.EarthRadius * math.Pi / 180

// Nearest returns the k features of s nearest to p, nearest first, with
// distances in metres (0 inside a polygon). Distances use a local
// equirectangular projection around p, matching haversine distances to
// well under 0.5% within a city.
//
// The R-tree yields candidates by box distance in degrees; a candidate's true
// distance is at least that box distance scaled by the smaller of the two
// degree lengths, so the search stops once that lower bound passes the k-th
// best distance found.
func Nearest(s *layers.Snapshot, p orb.Point, k int) []Hit {
	if k <= 0 {
		return nil
	}
	coslat := math.Cos(p[1] * math.Pi / 180)
	kx, ky := metresPerDeg*coslat, metresPerDeg
	minScale := math.Min(kx, ky)
	local := func(q orb.Point) orb.Point { return orb.Point{(q[0] - p[0]) * kx, (q[1] - p[1]) * ky} }
	var best []Hit
	s.Nearby(p, func(f *layers.Feature, boxDist float64) bool {
		if len(best) == k && math.Sqrt(boxDist)*minScale > best[k-1].Distance {
			return false
		}
		d := distance(f.Geometry, p, local)
		if len(best) < k || d < best[len(best)-1].Distance {
			i := sort.Search(len(best), func(i int) bool { return best[i].Distance > d })
			best = append(best, Hit{})
			copy(best[i+1:], best[i:])
			best[i] = Hit{Feature: f, Distance: d}
			if len(best) > k {
				best = best[:k]
			}
		}
		return true
	})
	return best
}

// distance is the metres from p to g, via the local projection.
func distance(g orb.Geometry, p orb.Point, local func(orb.Point) orb.Point) float64 {
	if pt, ok := g.(orb.Point); ok {
		return planar.Distance(local(pt), orb.Point{})
	}
	if Contains(g, p) {
		return 0
	}
	// project.Geometry modifies in place, so project a clone.
	return planar.DistanceFrom(project.Geometry(orb.Clone(g), local), orb.Point{})
}
