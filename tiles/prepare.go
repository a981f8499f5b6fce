package tiles

import (
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unique"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// prepared is a feature made ready for any tile: its lon/lat bound widened
// to float32 (what the PostGIS-compatible envelope test compares, see
// projector.admits) and its geometry in Web
// Mercator world coordinates (x and y from 0 to 1, y down) with their
// bound, so that a tile's projection is a multiply and a subtract.
//
// vals are the attributes the encoder writes, made once: the schema's
// fields whose value is present and of the field's type, in field (name)
// order, strings interned. id is the feature id (hasID false when
// negative, as orb's encoder leaves such ids out). Encoders only read
// them, so renders share them.
type prepared struct {
	bound  orb.Bound
	world  orb.Geometry
	wbound orb.Bound
	vals   []val
	id     uint64
	hasID  bool
	idSize int // bytes of the id field
	attrs  int // attrSize(vals, idSize)
	// label is where the feature's label goes (world coordinates), for
	// the polygons of a layer whose schema asks for labels (hasLabel).
	label    orb.Point
	hasLabel bool
}

// toWorld maps lon/lat to Web Mercator world coordinates (y down), the
// projection ST_Transform(geom, 3857) makes, scaled to the unit square.
func toWorld(pt orb.Point) orb.Point {
	lat := math.Max(-maxLat, math.Min(maxLat, pt[1]))
	s := math.Sin(lat * math.Pi / 180)
	return orb.Point{(pt[0] + 180) / 360, 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)}
}

func prepare(f *layers.Feature, fields []layers.Field, labels bool) *prepared {
	w := project.Geometry(orb.Clone(f.Geometry), toWorld)
	pr := &prepared{bound: float4Bound(f.Geometry.Bound()), world: w, wbound: w.Bound()}
	for i, fd := range fields {
		v, ok := f.Properties[fd.Name]
		if !ok || !fits(v, fd.Type) {
			continue
		}
		if s, ok := v.(string); ok {
			// Interned: equal strings share their bytes, so the encoder's
			// value dedupe compares them by pointer first.
			v = unique.Make(s).Value()
		}
		pr.vals = append(pr.vals, valueOf(uint16(i), v))
	}
	if f.ID >= 0 {
		pr.id, pr.hasID = uint64(f.ID), true
	}
	pr.idSize = idSize(pr.id, pr.hasID)
	pr.attrs = attrSize(pr.vals, pr.idSize)
	if labels {
		pr.label, pr.hasLabel = labelPoint(w)
	}
	return pr
}

// sortedFields is the schema's fields in name order, the order tags are
// written in.
func sortedFields(s layers.Schema) []layers.Field {
	fields := slices.Clone(s.Fields)
	slices.SortFunc(fields, func(a, b layers.Field) int { return strings.Compare(a.Name, b.Name) })
	return fields
}

// store keeps prepared features between renders, per layer for its
// latest snapshot. Features are immutable and a new snapshot shares its
// unchanged features with the previous one, so an edit costs only the
// changed features' preparation: entries are carried over from the previous
// snapshot's table by pointer, and older tables are dropped.
type store struct {
	mu          sync.Mutex
	layers      map[string]*table
	scratchPool sync.Pool // of *scratch
}

// scratch takes working memory for a render; release gives it back.
func (s *store) scratch() *scratch {
	if x, ok := s.scratchPool.Get().(*scratch); ok {
		return x
	}
	return &scratch{}
}

func (s *store) release(x *scratch) {
	x.reset()
	s.scratchPool.Put(x)
}

// table holds one snapshot's prepared features.
type table struct {
	snap   *layers.Snapshot
	fields []layers.Field // sorted
	labels bool           // the schema asks for label points
	mu     sync.RWMutex
	m      map[*layers.Feature]*prepared
	prev   atomic.Pointer[table] // the previous snapshot's, for carrying over
}

// table returns the table for the layer's snapshot, or nil when the
// snapshot is older than the one the store follows (a render still
// running after an edit prepares without keeping) or is that one with
// another wish for label points.
func (s *store) table(src Source) *table {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, snap := src.Schema.Name, src.Snapshot
	t := s.layers[name]
	switch {
	case t != nil && t.snap == snap && t.labels == src.Schema.Labels:
		return t
	case t != nil && snap.Version() <= t.snap.Version():
		return nil
	}
	if s.layers == nil {
		s.layers = map[string]*table{}
	}
	next := &table{snap: snap, fields: sortedFields(src.Schema), labels: src.Schema.Labels, m: map[*layers.Feature]*prepared{}}
	if t != nil && slices.Equal(t.fields, next.fields) && t.labels == next.labels {
		t.prev.Store(nil) // keep one generation
		next.prev.Store(t)
	}
	s.layers[name] = next
	return next
}

// prepareAll fills out[i] for fs[i]: from the table (one read lock for
// all), carried over from the previous snapshot's, or made afresh. A nil
// table prepares afresh with the given fields and label wish.
func (t *table) prepareAll(fs []*layers.Feature, fields []layers.Field, labels bool, out []*prepared) {
	if t == nil {
		for i, f := range fs {
			out[i] = prepare(f, fields, labels)
		}
		return
	}
	missing := 0
	t.mu.RLock()
	for i, f := range fs {
		out[i] = t.m[f]
		if out[i] == nil {
			missing++
		}
	}
	t.mu.RUnlock()
	if missing == 0 {
		return
	}
	prev := t.prev.Load()
	if prev != nil {
		prev.mu.RLock()
	}
	for i, f := range fs {
		if out[i] != nil {
			continue
		}
		if prev != nil {
			out[i] = prev.m[f]
		}
		if out[i] == nil {
			out[i] = prepare(f, t.fields, t.labels)
		}
	}
	if prev != nil {
		prev.mu.RUnlock()
	}
	t.mu.Lock()
	for i, f := range fs {
		if _, ok := t.m[f]; !ok {
			t.m[f] = out[i]
		}
	}
	t.mu.Unlock()
}

// Prepared returns the options with a store that keeps each feature's Web
// Mercator geometry from one render to the next (a few MB for the demo
// district), so that tiles skip the trigonometry. A Cache's options get
// one automatically; pass Prepared options to Render in loops.
func (o Options) Prepared() Options {
	o.store = &store{}
	return o
}

// preparer returns the store's table for the source's snapshot (nil
// without a store: features are prepared afresh).
func (o Options) preparer(s Source) *table {
	if o.store == nil {
		return nil
	}
	return o.store.table(s)
}
