package siting

import (
	"context"
	"math"
)

// swapper is the fast-interchange local search (Whitaker 1983, as
// Hansen & Mladenović 1997 describe it) for the p-median: it keeps every
// client's closest and second-closest open site, so that the best site to
// close for a given site to open is found in O(n + p).
type swapper struct {
	in     *instance
	isOpen []bool
	open   []int
	c1, c2 []int
	d1, d2 []float64
	v      []float64 // per column: cost increase if it closes (scratch)
	obj    float64
	eps    float64
}

func newSwapper(in *instance) *swapper {
	return &swapper{in: in, isOpen: make([]bool, in.m), c1: make([]int, in.n), c2: make([]int, in.n),
		d1: make([]float64, in.n), d2: make([]float64, in.n), v: make([]float64, in.m)}
}

// reset opens exactly the columns in open and assigns every client.
func (s *swapper) reset(open []int) {
	for _, j := range s.open {
		s.isOpen[j] = false
	}
	s.open = append(s.open[:0], open...)
	for _, j := range open {
		s.isOpen[j] = true
	}
	s.obj = 0
	for i := 0; i < s.in.n; i++ {
		s.closest2(i)
		s.obj += s.d1[i]
	}
	s.eps = 1e-9 * math.Max(1, s.obj)
}

func (s *swapper) closest2(i int) {
	row := s.in.a[i*s.in.m : (i+1)*s.in.m]
	b1, b2 := math.Inf(1), math.Inf(1)
	j1, j2 := -1, -1
	for _, j := range s.open {
		d := row[j]
		if d < b1 {
			b2, j2 = b1, j1
			b1, j1 = d, j
		} else if d < b2 {
			b2, j2 = d, j
		}
	}
	s.c1[i], s.d1[i], s.c2[i], s.d2[i] = j1, b1, j2, b2
}

// eval returns the change in cost of opening j and closing the best
// removable site, and that site (-1 when none may close).
func (s *swapper) eval(j int) (float64, int) {
	in := s.in
	for _, f := range s.open {
		s.v[f] = 0
	}
	gain := 0.0
	col := in.at[j*in.n : (j+1)*in.n]
	d1, d2, c1, v := s.d1, s.d2, s.c1, s.v
	for i, d := range col {
		if d < d1[i] {
			gain += d1[i] - d
		} else {
			x := d2[i]
			if d < x {
				x = d
			}
			v[c1[i]] += x - d1[i]
		}
	}
	best, out := math.Inf(1), -1
	for _, f := range s.open {
		if !in.forced[f] && v[f] < best {
			best, out = v[f], f
		}
	}
	return best - gain, out
}

// swap opens j and closes f.
func (s *swapper) swap(j, f int) {
	s.isOpen[f] = false
	for k, x := range s.open {
		if x == f {
			s.open[k] = j
			break
		}
	}
	s.isOpen[j] = true
	in := s.in
	col := in.at[j*in.n : (j+1)*in.n]
	s.obj = 0
	for i, d := range col {
		if s.c1[i] == f || s.c2[i] == f {
			s.closest2(i)
		} else if d < s.d1[i] {
			s.c2[i], s.d2[i] = s.c1[i], s.d1[i]
			s.c1[i], s.d1[i] = j, d
		} else if d < s.d2[i] {
			s.c2[i], s.d2[i] = j, d
		}
		s.obj += s.d1[i]
	}
}

// descend applies improving swaps until none is left (or ctx ends), and
// returns the number of swaps made. allowed, when not nil, limits the
// columns that may open.
func (s *swapper) descend(ctx context.Context, allowed []bool) int {
	in := s.in
	moves, since, j := 0, 0, 0
	for since < in.m {
		if j == in.m {
			j = 0
			if ctx.Err() != nil {
				return moves
			}
		}
		if !s.isOpen[j] && (allowed == nil || allowed[j]) {
			if delta, f := s.eval(j); f >= 0 && delta < -s.eps {
				s.swap(j, f)
				moves++
				since = 0
			}
		}
		j++
		since++
	}
	return moves
}

// greedy adds, to the forced columns, the column that saves most until p
// are open (Kuehn & Hamburger 1963).
func (in *instance) greedy(allowed []bool) []int {
	open := make([]int, 0, in.p)
	d1 := make([]float64, in.n)
	for i := range d1 {
		d1[i] = math.Inf(1)
	}
	isOpen := make([]bool, in.m)
	add := func(j int) {
		open = append(open, j)
		isOpen[j] = true
		col := in.at[j*in.n : (j+1)*in.n]
		for i, d := range col {
			if d < d1[i] {
				d1[i] = d
			}
		}
	}
	for j := 0; j < in.m; j++ {
		if in.forced[j] {
			add(j)
		}
	}
	for len(open) < in.p {
		best, bj := math.Inf(-1), -1
		for j := 0; j < in.m; j++ {
			if isOpen[j] || (allowed != nil && !allowed[j]) {
				continue
			}
			col := in.at[j*in.n : (j+1)*in.n]
			save := 0.0
			if len(open) == 0 {
				for _, d := range col {
					save -= d
				}
			} else {
				for i, d := range col {
					if d < d1[i] {
						save += d1[i] - d
					}
				}
			}
			if save > best {
				best, bj = save, j
			}
		}
		if bj < 0 {
			break
		}
		add(bj)
	}
	return open
}
