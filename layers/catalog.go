package layers

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/paulmach/orb"
)

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
	subs    []func(Event)
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog {
	c := &Catalog{}
	m := map[string]*Layer{}
	c.layers.Store(&m)
	return c
}

// Subscribe registers fn to be called after every change, in the writer's
// goroutine. fn must be quick.
func (c *Catalog) Subscribe(fn func(Event)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subs = append(c.subs, fn)
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

// Put adds the layer or replaces its schema and whole content.
func (c *Catalog) Put(s Schema, features []Feature) *Layer {
	c.mu.Lock()
	c.version++
	v := c.version
	old := *c.layers.Load()
	l, ok := old[s.Name]
	if !ok {
		l = &Layer{}
		next := make(map[string]*Layer, len(old)+1)
		for k, x := range old {
			next[k] = x
		}
		next[s.Name] = l
		l.Schema = s
		l.snap.Store(NewSnapshot(v, features))
		c.layers.Store(&next)
	} else {
		// Schema is part of the published layer; replace the layer value so
		// readers holding the old one keep a consistent pair.
		nl := &Layer{Schema: s}
		nl.snap.Store(NewSnapshot(v, features))
		next := make(map[string]*Layer, len(old))
		for k, x := range old {
			next[k] = x
		}
		next[s.Name] = nl
		c.layers.Store(&next)
		l = nl
	}
	subs := append([]func(Event){}, c.subs...)
	c.mu.Unlock()
	for _, fn := range subs {
		fn(Event{Layer: s.Name, Version: v, All: true})
	}
	return l
}

// Apply applies changes to the named layer as one new snapshot and tells
// subscribers which bounds changed.
func (c *Catalog) Apply(name string, changes []Change) (*Snapshot, error) {
	c.mu.Lock()
	l, ok := (*c.layers.Load())[name]
	if !ok {
		c.mu.Unlock()
		return nil, fmt.Errorf("layers: unknown layer %q", name)
	}
	c.version++
	v := c.version
	next, touched := l.Snapshot().apply(v, changes)
	l.snap.Store(next)
	subs := append([]func(Event){}, c.subs...)
	c.mu.Unlock()
	for _, fn := range subs {
		fn(Event{Layer: name, Version: v, Bounds: touched})
	}
	return next, nil
}
