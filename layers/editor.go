package layers

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/paulmach/orb"
)

// ErrNoFeature is returned for an edit of a feature a layer lacks.
var ErrNoFeature = errors.New("layers: no such feature")

// Editor writes the state people set (a team's availability, a road
// closure) into the store a source layer is read from — PostGIS when
// serving from it, the catalog itself for the demo and OSM extracts — and
// reports the catalog version in which the change is visible. The change
// then reaches the catalog through the layer's one writer, its source, as
// every other edit of that store does.
type Editor interface {
	// Insert adds a feature and returns the id the store gave it.
	Insert(ctx context.Context, layer string, g orb.Geometry, props map[string]any) (id int64, version uint64, err error)
	// Update sets the given properties of feature id (others unchanged).
	Update(ctx context.Context, layer string, id int64, props map[string]any) (uint64, error)
	// Delete removes feature id.
	Delete(ctx context.Context, layer string, id int64) (uint64, error)
}

// Memory is the Editor of layers held only in memory (the demo district,
// an OSM extract): it applies edits to the catalog as the layers' owner.
// State set this way lasts as long as the process.
type Memory struct {
	Catalog *Catalog
	Owner   string
}

// Insert adds a feature with the next free id.
func (m Memory) Insert(_ context.Context, layer string, g orb.Geometry, props map[string]any) (int64, uint64, error) {
	l, ok := m.Catalog.Layer(layer)
	if !ok {
		return 0, 0, fmt.Errorf("%w %q", ErrUnknownLayer, layer)
	}
	snap := l.Snapshot()
	id := int64(1)
	if n := snap.Len(); n > 0 {
		id = snap.At(n-1).ID + 1
	}
	next, err := m.Catalog.Apply(m.Owner, layer, []Change{{Op: Upsert, Feature: Feature{ID: id, Geometry: g, Properties: maps.Clone(props)}}})
	if err != nil {
		return 0, 0, err
	}
	return id, next.Version(), nil
}

// Update merges props into feature id's properties.
func (m Memory) Update(_ context.Context, layer string, id int64, props map[string]any) (uint64, error) {
	l, ok := m.Catalog.Layer(layer)
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrUnknownLayer, layer)
	}
	f, ok := l.Snapshot().Get(id)
	if !ok {
		return 0, fmt.Errorf("%w: %s %d", ErrNoFeature, layer, id)
	}
	nf := Feature{ID: f.ID, Geometry: f.Geometry, Properties: maps.Clone(f.Properties)}
	if nf.Properties == nil {
		nf.Properties = map[string]any{}
	}
	maps.Copy(nf.Properties, props)
	next, err := m.Catalog.Apply(m.Owner, layer, []Change{{Op: Upsert, Feature: nf}})
	if err != nil {
		return 0, err
	}
	return next.Version(), nil
}

// Delete removes feature id.
func (m Memory) Delete(_ context.Context, layer string, id int64) (uint64, error) {
	l, ok := m.Catalog.Layer(layer)
	if !ok {
		return 0, fmt.Errorf("%w %q", ErrUnknownLayer, layer)
	}
	if _, ok := l.Snapshot().Get(id); !ok {
		return 0, fmt.Errorf("%w: %s %d", ErrNoFeature, layer, id)
	}
	next, err := m.Catalog.Apply(m.Owner, layer, []Change{{Op: Delete, ID: id}})
	if err != nil {
		return 0, err
	}
	return next.Version(), nil
}
