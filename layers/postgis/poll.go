package postgis

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/layers"
)

// Poller follows edits of the user's own tables without changing them:
// every Interval it re-reads each published source no bigger than MaxRows
// and applies the difference to its layer (upserts of changed or new
// features, deletes of gone ones), so an edit shows in the next tile and
// feature request within Interval plus the read. It needs no trigger, no
// replication slot and no privilege beyond SELECT.
type Poller struct {
	pool *pgxpool.Pool
	cat  *layers.Catalog
	log  *slog.Logger
	// Followed are the sources re-read; TooBig those left as read at start.
	Followed, TooBig []Source
	Interval         time.Duration
	lsn              string // the WAL position of the last re-read
}

// NewPoller returns a Poller of the sources over c; sources of more than
// maxRows features are not followed (logged once).
func NewPoller(pool *pgxpool.Pool, c *layers.Catalog, srcs []Source, interval time.Duration, maxRows int64, log *slog.Logger) *Poller {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Poller{pool: pool, cat: c, log: log, Interval: interval}
	for _, s := range srcs {
		n := int64(0)
		if l, ok := c.Layer(s.Schema.Name); ok {
			n = int64(l.Snapshot().Len())
		}
		if n > maxRows {
			p.TooBig = append(p.TooBig, s)
			log.Warn("postgis poll: layer too big to re-read for edits; served as read at start-up", "layer", s.Schema.Name,
				"features", n, "poll_max_rows", maxRows)
			continue
		}
		p.Followed = append(p.Followed, s)
	}
	return p
}

// Mode describes how the user's tables are followed, for /healthz and the log.
func (p *Poller) Mode() map[string]any {
	names := func(ss []Source) []string {
		out := []string{}
		for _, s := range ss {
			out = append(out, s.Schema.Name)
		}
		return out
	}
	mode := "poll"
	if p.Interval <= 0 {
		mode = "off"
	}
	return map[string]any{"mode": mode, "interval_ms": p.Interval.Milliseconds(),
		"layers": names(p.Followed), "not_followed": names(p.TooBig)}
}

// Run polls until ctx ends. A failed read is logged and retried at the next
// tick; the layers keep their last snapshots meanwhile.
func (p *Poller) Run(ctx context.Context) {
	if p.Interval <= 0 || len(p.Followed) == 0 {
		return
	}
	p.log.Info("postgis poll: following edits of the user's tables", "interval", p.Interval, "layers", len(p.Followed))
	t := time.NewTicker(p.Interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := p.Once(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !failing:
			p.log.Warn("postgis poll: read failed; serving the last snapshots", "err", err)
			failing = true
		case err == nil && failing:
			p.log.Info("postgis poll: reads work again")
			failing = false
		}
	}
}

// Once re-reads every followed source and applies what changed. Nothing is
// re-read while the server's WAL position has not moved since the last
// time: no transaction has changed any table then, so an idle database
// costs one tiny query per tick.
func (p *Poller) Once(ctx context.Context) error {
	var lsn string
	err := p.pool.QueryRow(ctx, `SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text`).Scan(&lsn)
	if err != nil {
		return fmt.Errorf("postgis poll: wal position: %w", err)
	}
	if lsn == p.lsn {
		return nil
	}
	if err := p.reread(ctx); err != nil {
		return err
	}
	p.lsn = lsn
	return nil
}

// reread re-reads every followed source and applies what changed.
func (p *Poller) reread(ctx context.Context) error {
	for _, s := range p.Followed {
		fs, _, err := ReadSource(ctx, p.pool, s)
		if err != nil {
			return err
		}
		l, ok := p.cat.Layer(s.Schema.Name)
		if !ok {
			continue
		}
		snap := l.Snapshot()
		var changes []layers.Change
		seen := make(map[int64]struct{}, len(fs))
		for i := range fs {
			f := &fs[i]
			seen[f.ID] = struct{}{}
			if cur, ok := snap.Get(f.ID); ok && sameFeature(cur, f) {
				continue
			}
			changes = append(changes, layers.Change{Op: layers.Upsert, Feature: *f})
		}
		snap.All(func(f *layers.Feature) bool {
			if _, ok := seen[f.ID]; !ok {
				changes = append(changes, layers.Change{Op: layers.Delete, ID: f.ID})
			}
			return true
		})
		if len(changes) == 0 {
			continue
		}
		if _, err := p.cat.Apply(UserOwner, s.Schema.Name, changes); err != nil {
			return err
		}
		p.log.Debug("postgis poll: applied", "layer", s.Schema.Name, "changes", len(changes))
	}
	return nil
}
