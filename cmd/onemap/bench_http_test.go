package main

import (
	"context"
	"strings"
	"testing"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers/postgis"
)

// TestBenchHTTP runs `onemap bench http` small over the demo in PostGIS,
// onemap alone (no pg_tileserv in the test environment) with the built-in
// load generator, and reads its report; a pg_tileserv binary that cannot
// run is an error, not a silent onemap-only run.
func TestBenchHTTP(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	if err := postgis.Load(ctx, db.URL, demo.Generate(demo.Options{Seed: demo.DefaultSeed})); err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	args := []string{"bench", "http", "--db", db.URL, "--per-zoom", "3", "--reps", "2", "--hot", "500ms", "--conns", "4", "--loadgen", "go", "--peer", ""}
	if code := run(ctx, args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errb.String(), out.String())
	}
	for _, want := range []string{"12 distinct tiles z14–z17", "onemap       warm-up:", "1     onemap", "2     onemap", "onemap hot tiles:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	t.Logf("\n%s", out.String())

	out.Reset()
	errb.Reset()
	bad := []string{"bench", "http", "--db", db.URL, "--per-zoom", "1", "--reps", "1", "--hot", "0", "--peer", "/nonexistent/pg_tileserv"}
	if code := run(ctx, bad, &out, &errb); code == 0 || !strings.Contains(errb.String(), "pg_tileserv") {
		t.Fatalf("missing peer binary: exit %d, %q", code, errb.String())
	}
	if code := run(ctx, []string{"bench", "http", "--db", db.URL, "--layers", "nope", "--hot", "0"}, &out, &errb); code == 0 {
		t.Fatal("unknown layer accepted")
	}
}
