package postgis

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
)

// catalogOf puts every thematic layer of d into a new catalog.
func catalogOf(d *data.District) *layers.Catalog {
	c := layers.NewCatalog()
	if err := d.Put(c, layers.OwnerPostGIS); err != nil {
		panic(err)
	}
	return c
}

// events records the catalog's events.
type events struct {
	mu  sync.Mutex
	all []layers.Event
}

func (e *events) add(ev layers.Event) { e.mu.Lock(); e.all = append(e.all, ev); e.mu.Unlock() }

func (e *events) count() int { e.mu.Lock(); defer e.mu.Unlock(); return len(e.all) }

func (e *events) of(layer string) []layers.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []layers.Event
	for _, ev := range e.all {
		if ev.Layer == layer {
			out = append(out, ev)
		}
	}
	return out
}

// running starts a Sync of a catalog of d written to a fresh schema, and
// returns once it listens and has resynchronised. The events recorded are
// those after the catalog was filled.
func running(t *testing.T, d *data.District) (*pgtest.DB, *layers.Catalog, *Sync, *events) {
	t.Helper()
	db := migrated(t)
	if err := Write(context.Background(), db.Pool, d); err != nil {
		t.Fatal(err)
	}
	cat := catalogOf(d)
	ev := &events{}
	cat.Subscribe(ev.add)
	s := NewSync(db.Pool, cat, slog.New(slog.NewTextHandler(t.Output(), nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	eventually(t, 10*time.Second, "sync listening", func() bool { return s.pid.Load() != 0 })
	if n := ev.count(); n != 0 {
		t.Fatalf("%d catalog changes from the first resynchronisation of an unchanged database", n)
	}
	return db, cat, s, ev
}

// eventually polls cond until it holds or the deadline passes, and logs
// how long it took.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Logf("%s: after %v", what, time.Since(start).Round(time.Millisecond))
}

// feature returns the layer's current feature with the id.
func feature(c *layers.Catalog, layer string, id int64) (*layers.Feature, bool) {
	l, ok := c.Layer(layer)
	if !ok {
		return nil, false
	}
	return l.Snapshot().Get(id)
}

func TestSyncAppliesInsertUpdateDeleteWithinASecond(t *testing.T) {
	db, cat, _, ev := running(t, smallDistrict(5))
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	exec(`INSERT INTO schools (id, geom, name, seats, level) VALUES (777, ST_SetSRID(ST_MakePoint(116.5, 39.8), 4326), '新学校', 1200, 'junior')`)
	eventually(t, time.Second, "insert", func() bool {
		f, ok := feature(cat, layers.Schools, 777)
		return ok && orb.Equal(f.Geometry, orb.Point{116.5, 39.8}) &&
			fmt.Sprint(f.Properties) == fmt.Sprint(map[string]any{"name": "新学校", "seats": int64(1200), "level": "junior"})
	})

	exec(`UPDATE schools SET seats = 1500, name = NULL, geom = ST_SetSRID(ST_MakePoint(116.6, 39.7), 4326) WHERE id = 777`)
	eventually(t, time.Second, "update", func() bool {
		f, ok := feature(cat, layers.Schools, 777)
		_, named := f.Properties["name"]
		return ok && orb.Equal(f.Geometry, orb.Point{116.6, 39.7}) && f.Properties["seats"] == int64(1500) && !named
	})
	// The update's event names both the old and the new position, so tile
	// caches drop what showed the school before and after.
	evs := ev.of(layers.Schools)
	last := evs[len(evs)-1]
	if len(last.Bounds) != 2 || !last.Bounds[0].Contains(orb.Point{116.5, 39.8}) || !last.Bounds[1].Contains(orb.Point{116.6, 39.7}) {
		t.Errorf("update event bounds %v, want the old and the new point", last.Bounds)
	}

	exec(`DELETE FROM schools WHERE id = 777`)
	eventually(t, time.Second, "delete", func() bool { _, ok := feature(cat, layers.Schools, 777); return !ok })

	// A polygon layer: the edit arrives with the declared multi type.
	exec(`UPDATE grids SET geom = ST_Multi(ST_MakeEnvelope(116, 39, 116.1, 39.1, 4326)), residents = 5 WHERE id = (SELECT min(id) FROM grids)`)
	eventually(t, time.Second, "grid update", func() bool {
		var hit bool
		l, _ := cat.Layer(layers.Grids)
		l.Snapshot().All(func(f *layers.Feature) bool {
			if _, ok := f.Geometry.(orb.MultiPolygon); ok && f.Properties["residents"] == int64(5) && f.Bound() == (orb.Bound{Min: orb.Point{116, 39}, Max: orb.Point{116.1, 39.1}}) {
				hit = true
			}
			return !hit
		})
		return hit
	})
}

func TestSyncAppliesATransactionAsOneChange(t *testing.T) {
	db, cat, _, ev := running(t, smallDistrict(40))
	ctx := context.Background()
	before := len(ev.of(layers.Roads))
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE roads SET lanes = 9`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM roads WHERE id = (SELECT max(id) FROM roads)`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "roads updated", func() bool {
		l, _ := cat.Layer(layers.Roads)
		s := l.Snapshot()
		return s.Len() == 39 && s.At(0).Properties["lanes"] == int64(9) && s.At(38).Properties["lanes"] == int64(9)
	})
	if n := len(ev.of(layers.Roads)) - before; n != 1 {
		t.Errorf("%d catalog changes for one transaction, want 1", n)
	}
	for _, name := range []string{layers.Schools, layers.Grids} {
		if n := len(ev.of(name)); n != 0 {
			t.Errorf("layer %s changed %d times, want untouched", name, n)
		}
	}
}

func TestSyncReconnectsAndResynchronises(t *testing.T) {
	db, cat, s, _ := running(t, smallDistrict(5))
	ctx := context.Background()
	old := s.pid.Load()
	if _, err := db.Pool.Exec(ctx, "SELECT pg_terminate_backend($1)", old); err != nil {
		t.Fatal(err)
	}
	// Made while the listener is gone or reconnecting: found by the resync.
	if _, err := db.Pool.Exec(ctx, `UPDATE hospitals SET beds = 4321 WHERE id = (SELECT min(id) FROM hospitals)`); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "edit during the outage", func() bool {
		l, _ := cat.Layer(layers.Hospitals)
		return l.Snapshot().At(0).Properties["beds"] == int64(4321)
	})
	eventually(t, 5*time.Second, "new listener", func() bool { p := s.pid.Load(); return p != 0 && p != old })
	// And the new connection listens.
	if _, err := db.Pool.Exec(ctx, `DELETE FROM hospitals WHERE id = (SELECT min(id) FROM hospitals)`); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "edit after reconnecting", func() bool {
		l, _ := cat.Layer(layers.Hospitals)
		return l.Snapshot().Len() == 4
	})
}

