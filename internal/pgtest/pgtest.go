// Package pgtest gives tests a real PostGIS database in a fresh schema of
// their own. The database comes from ONEMAP_TEST_DB (a postgres:// URL whose
// database has the postgis and pgrouting extensions, as .ci/run sets up);
// without it, or when it cannot be reached, the test is skipped with a
// message saying so.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Env is the variable naming the test database.
const Env = "ONEMAP_TEST_DB"

// DB is a schema of one's own in the test database.
type DB struct {
	Pool   *pgxpool.Pool
	Schema string
	// URL connects to the same database with search_path set to Schema
	// (then public, where PostGIS and pgRouting live).
	URL string
}

// New connects, creates a fresh schema, and drops it when the test ends.
func New(t testing.TB) *DB {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Skipf("PostGIS tests skipped: set %s to a postgres:// URL with postgis and pgrouting (.ci/run does this)", Env)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin, err := pgxpool.New(ctx, base)
	if err == nil {
		err = admin.Ping(ctx)
	}
	if err != nil {
		t.Skipf("PostGIS tests skipped: %s=%s unreachable: %v", Env, base, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	cfg, err := pgxpool.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema + ",public"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	return &DB{Pool: pool, Schema: schema, URL: WithSearchPath(base, schema)}
}

// WithSearchPath returns url with search_path set to schema,public.
func WithSearchPath(url, schema string) string {
	sep := "?"
	for _, c := range url {
		if c == '?' {
			sep = "&"
		}
	}
	return url + sep + "search_path=" + schema + ",public"
}
