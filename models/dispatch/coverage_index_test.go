package dispatch

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// The circle index finds, for any point, every circle that holds it: the
// same answer as testing all circles.
func TestCircleIndexFindsEveryCircle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var cs []Circle
	for range 300 {
		cx, cy := r.Float64()*10, r.Float64()*5
		w, h := 0.05+r.Float64()*0.6, 0.05+r.Float64()*0.6
		poly := orb.Polygon{{{cx - w, cy - h}, {cx + w, cy - h}, {cx + w*0.2, cy + h}, {cx - w, cy - h}}}
		cs = append(cs, Circle{poly: newBandPolygon(poly)})
	}
	cs = append(cs, Circle{}) // a station without a circle
	idx := newCircleIndex(cs)
	for range 20000 {
		p := orb.Point{-1 + r.Float64()*12, -1 + r.Float64()*7}
		want := map[int32]bool{}
		for i := range cs {
			if cs[i].poly.contains(p) {
				want[int32(i)] = true
			}
		}
		got := 0
		for _, i := range idx.at(p) {
			if cs[i].poly.contains(p) {
				if !want[i] {
					t.Fatalf("%v: circle %d found twice or wrongly", p, i)
				}
				got++
			}
		}
		if got != len(want) {
			t.Fatalf("%v: index finds %d of the %d circles holding it", p, got, len(want))
		}
	}
	if len(newCircleIndex(nil).at(orb.Point{1, 1})) != 0 {
		t.Fatal("an empty index holds circles")
	}
}
