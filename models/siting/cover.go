package siting

import (
	"context"
	"math"
	"slices"
	"sort"
)

// coverer solves the maximal covering problem for k open sites at one
// radius: maximise the weight of clients within the radius of an open site
// (Church & ReVelle 1974). It keeps per client how many open sites cover it.
type coverer struct {
	in       *instance
	w        []float64 // client weights for this problem
	cov      [][]int   // per column: clients it covers
	k        int       // sites open in total (existing included)
	count    []int
	isOpen   []bool
	open     []int
	value    float64
	mark     []bool
	integral bool // every weight is an integer: bounds round down
	// target, when > 0, turns solve into a decision: can k sites cover
	// this much weight? The search stops once it is reached and prunes
	// what cannot reach it.
	target float64
	// noEnumerate skips trying every combination (tests use it to reach
	// the branch-and-bound on small instances).
	noEnumerate bool
}

func (in *instance) newCoverer(radius float64, w []float64, k int) *coverer {
	cv := &coverer{in: in, w: w, k: k, cov: make([][]int, in.m), count: make([]int, in.n),
		isOpen: make([]bool, in.m), mark: make([]bool, in.n), integral: true}
	for _, x := range w {
		if x != math.Trunc(x) {
			cv.integral = false
		}
	}
	for i := 0; i < in.n; i++ {
		for j, c := range in.c[i*in.m : (i+1)*in.m] {
			if c <= radius {
				cv.cov[j] = append(cv.cov[j], i)
			}
		}
	}
	return cv
}

func (cv *coverer) reset(open []int) {
	for i := range cv.count {
		cv.count[i] = 0
	}
	for j := range cv.isOpen {
		cv.isOpen[j] = false
	}
	cv.open = append(cv.open[:0], open...)
	cv.value = 0
	for _, j := range open {
		cv.isOpen[j] = true
		for _, i := range cv.cov[j] {
			if cv.count[i] == 0 {
				cv.value += cv.w[i]
			}
			cv.count[i]++
		}
	}
}

// gain is the weight j would newly cover.
func (cv *coverer) gain(j int) float64 {
	g := 0.0
	for _, i := range cv.cov[j] {
		if cv.count[i] == 0 {
			g += cv.w[i]
		}
	}
	return g
}

// greedy opens the forced columns, then the column adding most coverage.
func (cv *coverer) greedy() {
	var open []int
	for j := 0; j < cv.in.m; j++ {
		if cv.in.forced[j] {
			open = append(open, j)
		}
	}
	cv.reset(open)
	for len(cv.open) < cv.k {
		best, bj := -1.0, -1
		for j := 0; j < cv.in.m; j++ {
			if !cv.isOpen[j] {
				if g := cv.gain(j); g > best {
					best, bj = g, j
				}
			}
		}
		if bj < 0 {
			break
		}
		cv.add(bj)
	}
}

func (cv *coverer) add(j int) {
	cv.isOpen[j] = true
	cv.open = append(cv.open, j)
	for _, i := range cv.cov[j] {
		if cv.count[i] == 0 {
			cv.value += cv.w[i]
		}
		cv.count[i]++
	}
}

func (cv *coverer) remove(f int) {
	cv.isOpen[f] = false
	for k, x := range cv.open {
		if x == f {
			cv.open = slices.Delete(cv.open, k, k+1)
			break
		}
	}
	for _, i := range cv.cov[f] {
		cv.count[i]--
		if cv.count[i] == 0 {
			cv.value -= cv.w[i]
		}
	}
}

// descend applies improving swaps (open j, close f) until none is left.
func (cv *coverer) descend(ctx context.Context) {
	eps := 1e-9 * math.Max(1, cv.value)
	for improved := true; improved && ctx.Err() == nil; {
		improved = false
		for j := 0; j < cv.in.m; j++ {
			if cv.isOpen[j] {
				continue
			}
			g := 0.0
			for _, i := range cv.cov[j] {
				cv.mark[i] = true
				if cv.count[i] == 0 {
					g += cv.w[i]
				}
			}
			best, bf := math.Inf(1), -1
			for _, f := range cv.open {
				if cv.in.forced[f] {
					continue
				}
				loss := 0.0
				for _, i := range cv.cov[f] {
					if cv.count[i] == 1 && !cv.mark[i] {
						loss += cv.w[i]
					}
				}
				if loss < best {
					best, bf = loss, f
				}
			}
			for _, i := range cv.cov[j] {
				cv.mark[i] = false
			}
			if bf >= 0 && g-best > eps {
				cv.remove(bf)
				cv.add(j)
				improved = true
			}
		}
	}
}

