package access

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// The small case worked by hand below: two demand points (100 and 200
// people), two supplies (10 and 20 beds), costs
//
//	      s1  s2
//	d1     5  15
//	d2    25   8
//
// plus, where noted, a third demand point (50 people) 50 and 60 away.
var (
	handDemand = []float64{100, 200}
	handSupply = []float64{10, 20}
	handCosts  = mat.NewDense(2, 2, []float64{5, 15, 25, 8})
)

func TestHandComputed(t *testing.T) {
	steps, err := NewStep([]Break{{20, 0.5}, {10, 1}})
	if err != nil {
		t.Fatal(err)
	}
	grav, err := NewGravity(1, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		opt    Options
		scores []float64
		ratios []float64
	}{
		// 2SFCA, catchment 20: W = [[1 1] [0 1]]; V = [100, 300];
		// R = [10/100, 20/300]; A1 = 0.1 + 1/15, A2 = 1/15.
		{"2sfca", Options{Method: TwoStep, MaxCost: 20}, []float64{0.1 + 1.0/15, 1.0 / 15}, []float64{0.1, 1.0 / 15}},
		// E2SFCA, steps ≤10: 1, ≤20: 0.5: W = [[1 .5] [0 1]]; V = [100, 250];
		// R = [0.1, 0.08]; A1 = 0.1 + 0.5·0.08 = 0.14, A2 = 0.08.
		{"e2sfca", Options{Method: Enhanced, Weight: steps}, []float64{0.14, 0.08}, []float64{0.1, 0.08}},
		// 3SFCA, same steps: G row 1 = [2/3, 1/3], row 2 = [0, 1];
		// GW = [[2/3 1/6] [0 1]]; V = [200/3, 100/6 + 200]; R = [0.15, 20/(650/3)];
		// A1 = 2/3·0.15 + 1/6·R2, A2 = R2.
		{"3sfca", Options{Method: ThreeStep, Weight: steps},
			[]float64{0.1 + 60.0/650/6, 60.0 / 650}, []float64{0.15, 60.0 / 650}},
		// Gravity 1/c: W = [[1/5 1/15] [1/25 1/8]]; V1 = 20 + 8 = 28,
		// V2 = 100/15 + 25 = 95/3; R = [10/28, 60/95].
		{"gravity", Options{Method: GravityModel, Weight: grav},
			[]float64{0.2*10/28 + 60.0/95/15, 0.04*10/28 + 0.125*60/95}, []float64{10.0 / 28, 60.0 / 95}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Compute(handDemand, handSupply, handCosts, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !floats.EqualApprox(r.Scores, c.scores, 1e-12) {
				t.Errorf("scores %v, want %v", r.Scores, c.scores)
			}
			if !floats.EqualApprox(r.Ratios, c.ratios, 1e-12) {
				t.Errorf("ratios %v, want %v", r.Ratios, c.ratios)
			}
			if got := floats.Dot(handDemand, r.Scores); math.Abs(got-30) > 1e-9 || r.ReachedSupply != 30 {
				t.Errorf("Σ demand×score = %v, reached supply %v, want 30", got, r.ReachedSupply)
			}
		})
	}
}

func TestUnreachableDemandScoresZero(t *testing.T) {
	costs := mat.NewDense(3, 2, []float64{5, 15, 25, 8, 50, 60})
	for _, m := range Methods() {
		opt := Options{Method: m, MaxCost: 30}
		r, err := Compute([]float64{100, 200, 50}, handSupply, costs, opt)
		if err != nil {
			t.Fatal(m, err)
		}
		if r.Reachable[2] || r.Scores[2] != 0 {
			t.Errorf("%s: far point reachable=%v score=%v, want false, 0", m, r.Reachable[2], r.Scores[2])
		}
		if !r.Reachable[0] || !r.Reachable[1] {
			t.Errorf("%s: near points not reachable: %v", m, r.Reachable)
		}
	}
}

func TestNoDemandInReachLeavesSupplyOut(t *testing.T) {
	// Supply 2 is reached only by a demand point of zero people: its ratio
	// is 0 and it is not part of the reached supply.
	costs := mat.NewDense(2, 2, []float64{5, 100, 100, 5})
	r, err := Compute([]float64{10, 0}, []float64{3, 7}, costs, Options{Method: TwoStep, MaxCost: 10})
	if err != nil {
		t.Fatal(err)
	}
	if r.ReachedSupply != 3 || r.Ratios[1] != 0 || r.Scores[0] != 0.3 || r.Scores[1] != 0 || !r.Reachable[1] {
		t.Errorf("got %+v", r)
	}
}

