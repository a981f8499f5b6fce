package siting

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
)

// relax evaluates the Lagrangian relaxation of the p-median's assignment
// constraints Σ_j x_ij = 1 with multipliers λ_i:
//
//	L(λ) = Σ_i λ_i + min { Σ_j ρ_j y_j : Σ_j y_j = p, fixed y },  ρ_j = Σ_i min(0, a_ij − λ_i)
//
// Every L(λ) is a lower bound on the optimum; max_λ L(λ) equals the LP
// relaxation's value.
type relax struct {
	in          *instance
	lambda, rho []float64
	g           []float64
	free        []int
}

func newRelax(in *instance) *relax {
	return &relax{in: in, lambda: make([]float64, in.n), rho: make([]float64, in.m), g: make([]float64, in.n), free: make([]int, 0, in.m)}
}

// eval computes L(λ), the selected columns (fixed open ones first, then the
// cheapest free ones by ρ) and the free columns sorted by ρ. ok is false
// when the fixings leave no way to open exactly p columns.
func (r *relax) eval(fixOpen, fixClosed []bool, sel []int) (float64, []int, bool) {
	in := r.in
	L := 0.0
	for j := range r.rho {
		r.rho[j] = 0
	}
	// Only pairs with a_ij < λ_i contribute: walk each client's costs in
	// increasing order and stop at λ_i.
	ord, sorted := in.order()
	for i, l := range r.lambda {
		L += l
		o := ord[i*in.m : (i+1)*in.m]
		for k, a := range sorted[i*in.m : (i+1)*in.m] {
			if a >= l {
				break
			}
			r.rho[o[k]] += a - l
		}
	}
	sel = sel[:0]
	r.free = r.free[:0]
	for j := 0; j < in.m; j++ {
		if fixClosed[j] {
			continue
		}
		if fixOpen[j] {
			sel = append(sel, j)
			L += r.rho[j]
		} else {
			r.free = append(r.free, j)
		}
	}
	need := in.p - len(sel)
	if need < 0 || need > len(r.free) {
		return math.Inf(1), sel, false
	}
	slices.SortFunc(r.free, func(x, y int) int {
		if r.rho[x] < r.rho[y] {
			return -1
		}
		if r.rho[x] > r.rho[y] {
			return 1
		}
		return x - y
	})
	for _, j := range r.free[:need] {
		sel = append(sel, j)
		L += r.rho[j]
	}
	return L, sel, true
}

// subgradient returns g_i = 1 − |{j ∈ sel : a_ij < λ_i}| and ‖g‖². It
// walks the selected columns (p of them), cheaper than the clients' sorted
// prefixes when p is small and no dearer when it is large.
func (r *relax) subgradient(sel []int) float64 {
	in := r.in
	for i := range r.g {
		r.g[i] = 1
	}
	for _, j := range sel {
		col := in.at[j*in.n : (j+1)*in.n]
		for i, a := range col {
			if a < r.lambda[i] {
				r.g[i]--
			}
		}
	}
	norm := 0.0
	for _, x := range r.g {
		norm += x * x
	}
	return norm
}

// pmed is the state of one p-median solve.
type pmed struct {
	in    *instance
	sw    *swapper
	best  []int
	ub    float64
	keys  []uint64
	seen  map[uint64]bool
	rng   *rand.Rand
	nodes int
	iters int
}

// try runs the local search from open and keeps the result if it is the
// best so far. Starts already tried are skipped.
func (ps *pmed) try(ctx context.Context, open []int) {
	h := uint64(0)
	for _, j := range open {
		h ^= ps.keys[j]
	}
	if ps.seen[h] {
		return
	}
	ps.seen[h] = true
	ps.sw.reset(open)
	ps.sw.descend(ctx, nil)
	if ps.sw.obj < ps.ub-ps.sw.eps {
		ps.ub = ps.sw.obj
		ps.best = append(ps.best[:0], ps.sw.open...)
	}
}

