package tiles

import (
	"math"
	"sync"
	"sync/atomic"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// prepared is a feature made ready for any tile: its lon/lat bound (what
// the PostGIS-compatible envelope test compares) and its geometry in Web
// Mercator world coordinates (x and y from 0 to 1, y down) with their
// bound, so that a tile's projection is a multiply and a subtract.
type prepared struct {
	bound  orb.Bound
	world  orb.Geometry
	wbound orb.Bound
}

// toWorld maps lon/lat to Web Mercator world coordinates (y down), the
// projection ST_Transform(geom, 3857) makes, scaled to the unit square.
func toWorld(pt orb.Point) orb.Point {
	lat := math.Max(-maxLat, math.Min(maxLat, pt[1]))
	s := math.Sin(lat * math.Pi / 180)
	return orb.Point{(pt[0] + 180) / 360, 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)}
}

func prepare(f *layers.Feature) *prepared {
	w := project.Geometry(orb.Clone(f.Geometry), toWorld)
	return &prepared{bound: f.Geometry.Bound(), world: w, wbound: w.Bound()}
}

// store keeps prepared features between renders, per layer for its
// latest snapshot. Features are immutable and a new snapshot shares its
// unchanged features with the previous one, so an edit costs only the
// changed features' preparation: entries are carried over from the previous
// snapshot's table by pointer, and older tables are dropped.
type store struct {
	mu     sync.Mutex
	layers map[string]*table
}

// table holds one snapshot's prepared features.
type table struct {
	snap *layers.Snapshot
	m    sync.Map              // *layers.Feature → *prepared
	prev atomic.Pointer[table] // the previous snapshot's, for carrying over
}

// table returns the table for the layer's snapshot, or nil when the
// snapshot is older than the one the store follows (a render still
// running after an edit prepares without keeping).
func (s *store) table(name string, snap *layers.Snapshot) *table {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.layers[name]
	switch {
	case t != nil && t.snap == snap:
		return t
	case t != nil && snap.Version() <= t.snap.Version():
		return nil
	}
	if s.layers == nil {
		s.layers = map[string]*table{}
	}
	next := &table{snap: snap}
	if t != nil {
		t.prev.Store(nil) // keep one generation
		next.prev.Store(t)
	}
	s.layers[name] = next
	return next
}

func (t *table) get(f *layers.Feature) *prepared {
	if t == nil {
		return prepare(f)
	}
	if v, ok := t.m.Load(f); ok {
		return v.(*prepared)
	}
	var pr *prepared
	if p := t.prev.Load(); p != nil {
		if v, ok := p.m.Load(f); ok {
			pr = v.(*prepared)
		}
	}
	if pr == nil {
		pr = prepare(f)
	}
	t.m.Store(f, pr)
	return pr
}

// Prepared returns the options with a store that keeps each feature's Web
// Mercator geometry from one render to the next (a few MB for the demo
// district), so that tiles skip the trigonometry. A Cache's options get
// one automatically; pass Prepared options to Render in loops.
func (o Options) Prepared() Options {
	o.store = &store{}
	return o
}

// preparer returns how to prepare the source's features: from the store's
// table for its snapshot, or afresh without a store.
func (o Options) preparer(s Source) *table {
	if o.store == nil {
		return nil
	}
	return o.store.table(s.Schema.Name, s.Snapshot)
}
