package web

import (
	"context"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/tiles"
)

// TestWarmBounds: warm-up covers the real bounds of the non-empty layers
// (an empty layer's zero bounds would stretch them to 0°,0° and render
// hundreds of thousands of tiles) and stops at WarmCap.
func TestWarmBounds(t *testing.T) {
	for _, c := range []struct {
		name     string
		features []layers.Feature
		min, max int
	}{
		{"no features", nil, 0, 0},
		{"one point", []layers.Feature{{ID: 1, Geometry: orb.Point{9.52, 47.14}}}, 4, 4},
		{"the world", []layers.Feature{{ID: 1, Geometry: orb.Point{-170, -80}}, {ID: 2, Geometry: orb.Point{170, 80}}}, 0, WarmCap},
	} {
		t.Run(c.name, func(t *testing.T) {
			cat := layers.NewCatalog()
			cat.Put(layers.Schema{Name: "empty", Geometry: layers.Polygon, MaxZoom: 18}, nil)
			cat.Put(layers.Schema{Name: "points", Geometry: layers.Point, MaxZoom: 18}, c.features)
			cat.Put(layers.Schema{Name: layers.Districts, Geometry: layers.MultiPolygon, MaxZoom: 18}, nil)
			a := NewTiles(cat, tiles.NewCache(16<<20, tiles.DefaultOptions()))
			n, err := a.Warm(context.Background(), []string{"empty", "points", layers.Districts}, 10, 13)
			if err != nil {
				t.Fatal(err)
			}
			if n < c.min || n > c.max {
				t.Errorf("warmed %d tiles, want %d–%d", n, c.min, c.max)
			}
		})
	}
}