// coverLR is the Lagrangian relaxation of the MCLP's coverage constraints
// z_i ≤ Σ_{j covers i} y_j with multipliers μ_i ≥ 0:
//
//	U(μ) = Σ_i max(0, w_i − μ_i) + max { Σ_j y_j Σ_{i ∈ cov(j)} μ_i : Σ y ≤ k, fixed y },
//
// an upper bound on the covered weight for every μ, minimised by
// subgradient steps.
type coverLR struct {
	cv    *coverer
	mu    []float64
	score []float64
	g     []float64
	free  []int
}

func (cv *coverer) newLR() *coverLR {
	lr := &coverLR{cv: cv, mu: make([]float64, cv.in.n), score: make([]float64, cv.in.m), g: make([]float64, cv.in.n)}
	for i := range lr.mu {
		lr.mu[i] = cv.w[i] / 2
	}
	return lr
}

// eval returns U(μ) and the selected columns (fixed open first), leaving
// the free columns sorted by decreasing score in lr.free and the
// subgradient of U in lr.g.
func (lr *coverLR) eval(fixOpen, fixClosed []bool) (float64, []int) {
	cv := lr.cv
	in := cv.in
	U := 0.0
	for i, x := range lr.mu {
		if cv.w[i] > x {
			U += cv.w[i] - x
			lr.g[i] = -1
		} else {
			lr.g[i] = 0
		}
	}
	var sel []int
	lr.free = lr.free[:0]
	for j := 0; j < in.m; j++ {
		if fixClosed[j] {
			continue
		}
		sc := 0.0
		for _, i := range cv.cov[j] {
			sc += lr.mu[i]
		}
		lr.score[j] = sc
		if fixOpen[j] {
			sel = append(sel, j)
			U += sc
		} else {
			lr.free = append(lr.free, j)
		}
	}
	slices.SortFunc(lr.free, func(a, b int) int {
		if lr.score[a] > lr.score[b] {
			return -1
		}
		if lr.score[a] < lr.score[b] {
			return 1
		}
		return a - b
	})
	for _, j := range lr.free[:max(0, min(cv.k-len(sel), len(lr.free)))] {
		sel = append(sel, j)
		U += lr.score[j]
	}
	for _, j := range sel {
		for _, i := range cv.cov[j] {
			lr.g[i]++
		}
	}
	return U, sel
}

// run takes subgradient steps and returns the least bound found (its
// multipliers left in lr.mu). lb is the best covered weight known.
func (lr *coverLR) run(ctx context.Context, fixOpen, fixClosed []bool, lb float64, iters, patience int, theta float64) float64 {
	best := math.Inf(1)
	bestMu := slices.Clone(lr.mu)
	stale := 0
	for it := 0; it < iters && theta > 1e-4; it++ {
		if it%32 == 0 && ctx.Err() != nil {
			break
		}
		U, _ := lr.eval(fixOpen, fixClosed)
		if U < best-1e-9*math.Max(1, U) {
			best, stale = U, 0
			copy(bestMu, lr.mu)
		} else if stale++; stale >= patience {
			theta /= 2
			stale = 0
		}
		if lr.cv.closes(best, lb) {
			break
		}
		norm := 0.0
		for i, x := range lr.g {
			// Projected: a zero multiplier cannot fall further.
			if lr.mu[i] == 0 && x > 0 {
				lr.g[i] = 0
				continue
			}
			norm += x * x
		}
		if norm == 0 {
			break
		}
		t := theta * math.Max(U-lb, 1e-6*math.Max(1, U)) / norm
		for i, x := range lr.g {
			lr.mu[i] = math.Max(0, lr.mu[i]-t*x)
		}
	}
	copy(lr.mu, bestMu)
	return best
}

// closes reports whether an upper bound u leaves nothing better than lb
// (rounding down when every weight is an integer).
func (cv *coverer) closes(u, lb float64) bool {
	if cv.integral {
		return math.Floor(u+1e-6) <= lb+1e-9
	}
	return u <= lb+1e-9*math.Max(1, lb)
}

// coverSearch is a depth-first branch-and-bound for the MCLP on the
// Lagrangian bound, with reduced-cost fixing at every node.
type coverSearch struct {
	cv    *coverer
	lr    *coverLR
	best  []int
	value float64
}

