package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
)

// Sync keeps a catalog following the database live: it LISTENs on
// Channel, batches the notifications that arrive together, re-reads
// the rows they name and applies them to the catalog as one change per
// layer per batch. When the connection is lost the catalog stays as it is
// (the server keeps serving the last snapshots); Sync reconnects with capped
// backoff and then re-reads every layer table, replacing only the layers
// whose content changed.
//
// Only the thematic layers present in the catalog are followed. The tuning
// fields may be changed before Run.
type Sync struct {
	pool    *pgxpool.Pool
	cat     *layers.Catalog
	log     *slog.Logger
	schemas map[string]layers.Schema

	// Window is how long to wait for further notifications after one
	// arrives before applying the batch.
	Window time.Duration
	// MaxDelay bounds how long a batch may keep growing.
	MaxDelay time.Duration
	// MinBackoff and MaxBackoff bound the wait between reconnection attempts.
	MinBackoff, MaxBackoff time.Duration
	// Idle is how long the listener waits without notifications before it
	// pings the server, to notice a connection that died silently.
	Idle time.Duration

	// applyMu serialises reading rows and applying them, between the
	// listener and Refresh, so that an older read is never applied after a
	// newer one.
	applyMu sync.Mutex

	pid atomic.Uint32 // backend pid of the listening connection once resynchronised; 0 when there is none
}

// NewSync returns a Sync that applies the database's changes to c and logs
// to log (nil: no logs).
func NewSync(pool *pgxpool.Pool, c *layers.Catalog, log *slog.Logger) *Sync {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	schemas := make(map[string]layers.Schema)
	for _, s := range layers.SourceSchemas(layers.OwnerPostGIS, false) {
		schemas[s.Name] = s
	}
	return &Sync{
		pool: pool, cat: c, log: log, schemas: schemas,
		Window:     5 * time.Millisecond,
		MaxDelay:   100 * time.Millisecond,
		MinBackoff: 100 * time.Millisecond,
		MaxBackoff: 10 * time.Second,
		Idle:       30 * time.Second,
	}
}

// Run listens for changes until ctx ends, then returns nil. It (re)reads
// every followed layer table each time it has (re)connected, so changes
// made before Run or while the database was unreachable are not lost.
func (s *Sync) Run(ctx context.Context) error {
	backoff := s.MinBackoff
	for {
		listened, err := s.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			backoff = s.MinBackoff
		}
		// Jitter spreads the reconnections of many servers after an outage.
		wait := backoff/2 + rand.N(backoff/2+1)
		s.log.Warn("postgis sync: no connection to the database; serving the last snapshots",
			"err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(2*backoff, s.MaxBackoff)
	}
}

// session connects, listens, resynchronises, then applies batches of
// notifications until the connection fails. listened reports whether it
// got as far as following notifications (so a failing resync keeps
// backing off).
func (s *Sync) session(ctx context.Context) (listened bool, err error) {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "onemap sync"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return false, fmt.Errorf("listen: %w", err)
	}
	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return false, fmt.Errorf("current schema: %w", err)
	}
	start := time.Now()
	s.applyMu.Lock()
	replaced, err := s.resync(ctx)
	s.applyMu.Unlock()
	if err != nil {
		return false, fmt.Errorf("resynchronise: %w", err)
	}
	s.pid.Store(conn.PgConn().PID())
	defer s.pid.Store(0)
	s.log.Info("postgis sync: listening", "schema", schema, "replaced_layers", replaced,
		"resync_ms", time.Since(start).Milliseconds())
	for {
		batch, err := s.wait(ctx, conn, schema)
		if err != nil {
			return true, err
		}
		s.applyMu.Lock()
		err = s.apply(ctx, conn, batch)
		s.applyMu.Unlock()
		if err != nil {
			return true, err
		}
	}
}

// Listener is the backend pid of the listening connection once it has
// resynchronised, 0 while there is none: /healthz and tests use it to tell
// a live sync from one reconnecting.
func (s *Sync) Listener() uint32 { return s.pid.Load() }

// Refresh re-reads rows of a followed table now (an edit this server just
// committed) and applies them, without waiting for their notifications. It
// returns the catalog version that holds them.
func (s *Sync) Refresh(ctx context.Context, table string, ids ...int64) (uint64, error) {
	p := &pending{ids: make(map[int64]struct{}, len(ids))}
	for _, id := range ids {
		p.ids[id] = struct{}{}
	}
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if err := s.apply(ctx, s.pool, map[string]*pending{table: p}); err != nil {
		return 0, Outage(err)
	}
	return s.cat.Version(), nil
}

// pending is what a batch knows of one table: the ids it must re-read, or
// that the whole table must be.
type pending struct {
	ids    map[int64]struct{}
	reload bool
}

// note is the payload of a notification on Channel.
type note struct {
	Schema string `json:"schema"`
	Table  string `json:"table"`
	Op     string `json:"op"`
	ID     int64  `json:"id"`
}