// TestInvariant checks Σ demand × score = Σ reachable supply on random
// instances, computing the reachable supply independently of Compute.
func TestInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 50; trial++ {
		n, m := 1+rng.IntN(40), 1+rng.IntN(15)
		demand, supply := make([]float64, n), make([]float64, m)
		for i := range demand {
			if rng.IntN(5) > 0 {
				demand[i] = float64(rng.IntN(1000))
			}
		}
		for j := range supply {
			supply[j] = float64(rng.IntN(300))
		}
		costs := mat.NewDense(n, m, nil)
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				costs.Set(i, j, rng.Float64()*60)
			}
		}
		maxCost := 10 + rng.Float64()*30
		want := 0.0
		for j := 0; j < m; j++ {
			for i := 0; i < n; i++ {
				if demand[i] > 0 && costs.At(i, j) <= maxCost {
					want += supply[j]
					break
				}
			}
		}
		for _, method := range Methods() {
			var w Weight
			if method == GravityModel {
				w = Gaussian{Sigma: 15}
			}
			r, err := Compute(demand, supply, costs, Options{Method: method, MaxCost: maxCost, Weight: w})
			if err != nil {
				t.Fatal(err)
			}
			got := floats.Dot(demand, r.Scores)
			if method == TwoStep && math.Abs(got-want) > 1e-9*math.Max(1, want) {
				t.Fatalf("trial %d 2sfca: Σ D·A = %v, reachable supply %v", trial, got, want)
			}
			if math.Abs(got-r.ReachedSupply) > 1e-9*math.Max(1, got) {
				t.Fatalf("trial %d %s: Σ D·A = %v, reached %v", trial, method, got, r.ReachedSupply)
			}
			for i, s := range r.Scores {
				if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
					t.Fatalf("trial %d %s: score[%d] = %v", trial, method, i, s)
				}
			}
		}
	}
}

func TestWeights(t *testing.T) {
	s := LuoQi()
	for _, c := range []struct{ cost, want float64 }{{0, 1}, {10, 1}, {10.5, 0.68}, {20, 0.68}, {30, 0.22}, {30.01, 0}} {
		if got := s.At(c.cost); got != c.want {
			t.Errorf("step(%v) = %v, want %v", c.cost, got, c.want)
		}
	}
	if s.Reach() != 30 {
		t.Errorf("reach %v", s.Reach())
	}
	g, _ := NewGravity(2, -2, 0)
	if got := g.At(4); got != 0.25 {
		t.Errorf("gravity (4/2)^-2 = %v", got)
	}
	if got := g.At(0); got != 4 { // raised to min cost 1: (1/2)^-2
		t.Errorf("gravity at 0 = %v, want 4", got)
	}
	gs, _ := NewGaussian(10)
	if got := gs.At(10); math.Abs(got-math.Exp(-0.5)) > 1e-15 {
		t.Errorf("gaussian(σ) = %v", got)
	}
	if _, err := NewStep([]Break{{10, -1}}); err == nil {
		t.Error("negative step weight accepted")
	}
	if _, err := NewStep([]Break{{10, 1}, {10, 0.5}}); err == nil {
		t.Error("repeated step accepted")
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name           string
		demand, supply []float64
		costs          *mat.Dense
		opt            Options
		field          string
	}{
		{"negative cost", handDemand, handSupply, mat.NewDense(2, 2, []float64{1, -2, 3, 4}), Options{Method: TwoStep, MaxCost: 5}, "costs[0][1]"},
		{"NaN cost", handDemand, handSupply, mat.NewDense(2, 2, []float64{1, 2, math.NaN(), 4}), Options{Method: TwoStep, MaxCost: 5}, "costs[1][0]"},
		{"shape", handDemand, []float64{1, 2, 3}, handCosts, Options{Method: TwoStep, MaxCost: 5}, "costs"},
		{"negative demand", []float64{1, -1}, handSupply, handCosts, Options{Method: TwoStep, MaxCost: 5}, "demand[1]"},
		{"negative supply", handDemand, []float64{-1, 1}, handCosts, Options{Method: TwoStep, MaxCost: 5}, "supply[0]"},
		{"method", handDemand, handSupply, handCosts, Options{Method: "4sfca"}, "method"},
		{"no catchment", handDemand, handSupply, handCosts, Options{Method: TwoStep}, "max_cost"},
		{"empty", nil, handSupply, handCosts, Options{Method: TwoStep, MaxCost: 5}, "demand"},
	}
	for _, c := range cases {
		_, err := Compute(c.demand, c.supply, c.costs, c.opt)
		e, ok := err.(*Error)
		if !ok || e.Field != c.field {
			t.Errorf("%s: err %v, want field %s", c.name, err, c.field)
		}
	}
}

func TestLineMinutes(t *testing.T) {
	// 0.01° of latitude is about 1,112 m: 3.3 minutes at 20 km/h.
	c := LineMinutes([]orb.Point{{114, 22.5}}, []orb.Point{{114, 22.51}, {114, 22.5}}, 20)
	if got := c.At(0, 0); math.Abs(got-1111.95/20000*60) > 0.01 {
		t.Errorf("minutes %v", got)
	}
	if c.At(0, 1) != 0 {
		t.Errorf("same point %v", c.At(0, 1))
	}
}
