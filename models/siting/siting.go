// Package siting chooses where to build: p-median, capacitated p-median,
// the maximal covering location problem (MCLP), the location set covering
// problem (LSCP) and p-center, over a dense cost matrix whose rows are
// clients (demand points) and whose columns are candidate sites.
//
// Columns may be marked Required (must be chosen; they count toward P) or
// Existing (already built: they serve clients but neither count toward P
// nor appear in Chosen).
//
// The p-median solver is near-exact: a Lagrangian relaxation of the
// assignment constraints (Cornuéjols, Fisher & Nemhauser 1977; Beasley 1993)
// gives a lower bound by subgradient optimisation, the relaxed solutions
// seed a fast-interchange local search (Teitz & Bart 1968 in the
// Whitaker 1983 / Hansen & Mladenović 1997 form), and, when the bound and the
// best solution still differ, reduced-cost fixing and a depth-first
// branch-and-bound on Lagrangian bounds close the gap within the time limit.
// Optimal is true only when the bound proves it.
package siting

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/onemap/onemap/models/field"
)

// Model names a siting model.
type Model string

// The models.
const (
	PMedian            Model = "p-median"
	CapacitatedPMedian Model = "capacitated-p-median"
	MCLP               Model = "mclp"
	LSCP               Model = "lscp"
	PCenter            Model = "p-center"
)

// Models lists the known models.
func Models() []Model { return []Model{PMedian, CapacitatedPMedian, MCLP, LSCP, PCenter} }

// Problem is a siting instance.
type Problem struct {
	// Costs has a row per client and a column per candidate site; every
	// entry finite and ≥ 0 (use a large cost for unreachable pairs).
	Costs *mat.Dense
	// Weights is each client's demand (nil: all 1); finite and ≥ 0.
	Weights []float64
	// P is the number of sites to choose, Required included (not used by LSCP).
	P int
	// Required columns must be chosen; they count toward P.
	Required []int
	// Existing columns are already open: they serve clients, do not count
	// toward P and are not reported in Chosen.
	Existing []int
	// Radius is the coverage cost for MCLP and LSCP: a client is covered
	// by a site whose cost is ≤ Radius.
	Radius float64
	// Capacity is each column's capacity in units of Weights, for the
	// capacitated p-median.
	Capacity []float64
}

// Options bounds the work.
type Options struct {
	// TimeLimit caps the search (default 20 s); the best solution found
	// is returned when it runs out, with Optimal false unless proven.
	TimeLimit time.Duration
	// Seed makes the randomised parts reproducible.
	Seed uint64
}

// Solution is the answer.
type Solution struct {
	// Chosen are the chosen columns (Required included, Existing not), sorted.
	Chosen []int
	// Objective is the model's value: total weighted cost (p-median),
	// covered weight (MCLP), number of sites (LSCP), maximum cost (p-center).
	Objective float64
	// Bound is the proven bound on the optimum: a lower bound (≤ Objective)
	// for the minimising models, an upper bound (≥ Objective) for MCLP.
	Bound float64
	// Assignment gives each client's column: its nearest open site (its
	// capacity-feasible site for the capacitated model).
	Assignment []int
	// Covered reports, for MCLP and LSCP, whether each client is within Radius.
	Covered []bool
	// Optimal is true when the bound proves Objective optimal.
	Optimal bool
	// Seconds is the wall-clock time taken.
	Seconds float64
}

// Error is an input problem naming the field at fault.
type Error = field.Error

func errf(name, format string, args ...any) *Error { return field.Errorf(name, format, args...) }

