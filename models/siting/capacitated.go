package siting

import (
	"context"
	"math"
	"slices"
	"sort"
	"time"
)

// capacitated solves the single-source capacitated p-median (Osman &
// Christofides 1994): each client's whole weight goes to one open site and
// no site serves more weight than its capacity. The search is heuristic:
// the uncapacitated optimum as a start, a greedy-by-size assignment
// improved by shifting clients, and site swaps evaluated by reassigning.
// Its bound is the uncapacitated p-median's bound, valid because
// capacities only restrict the problem; Optimal is true when they meet.
func (in *instance) capacitated(ctx context.Context, seed uint64) (Solution, error) {
	total := 0.0
	for _, x := range in.w {
		total += x
	}
	// Can any p sites hold everyone? The forced ones plus the largest others.
	var caps []float64
	room := 0.0
	for j := 0; j < in.m; j++ {
		if in.forced[j] {
			room += in.capacity[j]
		} else {
			caps = append(caps, in.capacity[j])
		}
	}
	slices.Sort(caps)
	slices.Reverse(caps)
	for _, c := range caps[:in.p-in.nForced] {
		room += c
	}
	if room < total {
		return Solution{}, errf("capacity", "the %d largest-capacity sites hold %v, less than the total weight %v", in.p, room, total)
	}
	// Half the time for the uncapacitated bound and start.
	deadline, ok := ctx.Deadline()
	sub := ctx
	if ok {
		var cancel context.CancelFunc
		sub, cancel = context.WithDeadline(ctx, time.Now().Add(time.Until(deadline)/2))
		defer cancel()
	}
	un := in.pmedian(sub, seed)
	bound := un.Bound
	open := slices.Clone(un.Chosen)
	for j := 0; j < in.m; j++ {
		if in.existing[j] {
			open = append(open, j)
		}
	}
	ca := &capAssign{in: in, order: make([]int, in.n), load: make([]float64, in.m)}
	for i := range ca.order {
		ca.order[i] = i
	}
	sort.SliceStable(ca.order, func(x, y int) bool { return in.w[ca.order[x]] > in.w[ca.order[y]] })
	// Small instances afford the pair exchanges in every evaluation.
	eval := func(open []int) ([]int, float64) {
		a, c := ca.assign(open)
		if in.n <= 300 && !math.IsInf(c, 1) {
			c = ca.polish(ctx, open, a, c)
		}
		return a, c
	}
	asg, cost := eval(open)
	if math.IsInf(cost, 1) {
		// The uncapacitated sites cannot hold everyone: start instead from
		// the forced sites plus the largest capacities.
		open = open[:0]
		for j := 0; j < in.m; j++ {
			if in.forced[j] {
				open = append(open, j)
			}
		}
		byCap := make([]int, 0, in.m)
		for j := 0; j < in.m; j++ {
			if !in.forced[j] {
				byCap = append(byCap, j)
			}
		}
		sort.SliceStable(byCap, func(x, y int) bool { return in.capacity[byCap[x]] > in.capacity[byCap[y]] })
		open = append(open, byCap[:in.p-in.nForced]...)
		asg, cost = eval(open)
	}
	// Site swaps: first improvement until none is left or most of the
	// remaining time is gone (the rest is the bound's).
	swapCtx := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		swapCtx, cancel = context.WithDeadline(ctx, time.Now().Add(time.Until(deadline)*3/4))
		defer cancel()
	}
	isOpen := make([]bool, in.m)
	for _, j := range open {
		isOpen[j] = true
	}
	for improved := true; improved && swapCtx.Err() == nil; {
		improved = false
		for k := 0; k < len(open) && swapCtx.Err() == nil; k++ {
			f := open[k]
			if in.forced[f] {
				continue
			}
			for j := 0; j < in.m; j++ {
				if isOpen[j] {
					continue
				}
				open[k] = j
				a, c := eval(open)
				if c < cost-1e-9*math.Max(1, cost) {
					asg, cost = a, c
					isOpen[f], isOpen[j] = false, true
					f = j
					improved = true
				} else {
					open[k] = f
				}
			}
		}
	}
	if math.IsInf(cost, 1) {
		return Solution{}, errf("capacity", "no assignment of clients to %d sites within their capacities was found", in.p)
	}
	cost = ca.polish(ctx, open, asg, cost)
	if !in.proves(bound, cost) {
		lambda := make([]float64, in.n)
		for i, j := range asg {
			lambda[i] = in.a[i*in.m+j]
		}
		bound = math.Max(bound, in.roundUp(in.knapsackBound(ctx, cost, lambda, 500)))
	}
	optimal := in.proves(bound, cost)
	if optimal {
		bound = cost
	}
	return Solution{Chosen: in.chosen(open), Objective: cost, Bound: math.Min(bound, cost), Assignment: asg, Optimal: optimal}, nil
}

// capAssign assigns clients to open sites within capacities.
type capAssign struct {
	in    *instance
	order []int // clients by decreasing weight
	load  []float64
}

