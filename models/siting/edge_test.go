package siting

import (
	"context"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestEdgeCases: every site open, every site required, zero weights, one
// client, ties — all models answer without error and consistently.
func TestEdgeCases(t *testing.T) {
	c := mat.NewDense(3, 3, []float64{0, 5, 9, 5, 0, 4, 9, 4, 0})
	cases := []struct {
		name  string
		model Model
		pr    Problem
		obj   float64
	}{
		{"all open", PMedian, Problem{Costs: c, P: 3}, 0},
		{"all required", PMedian, Problem{Costs: c, P: 2, Required: []int{0, 2}}, 4},
		{"zero weights", PMedian, Problem{Costs: c, P: 1, Weights: []float64{0, 0, 0}}, 0},
		{"one client", PMedian, Problem{Costs: mat.NewDense(1, 3, []float64{3, 1, 2}), P: 1}, 1},
		{"ties", PMedian, Problem{Costs: mat.NewDense(2, 2, []float64{1, 1, 1, 1}), P: 1}, 2},
		{"mclp radius 0", MCLP, Problem{Costs: c, P: 1, Radius: 0}, 1},
		{"mclp all covered", MCLP, Problem{Costs: c, P: 3, Radius: 0}, 3},
		{"p-center all open", PCenter, Problem{Costs: c, P: 3}, 0},
		{"p-center one", PCenter, Problem{Costs: c, P: 1}, 5},
		{"lscp radius 9", LSCP, Problem{Costs: c, Radius: 9}, 1},
		{"lscp radius 0", LSCP, Problem{Costs: c, Radius: 0}, 3},
		{"lscp existing", LSCP, Problem{Costs: c, Radius: 5, Existing: []int{0}}, 1},
		{"capacitated all open", CapacitatedPMedian, Problem{Costs: c, P: 3, Capacity: []float64{1, 1, 1}}, 0},
	}
	for _, tc := range cases {
		s, err := Solve(context.Background(), tc.model, tc.pr, Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if s.Objective != tc.obj || !s.Optimal {
			t.Errorf("%s: objective %v (optimal %v, bound %v, chosen %v), want %v", tc.name, s.Objective, s.Optimal, s.Bound, s.Chosen, tc.obj)
		}
	}
}
