package siting

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"
)

// ORLib is one of Beasley's OR-Library p-median instances (pmed1–pmed40):
// every vertex of an undirected graph is a client of weight 1 and a
// candidate site; costs are shortest-path lengths.
type ORLib struct {
	Name  string
	N, P  int
	Costs *mat.Dense // N×N all-pairs shortest paths
}

// ReadORLib parses the OR-Library format (first line "n m p", then m lines
// "i j cost"; a repeated edge takes its last cost) and computes all-pairs
// shortest paths with a Dijkstra search from every vertex.
func ReadORLib(name string, r io.Reader) (ORLib, error) {
	sc := bufio.NewScanner(r)
	sc.Split(bufio.ScanWords)
	next := func() (int, error) {
		if !sc.Scan() {
			if err := sc.Err(); err != nil {
				return 0, err
			}
			return 0, io.ErrUnexpectedEOF
		}
		return strconv.Atoi(sc.Text())
	}
	var hdr [3]int
	for k := range hdr {
		v, err := next()
		if err != nil {
			return ORLib{}, fmt.Errorf("%s: header: %w", name, err)
		}
		hdr[k] = v
	}
	n, m, p := hdr[0], hdr[1], hdr[2]
	if n <= 0 || m < 0 || p <= 0 || p > n {
		return ORLib{}, fmt.Errorf("%s: bad header %d %d %d", name, n, m, p)
	}
	w := make(map[[2]int]int, m)
	for e := 0; e < m; e++ {
		var t [3]int
		for k := range t {
			v, err := next()
			if err != nil {
				return ORLib{}, fmt.Errorf("%s: edge %d: %w", name, e+1, err)
			}
			t[k] = v
		}
		i, j := t[0]-1, t[1]-1
		if i < 0 || j < 0 || i >= n || j >= n || t[2] < 0 {
			return ORLib{}, fmt.Errorf("%s: edge %d: bad %v", name, e+1, t)
		}
		if i > j {
			i, j = j, i
		}
		w[[2]int{i, j}] = t[2]
	}
	adj := make([][]arc, n)
	maxCost := 0
	for e, c := range w {
		adj[e[0]] = append(adj[e[0]], arc{int32(e[1]), int32(c)})
		adj[e[1]] = append(adj[e[1]], arc{int32(e[0]), int32(c)})
		maxCost = max(maxCost, c)
	}
	costs := mat.NewDense(n, n, nil)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := make([]int, n)
			buckets := make([][]int32, maxCost+1)
			for s := k; s < n; s += workers {
				dial(adj, s, d, buckets)
				row := costs.RawRowView(s)
				for v, x := range d {
					if x < 0 {
						row[v] = math.Inf(1)
					} else {
						row[v] = float64(x)
					}
				}
			}
		}()
	}
	wg.Wait()
	return ORLib{Name: name, N: n, P: p, Costs: costs}, nil
}

type arc struct{ to, cost int32 }

// dial fills d with the shortest-path costs from s (−1 when unreachable)
// with Dial's bucket queue: costs are small integers, so a circular array
// of maxCost+1 buckets replaces the heap.
func dial(adj [][]arc, s int, d []int, buckets [][]int32) {
	for i := range d {
		d[i] = -1
	}
	for i := range buckets {
		buckets[i] = buckets[i][:0]
	}
	nb := len(buckets)
	d[s] = 0
	buckets[0] = append(buckets[0], int32(s))
	pending := 1
	for cur := 0; pending > 0; cur++ {
		b := cur % nb
		for k := 0; k < len(buckets[b]); k++ {
			u := buckets[b][k]
			pending--
			if d[u] != cur {
				continue // a stale entry: u was reached more cheaply
			}
			for _, a := range adj[u] {
				nd := cur + int(a.cost)
				if d[a.to] < 0 || nd < d[a.to] {
					d[a.to] = nd
					buckets[nd%nb] = append(buckets[nd%nb], a.to)
					pending++
				}
			}
		}
		buckets[b] = buckets[b][:0]
	}
}

