package spatial

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"

	"github.com/onemap/onemap/layers"
)

func square(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// hierarchy builds a district over lon 114.0–114.1, lat 22.5–22.6 split into
// 2 streets (west/east), each into 2 communities (south/north), each into
// n×n grids.
func hierarchy(n int) *layers.Catalog {
	c := layers.NewCatalog()
	unit := func(id int64, code, parent string, g orb.MultiPolygon) layers.Feature {
		return layers.Feature{ID: id, Geometry: g, Properties: map[string]any{"code": code, "parent_code": parent, "name": code}}
	}
	c.Put(layers.Schema{Name: layers.Districts}, []layers.Feature{unit(1, "D", "", square(114, 22.5, 114.1, 22.6))})
	var streets, comms, grids []layers.Feature
	id := int64(1)
	for s := 0; s < 2; s++ {
		sx := 114 + 0.05*float64(s)
		sc := fmt.Sprintf("S%d", s)
		streets = append(streets, unit(int64(s+1), sc, "D", square(sx, 22.5, sx+0.05, 22.6)))
		for m := 0; m < 2; m++ {
			my := 22.5 + 0.05*float64(m)
			mc := fmt.Sprintf("%sC%d", sc, m)
			comms = append(comms, unit(int64(len(comms)+1), mc, sc, square(sx, my, sx+0.05, my+0.05)))
			step := 0.05 / float64(n)
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					x, y := sx+step*float64(i), my+step*float64(j)
					grids = append(grids, unit(id, fmt.Sprintf("%sG%d_%d", mc, i, j), mc, square(x, y, x+step, y+step)))
					id++
				}
			}
		}
	}
	c.Put(layers.Schema{Name: layers.Streets}, streets)
	c.Put(layers.Schema{Name: layers.Communities}, comms)
	c.Put(layers.Schema{Name: layers.Grids}, grids)
	return c
}

func TestLocate(t *testing.T) {
	c := hierarchy(4)
	ls := NewLocators(c)
	l, err := ls.Get()
	if err != nil {
		t.Fatal(err)
	}
	h, err := l.Locate(orb.Point{114.07, 22.51})
	if err != nil {
		t.Fatal(err)
	}
	// east street, south community, grid column 1 (0.0625..0.075 → i=1? step 0.0125: (0.07-0.05)/0.0125 = 1.6 → 1), row 0.
	if got := h.Grid.Properties["code"]; got != "S1C0G1_0" {
		t.Fatalf("grid %v", got)
	}
	if h.Community.Properties["code"] != "S1C0" || h.Street.Properties["code"] != "S1" || h.District.Properties["code"] != "D" {
		t.Fatalf("parents %v %v %v", h.Community.Properties["code"], h.Street.Properties["code"], h.District.Properties["code"])
	}
	if _, err := l.Locate(orb.Point{113.9, 22.5}); err != ErrOutside {
		t.Fatalf("outside: %v", err)
	}
	// A grid edit makes the locator stale and Get rebuilds it.
	if _, err := c.Apply("", layers.Grids, []layers.Change{{Op: layers.Delete, ID: 1}}); err != nil {
		t.Fatal(err)
	}
	l2, _ := ls.Get()
	if l2 == l {
		t.Fatal("locator not rebuilt after edit")
	}
	if same, _ := ls.Get(); same != l2 {
		t.Fatal("locator rebuilt without an edit")
	}
}

// TestNearestAgainstBruteForce compares with haversine distances over every
// feature.
func TestNearestAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var fs []layers.Feature
	for i := 0; i < 2000; i++ {
		fs = append(fs, layers.Feature{ID: int64(i), Geometry: orb.Point{114 + r.Float64()*0.1, 22.5 + r.Float64()*0.1}})
	}
	s := layers.NewSnapshot(1, fs)
	for q := 0; q < 200; q++ {
		p := orb.Point{114 + r.Float64()*0.1, 22.5 + r.Float64()*0.1}
		hits := Nearest(s, p, 5)
		d := make([]float64, len(fs))
		for i, f := range fs {
			d[i] = geo.DistanceHaversine(p, f.Geometry.(orb.Point))
		}
		for i, h := range hits {
			want := d[h.Feature.ID]
			if math.Abs(h.Distance-want) > 0.005*want+0.01 {
				t.Fatalf("distance %v want %v", h.Distance, want)
			}
			// Nothing closer was missed (with the projection's tolerance).
			closer := 0
			for _, x := range d {
				if x < want*0.995 {
					closer++
				}
			}
			if closer > i {
				t.Fatalf("query %d hit %d: %d features are closer", q, i, closer)
			}
		}
	}
	if Nearest(s, orb.Point{114, 22.5}, 0) != nil {
		t.Fatal("k=0 answered")
	}
}

func TestNearestPolygonInsideIsZero(t *testing.T) {
	c := hierarchy(2)
	l, _ := c.Layer(layers.Grids)
	h := Nearest(l.Snapshot(), orb.Point{114.001, 22.501}, 2)
	if h[0].Distance != 0 || h[1].Distance <= 0 || h[1].Distance > 5000 {
		t.Fatalf("hits %+v", h)
	}
}

func BenchmarkLocate(b *testing.B) {
	c := hierarchy(20) // 1,600 grids
	l, err := NewLocator(c)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	pts := make([]orb.Point, 4096)
	for i := range pts {
		pts[i] = orb.Point{114 + r.Float64()*0.1, 22.5 + r.Float64()*0.1}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := l.Locate(pts[i&4095]); err != nil {
			b.Fatal(err)
		}
	}
}