func (cs *coverSearch) branch(ctx context.Context, fixOpen, fixClosed []bool, depth int) bool {
	if ctx.Err() != nil {
		return false
	}
	cv := cs.cv
	cs.lr.run(ctx, fixOpen, fixClosed, cs.value, 60, 5, 1)
	if ctx.Err() != nil {
		return false
	}
	U, sel := cs.lr.eval(fixOpen, fixClosed)
	if cv.closes(U, cs.floor()) {
		return true
	}
	// The relaxed choice, improved, may beat the incumbent.
	cv.reset(sel)
	if depth < 4 {
		cv.descend(ctx)
	}
	if cv.value > cs.value+1e-12 {
		cs.value, cs.best = cv.value, slices.Clone(cv.open)
		if cs.reached() || cv.closes(U, cs.floor()) {
			return true
		}
	}
	fixOpen, fixClosed = slices.Clone(fixOpen), slices.Clone(fixClosed)
	nOpen := 0
	for _, j := range sel {
		if fixOpen[j] {
			nOpen++
		}
	}
	need := cv.k - nOpen
	free := cs.lr.free
	if need > 0 && need < len(free) {
		last, next := cs.lr.score[free[need-1]], cs.lr.score[free[need]]
		for k, j := range free {
			if k < need {
				if cv.closes(U-cs.lr.score[j]+next, cs.floor()) {
					fixOpen[j] = true
				}
			} else if cv.closes(U-last+cs.lr.score[j], cs.floor()) {
				fixClosed[j] = true
			}
		}
	}
	// Branch on the selected free column with the smallest score.
	bj, low := -1, math.Inf(1)
	for _, j := range sel {
		if !fixOpen[j] && cs.lr.score[j] < low {
			bj, low = j, cs.lr.score[j]
		}
	}
	if bj < 0 {
		return true // every selected column is fixed: the node is solved
	}
	saved := slices.Clone(cs.lr.mu)
	fixOpen[bj] = true
	done := cs.branch(ctx, fixOpen, fixClosed, depth+1)
	fixOpen[bj] = false
	if cs.reached() {
		return true
	}
	copy(cs.lr.mu, saved)
	fixClosed[bj] = true
	return cs.branch(ctx, fixOpen, fixClosed, depth+1) && done
}

// floor is the weight a node must be able to beat to be explored: the
// incumbent's, or, in decision mode, just under the target.
func (cs *coverSearch) floor() float64 {
	if t := cs.cv.target; t > 0 {
		below := t - 1e-9*math.Max(1, t)
		if cs.cv.integral {
			below = math.Ceil(t-1e-9) - 1
		}
		return math.Max(cs.value, below)
	}
	return cs.value
}

// reached reports a decision search whose target is met.
func (cs *coverSearch) reached() bool {
	t := cs.cv.target
	return t > 0 && cs.value >= t-1e-9*math.Max(1, t)
}

// enumerable reports whether choosing need of free columns is small enough
// to try every combination.
func enumerable(free, need int, work int) bool {
	c := 1.0
	for k := 0; k < need; k++ {
		c = c * float64(free-k) / float64(k+1)
		if c*float64(work) > 3e8 {
			return false
		}
	}
	return true
}

// combinations calls fn with every need-subset of cols (fn's slice is reused).
func combinations(ctx context.Context, cols []int, need int, fn func([]int)) bool {
	idx := make([]int, need)
	for k := range idx {
		idx[k] = k
	}
	pick := make([]int, need)
	for count := 0; ; count++ {
		if count%4096 == 0 && ctx.Err() != nil {
			return false
		}
		for k, x := range idx {
			pick[k] = cols[x]
		}
		fn(pick)
		k := need - 1
		for k >= 0 && idx[k] == len(cols)-need+k {
			k--
		}
		if k < 0 {
			return true
		}
		idx[k]++
		for l := k + 1; l < need; l++ {
			idx[l] = idx[l-1] + 1
		}
	}
}