// Solve runs the model on the problem.
func Solve(ctx context.Context, model Model, pr Problem, opt Options) (Solution, error) {
	start := time.Now()
	if opt.TimeLimit <= 0 {
		opt.TimeLimit = 20 * time.Second
	}
	in, err := prepare(model, pr)
	if err != nil {
		return Solution{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, opt.TimeLimit)
	defer cancel()
	var sol Solution
	switch model {
	case PMedian:
		sol = in.pmedian(ctx, opt.Seed)
	case CapacitatedPMedian:
		sol, err = in.capacitated(ctx, opt.Seed)
	case MCLP:
		sol = in.mclp(ctx, opt.Seed)
	case LSCP:
		sol, err = in.lscp(ctx, opt.Seed)
	case PCenter:
		sol = in.pcenter(ctx, opt.Seed)
	}
	if err != nil {
		return Solution{}, err
	}
	sol.Seconds = time.Since(start).Seconds()
	return sol, nil
}

// instance is a validated problem in the layout the solvers use.
type instance struct {
	n, m     int
	c        []float64 // raw costs, n×m row-major
	w        []float64 // client weights
	a        []float64 // weighted costs w_i·c_ij, n×m row-major
	at       []float64 // a transposed, m×n
	p        int       // total open sites: P + len(Existing)
	forced   []bool    // Required or Existing
	existing []bool
	nForced  int
	radius   float64
	capacity []float64
	integral bool      // every weighted cost is an integer: bounds round up
	ord      []int32   // each client's columns by increasing cost, n×m (lazy)
	sorted   []float64 // the weighted costs in that order, n×m (lazy)
}

// order returns, per client, the columns sorted by increasing weighted
// cost and those costs (computed on first use).
func (in *instance) order() ([]int32, []float64) {
	if in.ord == nil {
		ord := make([]int32, in.n*in.m)
		for i := 0; i < in.n; i++ {
			row := in.a[i*in.m : (i+1)*in.m]
			o := ord[i*in.m : (i+1)*in.m]
			for j := range o {
				o[j] = int32(j)
			}
			slices.SortFunc(o, func(x, y int32) int {
				if row[x] < row[y] {
					return -1
				}
				if row[x] > row[y] {
					return 1
				}
				return int(x - y)
			})
		}
		in.ord = ord
		in.sorted = make([]float64, len(ord))
		for k, j := range ord {
			in.sorted[k] = in.a[(k/in.m)*in.m+int(j)]
		}
	}
	return in.ord, in.sorted
}

func prepare(model Model, pr Problem) (*instance, error) {
	switch model {
	case PMedian, CapacitatedPMedian, MCLP, LSCP, PCenter:
	default:
		return nil, errf("model", "unknown model %q (p-median, capacitated-p-median, mclp, lscp, p-center)", model)
	}
	if pr.Costs == nil {
		return nil, errf("costs", "missing")
	}
	n, m := pr.Costs.Dims()
	if n == 0 || m == 0 {
		return nil, errf("costs", "empty matrix")
	}
	in := &instance{n: n, m: m, c: make([]float64, n*m), a: make([]float64, n*m), at: make([]float64, n*m),
		w: make([]float64, n), forced: make([]bool, m), existing: make([]bool, m), radius: pr.Radius, integral: true}
	if pr.Weights == nil {
		for i := range in.w {
			in.w[i] = 1
		}
	} else {
		if len(pr.Weights) != n {
			return nil, errf("weights", "%d weights for %d cost rows", len(pr.Weights), n)
		}
		for i, x := range pr.Weights {
			if !(x >= 0) || math.IsInf(x, 0) {
				return nil, errf(fmt.Sprintf("weights[%d]", i), "weight %v must be finite and ≥ 0", x)
			}
		}
		copy(in.w, pr.Weights)
	}
	for i := 0; i < n; i++ {
		row := pr.Costs.RawRowView(i)
		for j, x := range row {
			if !(x >= 0) || math.IsInf(x, 0) {
				return nil, errf(fmt.Sprintf("costs[%d][%d]", i, j), "cost %v must be finite and ≥ 0", x)
			}
			v := in.w[i] * x
			in.c[i*m+j] = x
			in.a[i*m+j] = v
			in.at[j*n+i] = v
			if v != math.Trunc(v) || v > 1<<52 {
				in.integral = false
			}
		}
	}
	mark := func(field string, cols []int, also []bool) error {
		for k, j := range cols {
			if j < 0 || j >= m {
				return errf(fmt.Sprintf("%s[%d]", field, k), "column %d outside 0..%d", j, m-1)
			}
			if in.forced[j] {
				return errf(fmt.Sprintf("%s[%d]", field, k), "column %d given twice", j)
			}
			in.forced[j] = true
			in.nForced++
			if also != nil {
				also[j] = true
			}
		}
		return nil
	}
	if err := mark("required", pr.Required, nil); err != nil {
		return nil, err
	}
	if err := mark("existing", pr.Existing, in.existing); err != nil {
		return nil, err
	}
	if model != LSCP {
		if pr.P < 1 {
			return nil, errf("p", "must be ≥ 1, got %d", pr.P)
		}
		if pr.P < len(pr.Required) {
			return nil, errf("p", "%d is fewer than the %d required sites", pr.P, len(pr.Required))
		}
		if pr.P+len(pr.Existing) > m {
			return nil, errf("p", "%d sites asked but only %d candidate columns (%d existing)", pr.P, m-len(pr.Existing), len(pr.Existing))
		}
	}
	in.p = pr.P + len(pr.Existing)
	if model == MCLP || model == LSCP {
		if !(pr.Radius >= 0) || math.IsInf(pr.Radius, 0) {
			return nil, errf("radius", "must be finite and ≥ 0, got %v", pr.Radius)
		}
	}
	if model == CapacitatedPMedian {
		if len(pr.Capacity) != m {
			return nil, errf("capacity", "%d capacities for %d candidate columns", len(pr.Capacity), m)
		}
		for j, x := range pr.Capacity {
			if !(x >= 0) || math.IsInf(x, 0) {
				return nil, errf(fmt.Sprintf("capacity[%d]", j), "capacity %v must be finite and ≥ 0", x)
			}
		}
		in.capacity = slices.Clone(pr.Capacity)
	}
	return in, nil
}

// chosen lists open columns that are not existing sites, sorted.
func (in *instance) chosen(open []int) []int {
	out := make([]int, 0, len(open))
	for _, j := range open {
		if !in.existing[j] {
			out = append(out, j)
		}
	}
	slices.Sort(out)
	return out
}

// nearest assigns each client to its cheapest open column and returns the
// weighted total.
func (in *instance) nearest(open []int) ([]int, float64) {
	asg := make([]int, in.n)
	total := 0.0
	for i := 0; i < in.n; i++ {
		row := in.a[i*in.m : (i+1)*in.m]
		best, bj := math.Inf(1), -1
		for _, j := range open {
			if row[j] < best || (row[j] == best && in.c[i*in.m+j] < in.c[i*in.m+bj]) {
				best, bj = row[j], j
			}
		}
		asg[i] = bj
		total += best
	}
	return asg, total
}

// roundUp tightens a lower bound when every cost is an integer.
func (in *instance) roundUp(lb float64) float64 {
	if in.integral {
		return math.Ceil(lb - 1e-6)
	}
	return lb
}

// proves reports whether the bound lb proves ub optimal.
func (in *instance) proves(lb, ub float64) bool {
	if in.integral {
		return in.roundUp(lb) >= ub
	}
	return lb >= ub-1e-9*math.Max(1, math.Abs(ub))
}