func TestSyncReloadsRewrittenLayersOnly(t *testing.T) {
	d := smallDistrict(5)
	db, cat, _, ev := running(t, d)
	next := smallDistrict(5)
	next.Layers[layers.Cameras] = next.Layers[layers.Cameras][:2]
	next.Layers[layers.Schools][0].Properties["seats"] = int64(1)
	if err := Write(context.Background(), db.Pool, next); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "rewritten layers", func() bool {
		c, _ := cat.Layer(layers.Cameras)
		s, _ := cat.Layer(layers.Schools)
		return c.Snapshot().Len() == 2 && s.Snapshot().At(0).Properties["seats"] == int64(1)
	})
	for _, sc := range layers.SourceSchemas(layers.OwnerPostGIS, false) {
		want := 0
		if sc.Name == layers.Cameras || sc.Name == layers.Schools {
			want = 1
		}
		if n := len(ev.of(sc.Name)); n != want {
			t.Errorf("layer %s: %d catalog changes, want %d", sc.Name, n, want)
		}
	}
}

func TestSyncIgnoresOtherSchemas(t *testing.T) {
	db, cat, _, ev := running(t, smallDistrict(3))
	other := migrated(t)
	ctx := context.Background()
	insert := `INSERT INTO schools (id, geom) VALUES ($1, ST_SetSRID(ST_MakePoint(116.5, 39.8), 4326))`
	if _, err := other.Pool.Exec(ctx, insert, 5555); err != nil {
		t.Fatal(err)
	}
	// Notifications arrive in commit order: once this one is applied, the
	// other schema's has been seen too.
	if _, err := db.Pool.Exec(ctx, insert, 6666); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "own insert", func() bool { _, ok := feature(cat, layers.Schools, 6666); return ok })
	if _, ok := feature(cat, layers.Schools, 5555); ok {
		t.Error("a school of another schema appeared")
	}
	if n := len(ev.of(layers.Schools)); n != 1 {
		t.Errorf("schools changed %d times, want once", n)
	}
}

func TestSyncPingsAnIdleConnectionAndStillListens(t *testing.T) {
	db := migrated(t)
	d := smallDistrict(2)
	if err := Write(context.Background(), db.Pool, d); err != nil {
		t.Fatal(err)
	}
	cat := catalogOf(d)
	s := NewSync(db.Pool, cat, slog.New(slog.NewTextHandler(t.Output(), nil)))
	s.Idle = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	eventually(t, 10*time.Second, "sync listening", func() bool { return s.pid.Load() != 0 })
	pid := s.pid.Load()
	time.Sleep(60 * time.Millisecond) // several idle pings
	if _, err := db.Pool.Exec(context.Background(), `UPDATE cameras SET name = 'pinged'`); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Second, "edit after idle pings", func() bool {
		l, _ := cat.Layer(layers.Cameras)
		return l.Snapshot().At(0).Properties["name"] == "pinged"
	})
	if p := s.pid.Load(); p != pid {
		t.Errorf("listener reconnected (pid %d → %d) while idle", pid, p)
	}
}

// lines is a slog handler target that keeps what was logged.
type lines struct {
	mu  sync.Mutex
	buf []byte
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	return len(p), nil
}

func (l *lines) String() string { l.mu.Lock(); defer l.mu.Unlock(); return string(l.buf) }

func TestSyncWithoutDatabaseKeepsCatalogAndRetries(t *testing.T) {
	// Port 1 refuses connections: the database is "gone" from the start.
	pool, err := pgxpool.New(context.Background(), "postgres://onemap@127.0.0.1:1/onemap?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	d := smallDistrict(3)
	cat := catalogOf(d)
	before, _ := cat.Layer(layers.Schools)
	var log lines
	s := NewSync(pool, cat, slog.New(slog.NewTextHandler(&log, nil)))
	s.MinBackoff, s.MaxBackoff = time.Millisecond, 20*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx); err != nil {
		t.Errorf("Run after ctx ended: %v, want nil", err)
	}
	if n := strings.Count(log.String(), "no connection to the database"); n < 3 {
		t.Errorf("logged %d failed attempts in 300 ms, want several:\n%s", n, log.String())
	}
	if after, _ := cat.Layer(layers.Schools); after != before || after.Snapshot().Len() != 3 {
		t.Error("catalog changed while the database was unreachable")
	}
}