// solveCover finds k sites maximising covered weight; proven is true when
// the result is optimal.
func (cv *coverer) solve(ctx context.Context) (open []int, value, bound float64, proven bool) {
	cv.greedy()
	cv.descend(ctx)
	total := 0.0
	for _, x := range cv.w {
		total += x
	}
	best := slices.Clone(cv.open)
	value = cv.value
	if value >= total-1e-9*math.Max(1, total) {
		return best, value, value, true
	}
	// Each bound iteration touches every coverage pair: cap the work.
	pairs := cv.in.n + cv.in.m
	for _, c := range cv.cov {
		pairs += len(c)
	}
	lr := cv.newLR()
	fixOpen, fixClosed := slices.Clone(cv.in.forced), make([]bool, cv.in.m)
	bound = lr.run(ctx, fixOpen, fixClosed, value, max(50, min(3000, int(3e8)/pairs)), 20, 2)
	if cv.integral {
		bound = math.Floor(bound + 1e-6)
	}
	if cv.closes(bound, value) {
		return best, value, value, true
	}
	var forced, free []int
	for j := 0; j < cv.in.m; j++ {
		if cv.in.forced[j] {
			forced = append(forced, j)
		} else if len(cv.cov[j]) > 0 {
			free = append(free, j)
		}
	}
	need := cv.k - len(forced)
	if need > len(free) {
		need = len(free)
	}
	if need > 0 && !cv.noEnumerate && enumerable(len(free), need, cv.in.n) {
		set := make([]int, 0, cv.k)
		done := combinations(ctx, free, need, func(pick []int) {
			set = append(append(set[:0], forced...), pick...)
			cv.reset(set)
			if cv.value > value+1e-12 {
				value = cv.value
				best = slices.Clone(set)
			}
		})
		if done {
			return best, value, value, true
		}
	}
	cs := &coverSearch{cv: cv, lr: lr, best: best, value: value}
	done := cs.branch(ctx, fixOpen, fixClosed, 0)
	if done {
		return cs.best, cs.value, cs.value, true
	}
	return cs.best, cs.value, math.Max(bound, cs.value), false
}

// pad fills open up to k columns (cheapest first) so that solutions that
// cover everything with fewer sites still report k.
func (in *instance) pad(open []int, k int) []int {
	isOpen := make([]bool, in.m)
	for _, j := range open {
		isOpen[j] = true
	}
	for j := 0; j < in.m && len(open) < k; j++ {
		if !isOpen[j] {
			open = append(open, j)
			isOpen[j] = true
		}
	}
	return open
}

func (in *instance) covered(open []int, radius float64) []bool {
	out := make([]bool, in.n)
	for i := range out {
		for _, j := range open {
			if in.c[i*in.m+j] <= radius {
				out[i] = true
				break
			}
		}
	}
	return out
}

// mclp solves the maximal covering location problem.
func (in *instance) mclp(ctx context.Context, _ uint64) Solution {
	cv := in.newCoverer(in.radius, in.w, in.p)
	open, value, bound, proven := cv.solve(ctx)
	open = in.pad(open, in.p)
	asg, _ := in.nearest(open)
	return Solution{Chosen: in.chosen(open), Objective: value, Bound: bound, Assignment: asg,
		Covered: in.covered(open, in.radius), Optimal: proven}
}

// unit is a weight of 1 per client: coverage problems count clients.
func (in *instance) unit() []float64 {
	w := make([]float64, in.n)
	for i := range w {
		w[i] = 1
	}
	return w
}

// lscp solves the location set covering problem (Toregas et al. 1971):
// the fewest sites (beyond Existing, Required included) that put every
// client of positive weight within Radius.
func (in *instance) lscp(ctx context.Context, _ uint64) (Solution, error) {
	w := make([]float64, in.n)
	for i := range w {
		if in.w[i] > 0 {
			w[i] = 1
		}
	}
	for i := 0; i < in.n; i++ {
		if w[i] == 0 {
			continue
		}
		ok := false
		for j := 0; j < in.m && !ok; j++ {
			ok = in.c[i*in.m+j] <= in.radius
		}
		if !ok {
			return Solution{}, errf("radius", "client %d has no candidate within %v", i, in.radius)
		}
	}
	nExisting := 0
	for _, e := range in.existing {
		if e {
			nExisting++
		}
	}
	// Greedy set cover gives a first answer.
	cv := in.newCoverer(in.radius, w, in.m)
	var open []int
	for j := 0; j < in.m; j++ {
		if in.forced[j] {
			open = append(open, j)
		}
	}
	cv.reset(open)
	total := 0.0
	for _, x := range w {
		total += x
	}
	for cv.value < total-0.5 {
		best, bj := -1.0, -1
		for j := 0; j < in.m; j++ {
			if !cv.isOpen[j] {
				if g := cv.gain(j); g > best {
					best, bj = g, j
				}
			}
		}
		cv.add(bj)
	}
	best := slices.Clone(cv.open)
	lower := in.nForced
	proven := false
	// Try one site fewer while full coverage stays possible.
	for k := len(best) - 1; k >= max(in.nForced, 1); k-- {
		if ctx.Err() != nil {
			break
		}
		sub := in.newCoverer(in.radius, w, k)
		sub.target = total
		open, value, bound, ok := sub.solve(ctx)
		if value >= total-0.5 {
			best = slices.Clone(open)
			continue
		}
		if ok || bound < total-0.5 {
			lower = k + 1
			proven = true
		}
		break
	}
	if len(best) == max(in.nForced, 1) {
		proven = true
	}
	if proven {
		lower = len(best)
	}
	asg, _ := in.nearest(best)
	sites := float64(len(best) - nExisting)
	return Solution{Chosen: in.chosen(best), Objective: sites, Bound: math.Min(float64(lower-nExisting), sites),
		Assignment: asg, Covered: in.covered(best, in.radius), Optimal: proven}, nil
}

