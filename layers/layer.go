// Package layers holds every map layer in memory as an immutable snapshot of
// features indexed by an R-tree. Writers build the next snapshot and swap a
// pointer; readers take the current snapshot and never wait.
package layers

import (
	"sort"
	"sync/atomic"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// GeomType names the geometry a layer holds, as OGC simple features do.
type GeomType string

// The geometry types a layer may declare.
const (
	Point           GeomType = "Point"
	LineString      GeomType = "LineString"
	Polygon         GeomType = "Polygon"
	MultiPoint      GeomType = "MultiPoint"
	MultiLineString GeomType = "MultiLineString"
	MultiPolygon    GeomType = "MultiPolygon"
	// Geometry is any of the above, for layers that mix them (a road
	// closure is a road's line or an area; a PostGIS geometry column with
	// no declared type): each feature's own type is kept.
	Geometry GeomType = "Geometry"
)

// FieldType is the type of one attribute field.
type FieldType string

// The attribute types a field may declare.
const (
	String FieldType = "string"
	Int    FieldType = "int"
	Float  FieldType = "float"
	Bool   FieldType = "bool"
)

// Field describes one attribute of a layer's features.
type Field struct {
	Name    string    `json:"name"`
	Type    FieldType `json:"type"`
	TitleZH string    `json:"title_zh,omitempty"`
	TitleEN string    `json:"title_en,omitempty"`
}

// Schema is what a layer is: its name, titles, geometry, fields and zoom range.
type Schema struct {
	Name        string   `json:"name"`
	TitleZH     string   `json:"title_zh"`
	TitleEN     string   `json:"title_en"`
	Geometry    GeomType `json:"geometry"`
	Fields      []Field  `json:"fields"`
	MinZoom     int      `json:"minzoom"`
	MaxZoom     int      `json:"maxzoom"`
	Description string   `json:"description,omitempty"`
	// Synthetic is true for generated demo data; the page shows a badge for it.
	Synthetic   bool   `json:"synthetic"`
	Attribution string `json:"attribution,omitempty"`
	// Labels asks vector tiles of a polygon layer for a companion point
	// layer (tiles.LabelLayer) with one point per feature, where its label
	// goes, in the one tile that holds the point: a polygon spanning
	// several tiles then gets one label, not one per tile. The points are
	// in tiles from LabelMinZoom (and MinZoom) on: below, a fine level's
	// names are not drawn, and thousands of points would weigh on the tile.
	Labels       bool `json:"labels,omitempty"`
	LabelMinZoom int  `json:"label_minzoom,omitempty"`
	// Source names where a layer published from the user's own database
	// comes from (postgis:schema.table); empty for onemap's own layers.
	Source string `json:"source,omitempty"`
	// Owner names the layer's one writer: a source (OwnerDemo,
	// OwnerPostGIS, OwnerOSM) or the model that derives it. The catalog
	// refuses changes from anyone else.
	Owner string `json:"owner,omitempty"`
	// Derived marks a layer computed from other layers (network fire
	// circles, school pressure, resource access): sources never store,
	// read or reload it; its model recomputes it when an input changes.
	Derived bool `json:"derived,omitempty"`
}

// The sources that own layers; a derived layer's owner is its model.
const (
	OwnerDemo    = "demo"
	OwnerPostGIS = "postgis"
	OwnerOSM     = "osm"
)

// Field returns the named field and whether the schema has it.
func (s Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// Feature is one map object: a stable id, a geometry in WGS84 lon/lat and its
// attributes. Features inside a snapshot are shared and must not be modified.
type Feature struct {
	ID         int64
	Geometry   orb.Geometry
	Properties map[string]any
}

// Bound is the feature's bounding box.
func (f *Feature) Bound() orb.Bound { return f.Geometry.Bound() }

// Snapshot is an immutable version of a layer's features with an R-tree over
// their bounds. Every method is safe for concurrent use.
type Snapshot struct {
	version uint64
	ids     []int64 // sorted ascending: the stable order for paging
	byID    map[int64]*Feature
	index   *rtree.RTreeG[*Feature]
	bound   orb.Bound
}

// NewSnapshot indexes features as version v. Later features replace earlier
// ones with the same id.
func NewSnapshot(v uint64, features []Feature) *Snapshot {
	s := &Snapshot{version: v, byID: make(map[int64]*Feature, len(features)), index: &rtree.RTreeG[*Feature]{}}
	for i := range features {
		f := &features[i]
		if old, ok := s.byID[f.ID]; ok {
			b := old.Bound()
			s.index.Delete(b.Min, b.Max, old)
		}
		s.byID[f.ID] = f
		b := f.Bound()
		s.index.Insert(b.Min, b.Max, f)
	}
	s.finish()
	return s
}

func (s *Snapshot) finish() {
	s.ids = make([]int64, 0, len(s.byID))
	for id := range s.byID {
		s.ids = append(s.ids, id)
	}
	sort.Slice(s.ids, func(i, j int) bool { return s.ids[i] < s.ids[j] })
	if s.index.Len() > 0 {
		min, max := s.index.Bounds()
		s.bound = orb.Bound{Min: min, Max: max}
	} else {
		s.bound = orb.Bound{}
	}
}

// Version is the snapshot's version number; it grows with every change.
func (s *Snapshot) Version() uint64 { return s.version }

// Len is the number of features.
func (s *Snapshot) Len() int { return len(s.ids) }

// Bound is the bounding box of all features (zero when empty).
func (s *Snapshot) Bound() orb.Bound { return s.bound }

// Get returns the feature with the id.
func (s *Snapshot) Get(id int64) (*Feature, bool) {
	f, ok := s.byID[id]
	return f, ok
}

// At returns the i-th feature in id order, for paging.
func (s *Snapshot) At(i int) *Feature { return s.byID[s.ids[i]] }

// Search calls fn for every feature whose bounds intersect b until fn
// returns false.
func (s *Snapshot) Search(b orb.Bound, fn func(f *Feature) bool) {
	s.index.Search(b.Min, b.Max, func(_, _ [2]float64, f *Feature) bool { return fn(f) })
}

// All calls fn for every feature in id order until fn returns false.
func (s *Snapshot) All(fn func(f *Feature) bool) {
	for _, id := range s.ids {
		if !fn(s.byID[id]) {
			return
		}
	}
}

// Nearby calls fn with features in order of box distance from pt (in
// degrees, squared) until fn returns false. Callers that need metres refine
// with the exact geometry.
func (s *Snapshot) Nearby(pt orb.Point, fn func(f *Feature, boxDist float64) bool) {
	s.index.Nearby(rtree.BoxDist[float64, *Feature](pt, pt, nil),
		func(_, _ [2]float64, f *Feature, dist float64) bool { return fn(f, dist) })
}

// Op is the kind of a change.
type Op int

// The change kinds.
const (
	Upsert Op = iota
	Delete
)

// Change is one edit to a layer: an upsert of a feature or the delete of an id.
type Change struct {
	Op      Op
	Feature Feature // for Upsert
	ID      int64   // for Delete
}

// apply returns the next snapshot with changes applied and the bounds they
// touched (old and new positions both).
func (s *Snapshot) apply(v uint64, changes []Change) (*Snapshot, []orb.Bound) {
	next := &Snapshot{version: v, byID: make(map[int64]*Feature, len(s.byID)+len(changes)), index: s.index.Copy()}
	for id, f := range s.byID {
		next.byID[id] = f
	}
	var touched []orb.Bound
	for _, c := range changes {
		id := c.ID
		if c.Op == Upsert {
			id = c.Feature.ID
		}
		if old, ok := next.byID[id]; ok {
			b := old.Bound()
			next.index.Delete(b.Min, b.Max, old)
			delete(next.byID, id)
			touched = append(touched, b)
		}
		if c.Op == Upsert {
			f := c.Feature
			next.byID[id] = &f
			b := f.Bound()
			next.index.Insert(b.Min, b.Max, &f)
			touched = append(touched, b)
		}
	}
	next.finish()
	return next, touched
}

// Layer is a named layer: its schema and its current snapshot.
type Layer struct {
	Schema Schema
	snap   atomic.Pointer[Snapshot]
}

// Snapshot returns the current snapshot; it never blocks.
func (l *Layer) Snapshot() *Snapshot { return l.snap.Load() }
