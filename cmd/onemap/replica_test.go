package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
)

// With --db-primary the district is read from --db (a standby in
// production; here a second schema holding a stale copy), then the sync
// on the primary replaces what the copy lacked, and writes go to the
// primary only.
func TestServeFromAStandbyFollowsThePrimary(t *testing.T) {
	ctx := context.Background()
	standby, primary := pgtest.New(t), pgtest.New(t)
	d := demo.Generate(demo.Options{Seed: demo.DefaultSeed})
	for _, db := range []*pgtest.DB{standby, primary} {
		if err := postgis.Load(ctx, db.URL, d); err != nil {
			t.Fatal(err)
		}
	}
	// The primary has moved on since the standby's copy.
	if _, err := primary.Pool.Exec(ctx, "UPDATE schools SET seats = 4321 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.db, cfg.dbPrimary = standby.URL, primary.URL
	a, s, _ := startServer(t, cfg)
	seats := func() any {
		l, _ := a.catalog.Layer(layers.Schools)
		f, ok := l.Snapshot().Get(1)
		if !ok {
			return nil
		}
		return f.Properties["seats"]
	}
	within(t, 10*time.Second, "the primary's seats replace the standby's", func() bool { return seats() == int64(4321) })

	// An edit on the primary reaches the server; one on the standby's copy
	// does not (a real standby takes none).
	if _, err := primary.Pool.Exec(ctx, "UPDATE schools SET seats = 1234 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	within(t, 5*time.Second, "an edit on the primary", func() bool { return seats() == int64(1234) })

	// A dispatcher's write is stored on the primary.
	if code := send(t, http.MethodPut, s.URL+"/api/units/1/status", `{"available":false}`); code != http.StatusOK {
		t.Fatalf("PUT status: %d", code)
	}
	for _, c := range []struct {
		db   *pgtest.DB
		want bool
	}{{primary, false}, {standby, true}} {
		var got bool
		if err := c.db.Pool.QueryRow(ctx, "SELECT available FROM fire_stations WHERE id = 1").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s: unit 1 available %v, want %v", c.db.Schema, got, c.want)
		}
	}
}

func TestDBPrimaryNeedsDB(t *testing.T) {
	var out, errb strings.Builder
	if code := run(context.Background(), []string{"serve", "--db-primary", "postgres://x"}, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2 (usage): %s", code, errb.String())
	}
}