// pcenter minimises the largest client-to-site cost (Hakimi 1965) by
// searching the sorted distinct costs for the smallest radius that p sites
// can cover completely, each test an MCLP.
func (in *instance) pcenter(ctx context.Context, seed uint64) Solution {
	w := in.unit()
	radii := slices.Clone(in.c)
	slices.Sort(radii)
	radii = slices.Compact(radii)
	// Every client needs at least its nearest candidate: a first bound.
	floor := 0.0
	for i := 0; i < in.n; i++ {
		floor = math.Max(floor, slices.Min(in.c[i*in.m:(i+1)*in.m]))
	}
	start := in.greedyCenter()
	_, ub := in.maxCost(start)
	best := start
	lo := sort.SearchFloat64s(radii, floor) // radii[lo] may be feasible
	hi := sort.SearchFloat64s(radii, ub)    // radii[hi] is feasible
	proven, provenLo := true, lo
	for lo < hi && ctx.Err() == nil {
		mid := (lo + hi) / 2
		cv := in.newCoverer(radii[mid], w, in.p)
		cv.target = float64(in.n)
		open, value, bound, ok := cv.solve(ctx)
		switch {
		case value >= float64(in.n)-0.5:
			best = in.pad(slices.Clone(open), in.p)
			hi = mid
		case ok || bound < float64(in.n)-0.5:
			lo = mid + 1
			provenLo = max(provenLo, lo) // every smaller radius fails too
		default:
			// Not proven either way: treat as infeasible and say so.
			proven = false
			lo = mid + 1
		}
	}
	if ctx.Err() != nil {
		proven = false
	}
	asg, obj := in.maxCost(best)
	bound := obj
	if !proven {
		bound = floor
		if provenLo < len(radii) {
			bound = math.Max(floor, radii[provenLo])
		}
	}
	return Solution{Chosen: in.chosen(best), Objective: obj, Bound: math.Min(bound, obj), Assignment: asg, Optimal: proven}
}

// maxCost assigns each client to its cheapest open site and returns the
// largest such cost.
func (in *instance) maxCost(open []int) ([]int, float64) {
	asg := make([]int, in.n)
	worst := 0.0
	for i := 0; i < in.n; i++ {
		best := math.Inf(1)
		for _, j := range open {
			if c := in.c[i*in.m+j]; c < best {
				best, asg[i] = c, j
			}
		}
		worst = math.Max(worst, best)
	}
	return asg, worst
}

// greedyCenter opens the forced sites, then repeatedly the site nearest to
// the worst-served client (a farthest-first start).
func (in *instance) greedyCenter() []int {
	var open []int
	for j := 0; j < in.m; j++ {
		if in.forced[j] {
			open = append(open, j)
		}
	}
	isOpen := make([]bool, in.m)
	for _, j := range open {
		isOpen[j] = true
	}
	for len(open) < in.p {
		worst, wi := -1.0, 0
		for i := 0; i < in.n; i++ {
			d := math.Inf(1)
			for _, j := range open {
				d = math.Min(d, in.c[i*in.m+j])
			}
			if d > worst {
				worst, wi = d, i
			}
		}
		bj, bc := -1, math.Inf(1)
		for j := 0; j < in.m; j++ {
			if !isOpen[j] && in.c[wi*in.m+j] < bc {
				bj, bc = j, in.c[wi*in.m+j]
			}
		}
		if bj < 0 {
			break
		}
		open = append(open, bj)
		isOpen[bj] = true
	}
	return open
}
