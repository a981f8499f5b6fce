package web

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
)

// TestAppendFeatureEqualsOrb checks the hand-written GeoJSON decodes to
// what orb's encoder writes, for every geometry type of the demo district
// and awkward strings.
func TestAppendFeatureEqualsOrb(t *testing.T) {
	c := layers.NewCatalog()
	if err := demo.Generate(demo.Options{Seed: demo.DefaultSeed}).Put(c, layers.OwnerDemo); err != nil {
		t.Fatal(err)
	}
	var fs []*layers.Feature
	for _, l := range c.Layers() {
		snap := l.Snapshot()
		for i := 0; i < min(20, snap.Len()); i++ {
			fs = append(fs, snap.At(i))
		}
	}
	fs = append(fs, &layers.Feature{ID: 7, Geometry: orb.Collection{orb.Point{1e-9, 2e22}, orb.LineString{{1, 2}, {3, 4}}},
		Properties: map[string]any{"s": "a\"b\\c\n\t\x01<&>街", "b": true, "n": nil, "f": 1.5, "i": int64(-3), "l": []string{"x"}}})
	for _, f := range fs {
		want, err := GeoJSON(f).MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		got := appendFeature(nil, f.ID, f.Geometry, f.Properties)
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("%d: invalid JSON %v: %s", f.ID, err, got)
		}
		_ = json.Unmarshal(want, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("%d:\n got %s\nwant %s", f.ID, got, want)
		}
	}
}