// optimise runs subgradient steps on r.lambda with the given fixings and
// returns the best bound found (its multipliers left in r.lambda), or
// +Inf when the fixings are infeasible. Relaxed solutions seed the local
// search every tryEvery iterations when they change.
func (ps *pmed) optimise(ctx context.Context, r *relax, fixOpen, fixClosed []bool, iters, patience int, theta float64, tryEvery int) float64 {
	in := ps.in
	bestL := math.Inf(-1)
	bestLambda := slices.Clone(r.lambda)
	var sel []int
	stale := 0
	for it := 0; it < iters && theta > 1e-4; it++ {
		if it%16 == 0 && ctx.Err() != nil {
			break
		}
		L, s, ok := r.eval(fixOpen, fixClosed, sel)
		sel = s
		ps.iters++
		if !ok {
			return math.Inf(1)
		}
		if L > bestL+1e-9*math.Max(1, math.Abs(L)) {
			bestL = L
			copy(bestLambda, r.lambda)
			stale = 0
		} else if stale++; stale >= patience {
			theta /= 2
			stale = 0
		}
		if in.proves(bestL, ps.ub) {
			break
		}
		norm := r.subgradient(sel)
		if norm == 0 {
			// The relaxed solution is feasible, hence optimal under the fixings.
			ps.try(ctx, slices.Clone(sel))
			break
		}
		if tryEvery > 0 && it%tryEvery == 0 && (it < 200 || it%(5*tryEvery) == 0) {
			ps.try(ctx, slices.Clone(sel))
		}
		t := theta * (ps.ub - L) / norm
		if ps.ub-L <= 0 {
			t = theta * 1e-3 * math.Max(1, math.Abs(L)) / norm
		}
		for i, g := range r.g {
			r.lambda[i] += t * g
		}
	}
	copy(r.lambda, bestLambda)
	return bestL
}

// fix closes free columns whose opening alone would lift the bound to the
// incumbent, and opens those whose closing would (Lagrangian reduced-cost
// fixing). It expects r to hold the evaluation at the bound's multipliers.
func (ps *pmed) fix(r *relax, L float64, sel []int, fixOpen, fixClosed []bool) {
	in := ps.in
	nFixed := 0
	for _, j := range sel {
		if fixOpen[j] {
			nFixed++
		}
	}
	need := in.p - nFixed
	if need <= 0 || need >= len(r.free) {
		return
	}
	last, next := r.rho[r.free[need-1]], r.rho[r.free[need]]
	for k, j := range r.free {
		if k < need {
			if in.proves(L-r.rho[j]+next, ps.ub) {
				fixOpen[j] = true
			}
		} else if in.proves(L-last+r.rho[j], ps.ub) {
			fixClosed[j] = true
		}
	}
}

// branch is a depth-first branch-and-bound on Lagrangian bounds. It
// returns false when the time ran out before the subtree was closed.
func (ps *pmed) branch(ctx context.Context, r *relax, fixOpen, fixClosed []bool, depth int) bool {
	if ctx.Err() != nil {
		return false
	}
	ps.nodes++
	in := ps.in
	tryEvery := 0
	if depth < 2 {
		tryEvery = 20
	}
	L := ps.optimise(ctx, r, fixOpen, fixClosed, 60, 5, 2, tryEvery)
	if math.IsInf(L, 1) || in.proves(L, ps.ub) {
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	L, sel, ok := r.eval(fixOpen, fixClosed, nil)
	if !ok || in.proves(L, ps.ub) {
		return true
	}
	fixOpen, fixClosed = slices.Clone(fixOpen), slices.Clone(fixClosed)
	ps.fix(r, L, sel, fixOpen, fixClosed)
	if closed := count(fixClosed); closed >= in.m/2 && in.m-closed > in.p {
		// Enough columns are out for a smaller copy to pay.
		return ps.reduceAndBranch(ctx, r, fixOpen, fixClosed, depth)
	}
	// Branch on the selected free column with the largest ρ: the least
	// certain member of the relaxed solution (measured on pmed22–39 it
	// needs about as many nodes as the most valuable one, and fewer on the
	// hardest, pmed36).
	bj, worst := -1, math.Inf(-1)
	for _, j := range sel {
		if !fixOpen[j] && r.rho[j] > worst {
			bj, worst = j, r.rho[j]
		}
	}
	if bj < 0 {
		// Everything selected is fixed open; the rest may be free but the
		// count is met: the node's relaxed solution is its only one.
		ps.try(ctx, sel)
		return true
	}
	saved := slices.Clone(r.lambda)
	fixOpen[bj] = true
	done := ps.branch(ctx, r, fixOpen, fixClosed, depth+1)
	fixOpen[bj] = false
	copy(r.lambda, saved)
	fixClosed[bj] = true
	done = ps.branch(ctx, r, fixOpen, fixClosed, depth+1) && done
	fixClosed[bj] = false
	return done
}

// pmedian solves the (uncapacitated) p-median.
func (in *instance) pmedian(ctx context.Context, seed uint64) Solution {
	ps := &pmed{in: in, sw: newSwapper(in), ub: math.Inf(1), seen: map[uint64]bool{},
		rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), keys: make([]uint64, in.m)}
	for j := range ps.keys {
		ps.keys[j] = ps.rng.Uint64()
	}
	ps.try(ctx, in.greedy(nil))
	lb := math.Inf(-1)
	optimal := false
	if !in.proves(lb, ps.ub) {
		r := newRelax(in)
		// Start from each client's cost to its site in the incumbent.
		ps.sw.reset(ps.best)
		copy(r.lambda, ps.sw.d1)
		fixOpen, fixClosed := slices.Clone(in.forced), make([]bool, in.m)
		patience := max(20, min(30, in.n/20))
		lb = ps.optimise(ctx, r, fixOpen, fixClosed, 4000, patience, 2, 10)
		optimal = in.proves(lb, ps.ub)
		if !optimal && ctx.Err() == nil {
			optimal = ps.reduceAndBranch(ctx, r, fixOpen, fixClosed, 0)
		}
	}
	if optimal {
		lb = ps.ub
	}
	asg, obj := in.nearest(ps.best)
	return Solution{Chosen: in.chosen(ps.best), Objective: obj, Bound: math.Min(in.roundUp(lb), obj),
		Assignment: asg, Optimal: optimal}
}

