package siting

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/onemap/onemap/internal/refdata"
)

func benchInstance(b *testing.B, name string) ORLib {
	f, err := os.Open(filepath.Join(refdata.Path(b, "orlib-pmed"), name+".txt"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	inst, err := ReadORLib(name, f)
	if err != nil {
		b.Fatal(err)
	}
	return inst
}

// BenchmarkPMedian solves OR-Library instances to proven optimality.
func BenchmarkPMedian(b *testing.B) {
	for _, name := range []string{"pmed10", "pmed25", "pmed40"} {
		inst := benchInstance(b, name)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				s, err := Solve(context.Background(), PMedian, Problem{Costs: inst.Costs, P: inst.P}, Options{TimeLimit: time.Minute})
				if err != nil || !s.Optimal {
					b.Fatalf("%v optimal %v", err, s.Optimal)
				}
			}
		})
	}
}

// BenchmarkORLibPaths times the all-pairs shortest paths of pmed40
// (900 vertices, 16,200 edges).
func BenchmarkORLibPaths(b *testing.B) {
	path := filepath.Join(refdata.Path(b, "orlib-pmed"), "pmed40.txt")
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ReadORLib("pmed40", f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkSanFrancisco solves spopt's case (205 × 16, p = 4).
func BenchmarkSanFrancisco(b *testing.B) {
	sf, err := ReadSF(refdata.Path(b, "spopt-sf"))
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []Model{PMedian, MCLP, PCenter} {
		b.Run(string(m), func(b *testing.B) {
			for b.Loop() {
				if _, err := Solve(context.Background(), m, Problem{Costs: sf.Costs, Weights: sf.Weights, P: 4, Radius: 5000}, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