// ReadORLibOptima reads pmedopt.txt: "pmedN value" lines after a header.
func ReadORLibOptima(path string) (map[string]float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 || !strings.HasPrefix(f[0], "pmed") {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", path, line, err)
		}
		out[f[0]] = v
	}
	return out, nil
}

// BenchRow is one line of the OR-Library benchmark.
type BenchRow struct {
	Instance   string
	N, P       int
	Optimum    float64
	Objective  float64
	Gap        float64 // (ours − optimum) / optimum
	LowerBound float64
	Optimal    bool
	Seconds    float64 // solve time, shortest paths excluded
	Paths      float64 // all-pairs shortest-path time
}

// BenchORLib solves pmed1–pmed40 found in dir (with pmedopt.txt) and
// writes a table of instance, optimum, ours, gap, lower bound and seconds
// to w; limit caps each solve.
func BenchORLib(ctx context.Context, dir string, limit time.Duration, w io.Writer) ([]BenchRow, error) {
	return benchORLib(ctx, dir, func(time.Duration, int) time.Duration { return limit }, w)
}

// BenchORLibWithin is BenchORLib under a total budget (shortest paths
// included): each instance may use an equal share of what is left (at
// least a second), so the time the easy ones do not need goes to the
// proofs of the hard ones.
func BenchORLibWithin(ctx context.Context, dir string, budget time.Duration, w io.Writer) ([]BenchRow, error) {
	return benchORLib(ctx, dir, func(spent time.Duration, left int) time.Duration {
		return max(time.Second, (budget-spent)/time.Duration(left))
	}, w)
}

func benchORLib(ctx context.Context, dir string, limitFor func(spent time.Duration, left int) time.Duration, w io.Writer) ([]BenchRow, error) {
	opt, err := ReadORLibOptima(filepath.Join(dir, "pmedopt.txt"))
	if err != nil {
		return nil, fmt.Errorf("siting: optima: %w", err)
	}
	var rows []BenchRow
	fmt.Fprintf(w, "%-8s %4s %4s %8s %8s %7s %8s %7s %7s %7s\n", "instance", "n", "p", "optimum", "ours", "gap%", "bound", "proven", "solve_s", "paths_s")
	var total, paths float64
	equal := 0
	for k := 1; k <= 40; k++ {
		name := fmt.Sprintf("pmed%d", k)
		f, err := os.Open(filepath.Join(dir, name+".txt"))
		if err != nil {
			return rows, fmt.Errorf("siting: %w", err)
		}
		t0 := time.Now()
		inst, err := ReadORLib(name, f)
		f.Close()
		if err != nil {
			return rows, fmt.Errorf("siting: %w", err)
		}
		tp := time.Since(t0).Seconds()
		limit := limitFor(time.Duration(total*float64(time.Second)), 41-k)
		sol, err := Solve(ctx, PMedian, Problem{Costs: inst.Costs, P: inst.P}, Options{TimeLimit: limit})
		if err != nil {
			return rows, fmt.Errorf("siting: %s: %w", name, err)
		}
		row := BenchRow{Instance: name, N: inst.N, P: inst.P, Optimum: opt[name], Objective: sol.Objective,
			LowerBound: sol.Bound, Optimal: sol.Optimal, Seconds: sol.Seconds, Paths: tp}
		if row.Optimum > 0 {
			row.Gap = (row.Objective - row.Optimum) / row.Optimum
		}
		if row.Objective == row.Optimum {
			equal++
		}
		total += sol.Seconds + tp
		paths += tp
		rows = append(rows, row)
		fmt.Fprintf(w, "%-8s %4d %4d %8.0f %8.0f %7.3f %8.0f %7v %7.2f %7.2f\n", name, row.N, row.P, row.Optimum, row.Objective,
			100*row.Gap, row.LowerBound, row.Optimal, row.Seconds, row.Paths)
	}
	fmt.Fprintf(w, "equal to the optimum on %d of 40; total %.1f s (shortest paths %.1f s)\n", equal, total, paths)
	return rows, nil
}
