package network

import (
	"fmt"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
)

// ClassSpeed is the speed (km/h) of a roads layer class, used when a
// feature has no speed_kmh.
func ClassSpeed(class string) float64 {
	switch class {
	case "arterial":
		return 60
	case "secondary":
		return 40
	}
	return 25
}

// FromRoads builds a graph from a roads layer snapshot (LineString or
// MultiLineString features with properties oneway bool and speed_kmh
// float64). Roads meet where they share a vertex with identical
// coordinates.
func FromRoads(s *layers.Snapshot) (*Graph, error) {
	keys := map[orb.Point]int64{}
	key := func(p orb.Point) int64 {
		k, ok := keys[p]
		if !ok {
			k = int64(len(keys))
			keys[p] = k
		}
		return k
	}
	var ways []Way
	var bad error
	s.All(func(f *layers.Feature) bool {
		speed, _ := f.Properties["speed_kmh"].(float64)
		if speed <= 0 {
			class, _ := f.Properties["class"].(string)
			speed = ClassSpeed(class)
		}
		oneway, _ := f.Properties["oneway"].(bool)
		var lines []orb.LineString
		switch g := f.Geometry.(type) {
		case orb.LineString:
			lines = []orb.LineString{g}
		case orb.MultiLineString:
			lines = g
		default:
			bad = fmt.Errorf("network: road %d is a %s, not a line", f.ID, f.Geometry.GeoJSONType())
			return false
		}
		for _, ls := range lines {
			w := Way{ID: f.ID, Coords: ls, Forward: true, Backward: !oneway, SpeedKmh: speed, Keys: make([]int64, len(ls))}
			for i, p := range ls {
				w.Keys[i] = key(p)
			}
			ways = append(ways, w)
		}
		return true
	})
	if bad != nil {
		return nil, bad
	}
	return Build(ways, nil)
}