// assign gives each client, largest first, its cheapest open site with
// room, then shifts clients to cheaper sites with room while that helps.
// The cost is +Inf when some client fits nowhere.
func (ca *capAssign) assign(open []int) ([]int, float64) {
	in := ca.in
	for _, j := range open {
		ca.load[j] = 0
	}
	asg := make([]int, in.n)
	cost := 0.0
	for _, i := range ca.order {
		row := in.a[i*in.m : (i+1)*in.m]
		best, bj := math.Inf(1), -1
		for _, j := range open {
			if ca.load[j]+in.w[i] <= in.capacity[j] && row[j] < best {
				best, bj = row[j], j
			}
		}
		if bj < 0 {
			return asg, math.Inf(1)
		}
		asg[i] = bj
		ca.load[bj] += in.w[i]
		cost += best
	}
	for moved := true; moved; {
		moved = false
		for i := 0; i < in.n; i++ {
			row := in.a[i*in.m : (i+1)*in.m]
			cur := asg[i]
			for _, j := range open {
				if row[j] < row[cur] && ca.load[j]+in.w[i] <= in.capacity[j] {
					cur = j
				}
			}
			if cur != asg[i] {
				ca.load[asg[i]] -= in.w[i]
				ca.load[cur] += in.w[i]
				cost += row[cur] - row[asg[i]]
				asg[i] = cur
				moved = true
			}
		}
	}
	return asg, cost
}

// polish improves a final assignment by exchanging pairs of clients
// between sites when both fit and the cost falls, and by shifting single
// clients, until neither helps (or ctx ends).
func (ca *capAssign) polish(ctx context.Context, open, asg []int, cost float64) float64 {
	in := ca.in
	for _, j := range open {
		ca.load[j] = 0
	}
	for i, j := range asg {
		ca.load[j] += in.w[i]
	}
	eps := 1e-12 * math.Max(1, cost)
	for improved := true; improved && ctx.Err() == nil; {
		improved = false
		for i := 0; i < in.n; i++ {
			ri := in.a[i*in.m : (i+1)*in.m]
			for _, j := range open {
				if j != asg[i] && ri[j] < ri[asg[i]]-eps && ca.load[j]+in.w[i] <= in.capacity[j] {
					ca.load[asg[i]] -= in.w[i]
					ca.load[j] += in.w[i]
					cost += ri[j] - ri[asg[i]]
					asg[i] = j
					improved = true
				}
			}
			for k := i + 1; k < in.n; k++ {
				a, b := asg[i], asg[k]
				if a == b {
					continue
				}
				rk := in.a[k*in.m : (k+1)*in.m]
				delta := ri[b] + rk[a] - ri[a] - rk[b]
				if delta >= -eps {
					continue
				}
				if ca.load[a]-in.w[i]+in.w[k] <= in.capacity[a] && ca.load[b]-in.w[k]+in.w[i] <= in.capacity[b] {
					ca.load[a] += in.w[k] - in.w[i]
					ca.load[b] += in.w[i] - in.w[k]
					asg[i], asg[k] = b, a
					cost += delta
					improved = true
				}
			}
		}
	}
	return cost
}

// knapsackBound is a Lagrangian lower bound for the capacitated p-median:
// relaxing the assignment constraints with multipliers λ leaves, per site,
// a 0-1 knapsack min Σ_i (a_ij − λ_i) x_ij s.t. Σ_i w_i x_ij ≤ Q_j, whose
// LP relaxation (solved greedily by ratio) still bounds it from below, and
// the choice of the p sites of least value. Subgradient steps on λ start
// from lambda and aim at ub.
func (in *instance) knapsackBound(ctx context.Context, ub float64, lambda []float64, iters int) float64 {
	type item struct {
		i      int
		profit float64
	}
	items := make([]item, 0, in.n)
	// knap returns site j's relaxed value and calls take for its fractions.
	knap := func(j int, take func(i int, f float64)) float64 {
		items = items[:0]
		col := in.at[j*in.n : (j+1)*in.n]
		for i, a := range col {
			if p := lambda[i] - a; p > 0 {
				items = append(items, item{i, p})
			}
		}
		// Zero-weight items first, then by profit per unit of weight.
		sort.Slice(items, func(x, y int) bool {
			a, b := items[x], items[y]
			wa, wb := in.w[a.i], in.w[b.i]
			return a.profit*wb > b.profit*wa
		})
		room := in.capacity[j]
		v := 0.0
		for _, it := range items {
			wi := in.w[it.i]
			f := 1.0
			if wi > room {
				if room <= 0 {
					break
				}
				f = room / wi
			}
			v -= f * it.profit
			room -= f * wi
			if take != nil {
				take(it.i, f)
			}
		}
		return v
	}
	rho := make([]float64, in.m)
	g := make([]float64, in.n)
	free := make([]int, 0, in.m)
	best := math.Inf(-1)
	bestLambda := slices.Clone(lambda)
	theta, stale := 2.0, 0
	for it := 0; it < iters && theta > 1e-4; it++ {
		if ctx.Err() != nil {
			break
		}
		L := 0.0
		for _, l := range lambda {
			L += l
		}
		free = free[:0]
		var sel []int
		for j := 0; j < in.m; j++ {
			rho[j] = knap(j, nil)
			if in.forced[j] {
				sel = append(sel, j)
				L += rho[j]
			} else {
				free = append(free, j)
			}
		}
		sort.Slice(free, func(x, y int) bool { return rho[free[x]] < rho[free[y]] })
		for _, j := range free[:in.p-len(sel)] {
			sel = append(sel, j)
			L += rho[j]
		}
		if L > best {
			best, stale = L, 0
			copy(bestLambda, lambda)
		} else if stale++; stale >= 20 {
			theta /= 2
			stale = 0
		}
		if in.proves(best, ub) {
			break
		}
		for i := range g {
			g[i] = 1
		}
		for _, j := range sel {
			knap(j, func(i int, f float64) { g[i] -= f })
		}
		norm := 0.0
		for _, x := range g {
			norm += x * x
		}
		if norm < 1e-12 {
			break
		}
		t := theta * math.Max(ub-L, 1e-6*math.Max(1, math.Abs(ub))) / norm
		for i, x := range g {
			lambda[i] += t * x
		}
	}
	copy(lambda, bestLambda)
	return best
}
