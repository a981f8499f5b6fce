package school

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/models/scenario"
)

func demoInput(t testing.TB) *Input {
	t.Helper()
	in, err := FromDistrict(demo.Generate(demo.Options{Seed: demo.DefaultSeed}), DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TestDemoBacktest: on the demo district's history the district-level
// MAPE is at most 2% one year ahead and 4% three years ahead.
func TestDemoBacktest(t *testing.T) {
	in := demoInput(t)
	bt, err := RunBacktest(in)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(bt)
	t.Logf("%s", js)
	if bt.District.MAPE1y > 2 || bt.District.MAPE3y > 4 {
		t.Errorf("district MAPE %.2f%% (1y), %.2f%% (3y); targets 2%% and 4%%", bt.District.MAPE1y, bt.District.MAPE3y)
	}
}

// TestDemoProjectionAndScenario: the demo projects 10 years to finite,
// non-negative figures, and 3,000 commodity dwellings completed two years
// after the base year in one grid raise its primary catchment's demand by
// exactly 3000 × the default yield (120, 240, 330, … from completion) and
// change no other primary catchment.
func TestDemoProjectionAndScenario(t *testing.T) {
	in := demoInput(t)
	grid := in.Grids[len(in.Grids)/3].Code
	var home string
	for _, c := range in.Catchments {
		for _, g := range c.Grids {
			if g == grid && c.Level == Primary {
				home = c.Code
			}
		}
	}
	done := in.Year + 2
	ch := []scenario.Change{change(OpAddHousing, Housing{Grid: grid, Dwellings: map[string]int{"commodity": 3000}, Completion: done})}
	b, a, err := RunPair(in, ch, Options{Years: 10})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(a); err != nil {
		t.Fatalf("result does not encode: %v", err)
	}
	yields := DefaultPolicy().Yields[Primary]["commodity"]
	for i, s := range a.Catchments {
		bs := b.Catchments[i]
		if s.Code != bs.Code {
			t.Fatal("catchment order differs")
		}
		for h, p := range s.Points {
			for _, v := range p.Grades {
				if v < 0 || v != v {
					t.Fatalf("%s %d: grade value %v", s.Code, p.Year, v)
				}
			}
			d := p.Demand - bs.Points[h].Demand
			want := 0.0
			if s.Code == home && p.Year >= done {
				want = 3000 * yields[min(p.Year-done, len(yields)-1)]
			}
			if s.Level == Primary && math.Abs(d-want) > 1e-6 {
				t.Errorf("%s %d: demand +%v, want +%v", s.Code, p.Year, d, want)
			}
		}
	}
}