// reduceAndBranch fixes columns by reduced costs at the root, drops the
// closed ones from the instance (every later bound is cheaper to compute on
// the smaller matrix) and runs the branch-and-bound there. A better
// solution found in the reduced instance replaces the incumbent.
func (ps *pmed) reduceAndBranch(ctx context.Context, r *relax, fixOpen, fixClosed []bool, depth int) bool {
	in := ps.in
	L, sel, ok := r.eval(fixOpen, fixClosed, nil)
	if !ok {
		return false
	}
	ps.fix(r, L, sel, fixOpen, fixClosed)
	var keep []int
	for j := 0; j < in.m; j++ {
		if !fixClosed[j] {
			keep = append(keep, j)
		}
	}
	if len(keep) > in.m*3/4 {
		return ps.branch(ctx, r, fixOpen, fixClosed, depth)
	}
	sub := in.restrict(keep)
	sp := &pmed{in: sub, sw: newSwapper(sub), ub: ps.ub, seen: map[uint64]bool{}, rng: ps.rng, keys: make([]uint64, sub.m)}
	for k, j := range keep {
		sp.keys[k] = ps.keys[j]
	}
	sr := newRelax(sub)
	copy(sr.lambda, r.lambda)
	subOpen := make([]bool, sub.m)
	for k, j := range keep {
		subOpen[k] = fixOpen[j]
	}
	done := sp.branch(ctx, sr, subOpen, make([]bool, sub.m), depth)
	ps.nodes += sp.nodes
	ps.iters += sp.iters
	if sp.best != nil && sp.ub < ps.ub {
		ps.ub = sp.ub
		ps.best = ps.best[:0]
		for _, k := range sp.best {
			ps.best = append(ps.best, keep[k])
		}
	}
	return done
}

// restrict returns the instance with only the given columns.
func (in *instance) restrict(keep []int) *instance {
	m := len(keep)
	out := &instance{n: in.n, m: m, c: make([]float64, in.n*m), w: in.w, a: make([]float64, in.n*m), at: make([]float64, in.n*m),
		p: in.p, forced: make([]bool, m), existing: make([]bool, m), radius: in.radius, integral: in.integral}
	if in.ord != nil {
		// Filter the parent's sorted order instead of sorting again.
		idx := make([]int32, in.m)
		for j := range idx {
			idx[j] = -1
		}
		for k, j := range keep {
			idx[j] = int32(k)
		}
		out.ord = make([]int32, 0, in.n*m)
		out.sorted = make([]float64, 0, in.n*m)
		for i := 0; i < in.n; i++ {
			for t, j := range in.ord[i*in.m : (i+1)*in.m] {
				if k := idx[j]; k >= 0 {
					out.ord = append(out.ord, k)
					out.sorted = append(out.sorted, in.sorted[i*in.m+t])
				}
			}
		}
	}
	for k, j := range keep {
		out.forced[k], out.existing[k] = in.forced[j], in.existing[j]
		if in.forced[j] {
			out.nForced++
		}
		for i := 0; i < in.n; i++ {
			v := in.a[i*in.m+j]
			out.c[i*m+k] = in.c[i*in.m+j]
			out.a[i*m+k] = v
			out.at[k*in.n+i] = v
		}
	}
	return out
}

func count(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}