// wait blocks for a notification, then gathers those that follow within
// Window of each other (for at most MaxDelay) into one batch by table.
func (s *Sync) wait(ctx context.Context, conn *pgx.Conn, schema string) (map[string]*pending, error) {
	batch := map[string]*pending{}
	var until time.Time
	for {
		timeout := s.Idle
		if len(batch) > 0 {
			timeout = min(s.Window, time.Until(until))
			if timeout <= 0 {
				return batch, nil
			}
		}
		wctx, cancel := context.WithTimeout(ctx, timeout)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case pgconn.Timeout(err) && len(batch) > 0:
			return batch, nil
		case pgconn.Timeout(err):
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return nil, fmt.Errorf("ping: %w", err)
			}
			continue
		default:
			return nil, fmt.Errorf("wait for notification: %w", err)
		}
		var m note
		if err := json.Unmarshal([]byte(n.Payload), &m); err != nil {
			s.log.Warn("postgis sync: bad notification", "payload", n.Payload, "err", err)
			continue
		}
		if m.Schema != schema {
			continue // another onemap's tables in the same database
		}
		if _, ok := s.schemas[m.Table]; !ok {
			continue
		}
		if len(batch) == 0 {
			until = time.Now().Add(s.MaxDelay)
		}
		p := batch[m.Table]
		if p == nil {
			p = &pending{ids: map[int64]struct{}{}}
			batch[m.Table] = p
		}
		if m.Op == "reload" {
			p.reload = true
		} else {
			p.ids[m.ID] = struct{}{}
		}
	}
}

// apply re-reads what the batch names and applies it to the catalog: one
// Apply per layer, or a Put when a whole table was reloaded and changed.
func (s *Sync) apply(ctx context.Context, q querier, batch map[string]*pending) error {
	tables := make([]string, 0, len(batch))
	for t := range batch {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		p := batch[t]
		l, ok := s.cat.Layer(t)
		if !ok || l.Schema.Owner != layers.OwnerPostGIS {
			continue // another writer's layer of the same name (a user's table under a role)
		}
		schema := s.schemas[t]
		if p.reload {
			if _, err := s.reload(ctx, q, schema); err != nil {
				return err
			}
			continue
		}
		ids := make([]int64, 0, len(p.ids))
		for id := range p.ids {
			ids = append(ids, id)
		}
		fs, err := readLayer(ctx, q, schema, "id = ANY($1)", []any{ids}, s.skip(t))
		if err != nil {
			return err
		}
		snap := l.Snapshot()
		var changes []layers.Change
		for _, f := range fs {
			delete(p.ids, f.ID)
			if cur, ok := snap.Get(f.ID); ok && sameFeature(cur, &f) {
				continue
			}
			changes = append(changes, layers.Change{Op: layers.Upsert, Feature: f})
		}
		for id := range p.ids { // gone from the table
			if _, ok := snap.Get(id); ok {
				changes = append(changes, layers.Change{Op: layers.Delete, ID: id})
			}
		}
		if len(changes) == 0 {
			continue
		}
		if _, err := s.cat.Apply(layers.OwnerPostGIS, t, changes); err != nil {
			return err
		}
		s.log.Debug("postgis sync: applied", "layer", t, "changes", len(changes))
	}
	return nil
}

// skip returns the handler of a row of table that cannot be a feature:
// it is logged and left out, so one bad row cannot stop the sync.
func (s *Sync) skip(table string) func(int64, error) {
	return func(id int64, err error) {
		s.log.Warn("postgis sync: row skipped", "table", table, "id", id, "err", err)
	}
}

// resync re-reads every followed layer table (in parallel, over the pool)
// and replaces the layers whose content differs from the catalog's. It
// reports how many it replaced.
func (s *Sync) resync(ctx context.Context) (int, error) {
	var todo []layers.Schema
	for _, l := range s.cat.Layers() {
		if sc, ok := s.schemas[l.Schema.Name]; ok && l.Schema.Owner == layers.OwnerPostGIS {
			todo = append(todo, sc)
		}
	}
	type result struct {
		replaced bool
		err      error
	}
	results := make(chan result, len(todo))
	sem := make(chan struct{}, max(1, int(s.pool.Config().MaxConns)/2))
	for _, sc := range todo {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r, err := s.reload(ctx, s.pool, sc)
			results <- result{r, err}
		}()
	}
	n := 0
	var errs []error
	for range todo {
		r := <-results
		if r.replaced {
			n++
		}
		errs = append(errs, r.err)
	}
	return n, errors.Join(errs...)
}

// reload re-reads one layer table and puts it into the catalog if its
// content changed (so unchanged layers keep their snapshot and caches).
func (s *Sync) reload(ctx context.Context, q querier, sc layers.Schema) (bool, error) {
	fs, err := readLayer(ctx, q, sc, "", nil, s.skip(sc.Name))
	if err != nil {
		return false, err
	}
	l, ok := s.cat.Layer(sc.Name)
	if !ok {
		return false, nil
	}
	if sameContent(l.Snapshot(), fs) {
		return false, nil
	}
	if _, err := s.cat.Put(l.Schema, fs); err != nil {
		return false, err
	}
	s.log.Info("postgis sync: layer reloaded", "layer", sc.Name, "features", len(fs))
	return true, nil
}

// sameContent reports whether snap holds exactly the features fs.
func sameContent(snap *layers.Snapshot, fs []layers.Feature) bool {
	if snap.Len() != len(fs) {
		return false
	}
	for i := range fs {
		cur, ok := snap.Get(fs[i].ID)
		if !ok || !sameFeature(cur, &fs[i]) {
			return false
		}
	}
	return true
}

// sameFeature reports whether a and b are the same feature with the same
// geometry and properties.
func sameFeature(a, b *layers.Feature) bool {
	return a.ID == b.ID && orb.Equal(a.Geometry, b.Geometry) && reflect.DeepEqual(a.Properties, b.Properties)
}
