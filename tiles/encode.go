package tiles

import (
	"fmt"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
)

// encodeLayer writes one layer as a whole tile message (vector_tile.Tile
// with this one layer) with orb's encoding/mvt. Tile messages concatenate
// into a tile of several layers (a repeated protobuf field), which lets
// Render size each layer on its own while it thins. The GeoJSON features
// handed to mvt.Marshal are the scratch's, reused render after render
// (Marshal keeps none of them), and carry the prepared features' own
// properties and ids, which Marshal only reads.
func encodeLayer(l *layer, extent uint32, s *scratch) ([]byte, error) {
	n := len(l.features)
	for len(s.feats) < n {
		s.feats = append(s.feats, &geojson.Feature{Type: "Feature"})
	}
	ml := &mvt.Layer{Name: l.name, Version: 2, Extent: extent, Features: s.feats[:n]}
	for i, f := range l.features {
		gf := s.feats[i]
		gf.Geometry, gf.Properties, gf.ID = f.geom, f.props, f.id
	}
	b, err := mvt.Marshal(mvt.Layers{ml})
	for _, gf := range s.feats[:n] {
		gf.Geometry, gf.Properties = nil, nil // keep nothing alive
	}
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", l.name, err)
	}
	return b, nil
}
