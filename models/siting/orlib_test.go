package siting

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/graph/path"
	"gonum.org/v1/gonum/graph/simple"

	"github.com/onemap/onemap/internal/refdata"
)

// TestORLib solves all forty OR-Library p-median instances and checks the
// acceptance: within 0.5% of the proven optimum on every instance, equal
// on at least 30, and bounds that never exceed the optimum.
func TestORLib(t *testing.T) {
	dir := refdata.Path(t, "orlib-pmed")
	var out strings.Builder
	// A wider budget than the bench's 45 s: CI runs packages side by side.
	rows, err := BenchORLibWithin(context.Background(), dir, 90*time.Second, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	equal := 0
	for _, r := range rows {
		if r.Gap > 0.005 || r.Gap < 0 {
			t.Errorf("%s: objective %v vs optimum %v (gap %.3f%%)", r.Instance, r.Objective, r.Optimum, 100*r.Gap)
		}
		if r.LowerBound > r.Optimum {
			t.Errorf("%s: lower bound %v above the optimum %v", r.Instance, r.LowerBound, r.Optimum)
		}
		if r.Optimal && r.Objective != r.Optimum {
			t.Errorf("%s: claims optimal %v, optimum is %v", r.Instance, r.Objective, r.Optimum)
		}
		if r.Objective == r.Optimum {
			equal++
		}
	}
	if equal < 30 {
		t.Errorf("equal to the optimum on %d of 40, want ≥ 30", equal)
	}
}

// TestORLibPaths checks the bucket-queue shortest paths against gonum's
// Floyd–Warshall on a random multigraph in OR-Library form (repeated edges,
// the last cost winning, zero costs included).
func TestORLibPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	n, m := 60, 150
	var b strings.Builder
	fmt.Fprintf(&b, "%d %d %d\n", n, m, 3)
	g := simple.NewWeightedUndirectedGraph(0, math.Inf(1))
	for i := 0; i < n; i++ {
		g.AddNode(simple.Node(i))
	}
	last := map[[2]int]int{}
	for e := 0; e < m; e++ {
		i, j := rng.IntN(n), rng.IntN(n)
		if i == j {
			j = (i + 1) % n
		}
		c := rng.IntN(30)
		fmt.Fprintf(&b, "%d %d %d\n", i+1, j+1, c)
		last[[2]int{min(i, j), max(i, j)}] = c
	}
	for e, c := range last {
		g.SetWeightedEdge(g.NewWeightedEdge(simple.Node(e[0]), simple.Node(e[1]), float64(c)))
	}
	inst, err := ReadORLib("random", strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	ref, ok := path.FloydWarshall(g)
	if !ok {
		t.Fatal("negative cycle")
	}
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			want := ref.Weight(int64(i), int64(j))
			if got := inst.Costs.At(i, j); got != want {
				t.Fatalf("%d→%d: %v, Floyd–Warshall %v", i, j, got, want)
			}
		}
	}
}
