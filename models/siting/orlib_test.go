package siting

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sharedData finds ../shared/data beside the repository root (the folder
// holding go.mod), or skips the test.
func sharedData(t testing.TB, sub string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("no go.mod above the test directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "data", sub)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference data %s absent (%v): skipping", p, err)
	}
	return p
}

// TestORLib solves all forty OR-Library p-median instances and checks the
// acceptance: within 0.5% of the proven optimum on every instance, equal
// on at least 30, and bounds that never exceed the optimum.
func TestORLib(t *testing.T) {
	dir := sharedData(t, "orlib-pmed")
	var out strings.Builder
	rows, err := BenchORLib(context.Background(), dir, 3*time.Second, &out)
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
