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
	for e, c := range w {
		adj[e[0]] = append(adj[e[0]], arc{e[1], float64(c)})
		adj[e[1]] = append(adj[e[1]], arc{e[0], float64(c)})
	}
	costs := mat.NewDense(n, n, nil)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var q []arc
			for s := k; s < n; s += workers {
				q = dijkstra(adj, s, costs.RawRowView(s), q)
			}
		}()
	}
	wg.Wait()
	return ORLib{Name: name, N: n, P: p, Costs: costs}, nil
}

type arc struct {
	to   int
	cost float64
}

// dijkstra fills dist with the shortest-path costs from s (+Inf when
// unreachable), using q as its binary-heap scratch.
func dijkstra(adj [][]arc, s int, dist []float64, q []arc) []arc {
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	dist[s] = 0
	q = append(q[:0], arc{s, 0})
	for len(q) > 0 {
		top := q[0]
		last := len(q) - 1
		q[0] = q[last]
		q = q[:last]
		for k := 0; ; { // sift down
			c := 2*k + 1
			if c >= len(q) {
				break
			}
			if c+1 < len(q) && q[c+1].cost < q[c].cost {
				c++
			}
			if q[k].cost <= q[c].cost {
				break
			}
			q[k], q[c] = q[c], q[k]
			k = c
		}
		if top.cost > dist[top.to] {
			continue
		}
		for _, a := range adj[top.to] {
			d := top.cost + a.cost
			if d >= dist[a.to] {
				continue
			}
			dist[a.to] = d
			q = append(q, arc{a.to, d})
			for k := len(q) - 1; k > 0; { // sift up
				p := (k - 1) / 2
				if q[p].cost <= q[k].cost {
					break
				}
				q[p], q[k] = q[k], q[p]
				k = p
			}
		}
	}
	return q
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
// to w. limit caps each solve. It is `onemap bench siting`.
func BenchORLib(ctx context.Context, dir string, limit time.Duration, w io.Writer) ([]BenchRow, error) {
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
