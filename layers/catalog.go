package layers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
)

// ErrNotOwner is returned when a writer changes a layer another writer owns:
// every layer has exactly one writer (Schema.Owner).
var ErrNotOwner = errors.New("layers: not the layer's owner")

// ErrUnavailable marks a failure of the store behind a layer (the database
// unreachable): the request may succeed when retried.
var ErrUnavailable = errors.New("layers: store unavailable")

// ErrReadOnly is returned for an edit of a layer whose store onemap does
// not write.
var ErrReadOnly = errors.New("layers: read-only layer")

// ErrUnknownLayer is returned for a change to a layer the catalog lacks.
var ErrUnknownLayer = errors.New("layers: unknown layer")

// Event tells subscribers that a layer has a new snapshot and which bounds
// changed. Bounds is nil when the whole layer was replaced.
type Event struct {
	Layer   string
	Version uint64
	Bounds  []orb.Bound
	All     bool
}

// Catalog is the set of named layers a server holds. Reads of layers never
// block; writes to one catalog are serialised.
type Catalog struct {
	mu      sync.Mutex // serialises writers and subscriber changes
	layers  atomic.Pointer[map[string]*Layer]
	version uint64
	nextSub int
	subs    map[int]func(Event)
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog {
	c := &Catalog{subs: map[int]func(Event){}}
	m := map[string]*Layer{}
	c.layers.Store(&m)
	return c
}

// Subscribe registers fn to be called after every change, in the writer's
// goroutine, until the returned stop function is called. fn must be quick
// (a tile cache dropping entries); slow work follows the catalog with
// Follow instead.
func (c *Catalog) Subscribe(fn func(Event)) (stop func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextSub
	c.nextSub++
	c.subs[id] = fn
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.subs, id)
	}
}

// Version is the catalog's version: the version of its latest change.
func (c *Catalog) Version() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version
}

// Layer returns the named layer.
func (c *Catalog) Layer(name string) (*Layer, bool) {
	l, ok := (*c.layers.Load())[name]
	return l, ok
}

// Names lists the layer names in sorted order.
func (c *Catalog) Names() []string {
	m := *c.layers.Load()
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Layers lists the layers in name order.
func (c *Catalog) Layers() []*Layer {
	m := *c.layers.Load()
	out := make([]*Layer, 0, len(m))
	for _, n := range c.Names() {
		out = append(out, m[n])
	}
	return out
}

// Features returns a copy of the named layer's features in id order (nil
// when the catalog lacks it), for code that builds plain inputs from a
// layer.
func (c *Catalog) Features(name string) []Feature {
	l, ok := c.Layer(name)
	if !ok {
		return nil
	}
	snap := l.Snapshot()
	fs := make([]Feature, 0, snap.Len())
	snap.All(func(f *Feature) bool {
		fs = append(fs, *f)
		return true
	})
	return fs
}

// Put adds the layer or replaces its schema and whole content. The layer's
// writer is s.Owner: replacing a layer another owner holds fails with
// ErrNotOwner and changes nothing.
func (c *Catalog) Put(s Schema, features []Feature) (*Layer, error) {
	c.mu.Lock()
	old := *c.layers.Load()
	if cur, ok := old[s.Name]; ok && cur.Schema.Owner != s.Owner {
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %s is written by %q, not %q", ErrNotOwner, s.Name, cur.Schema.Owner, s.Owner)
	}
	c.version++
	v := c.version
	// Schema is part of the published layer: a new layer value keeps
	// readers holding the old one with a consistent pair.
	l := &Layer{Schema: s}
	l.snap.Store(NewSnapshot(v, features))
	next := make(map[string]*Layer, len(old)+1)
	for k, x := range old {
		next[k] = x
	}
	next[s.Name] = l
	c.layers.Store(&next)
	subs := c.subscribers()
	c.mu.Unlock()
	for _, fn := range subs {
		fn(Event{Layer: s.Name, Version: v, All: true})
	}
	return l, nil
}

// Apply applies changes to the named layer as one new snapshot and tells
// subscribers which bounds changed. Only the layer's owner may: another
// writer gets ErrNotOwner.
func (c *Catalog) Apply(owner, name string, changes []Change) (*Snapshot, error) {
	c.mu.Lock()
	l, ok := (*c.layers.Load())[name]
	if !ok {
		c.mu.Unlock()
		return nil, fmt.Errorf("%w %q", ErrUnknownLayer, name)
	}
	if l.Schema.Owner != owner {
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %s is written by %q, not %q", ErrNotOwner, name, l.Schema.Owner, owner)
	}
	c.version++
	v := c.version
	next, touched := l.Snapshot().apply(v, changes)
	l.snap.Store(next)
	subs := c.subscribers()
	c.mu.Unlock()
	for _, fn := range subs {
		fn(Event{Layer: name, Version: v, Bounds: touched})
	}
	return next, nil
}

// subscribers lists the subscriptions in the order they were made; c.mu
// must be held.
func (c *Catalog) subscribers() []func(Event) {
	ids := make([]int, 0, len(c.subs))
	for id := range c.subs {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	out := make([]func(Event), len(ids))
	for i, id := range ids {
		out[i] = c.subs[id]
	}
	return out
}

// Follower runs a slow subscriber off the writers' path: see Catalog.Follow.
type Follower struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending []Event
	seen    uint64 // latest version delivered to the follower
	handled uint64 // latest version whose batch fn has finished
	stopped bool
	done    chan struct{}
	unsub   func()
}

// Follow calls fn on a goroutine of its own with the changes to the named
// layers (every layer when names is empty), in batches: changes that
// arrive while fn runs are handed to the next call together. Writers never
// wait for fn. Stop ends the goroutine.
func (c *Catalog) Follow(names []string, fn func([]Event)) *Follower {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	f := &Follower{done: make(chan struct{})}
	f.cond = sync.NewCond(&f.mu)
	f.unsub = c.Subscribe(func(e Event) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if e.Version > f.seen {
			f.seen = e.Version
		}
		if len(want) == 0 || want[e.Layer] {
			f.pending = append(f.pending, e)
		}
		f.cond.Broadcast()
	})
	go f.run(fn)
	return f
}

func (f *Follower) run(fn func([]Event)) {
	defer close(f.done)
	f.mu.Lock()
	for {
		for len(f.pending) == 0 && !f.stopped {
			f.handled = f.seen
			f.cond.Broadcast()
			f.cond.Wait()
		}
		if f.stopped {
			f.mu.Unlock()
			return
		}
		batch, upto := f.pending, f.seen
		f.pending = nil
		f.mu.Unlock()
		fn(batch)
		f.mu.Lock()
		f.handled = upto
		f.cond.Broadcast()
	}
}

// Wait blocks until every change up to catalog version v has been handled
// (or ctx ends): a writer that must answer with the follower's view of its
// change waits for the version its change made.
func (f *Follower) Wait(ctx context.Context, v uint64) error {
	stop := context.AfterFunc(ctx, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.cond.Broadcast()
	})
	defer stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.handled < v && !f.stopped {
		if err := ctx.Err(); err != nil {
			return err
		}
		f.cond.Wait()
	}
	return nil
}

// Stop unsubscribes and waits for a running batch to end.
func (f *Follower) Stop() {
	f.unsub()
	f.mu.Lock()
	f.stopped = true
	f.cond.Broadcast()
	f.mu.Unlock()
	<-f.done
}
