package tiles

import (
	"fmt"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
)

// encodeTile writes the parts' layers as one tile with orb's
// encoding/mvt, in one mvt.Marshal. The GeoJSON features handed to
// Marshal are the scratch's, reused render after render (Marshal keeps
// none of them), and carry the prepared features' own properties and ids,
// which Marshal only reads.
func encodeTile(parts []part, extent uint32, s *scratch) ([]byte, error) {
	n := 0
	for i := range parts {
		n += len(parts[i].l.features)
	}
	feats := s.geoFeatures(n)
	mls := make(mvt.Layers, len(parts))
	at := 0
	for i := range parts {
		l := &parts[i].l
		mls[i] = &mvt.Layer{Name: l.name, Version: 2, Extent: extent, Features: fill(feats[at:at+len(l.features)], l)}
		at += len(l.features)
	}
	b, err := mvt.Marshal(mls)
	release(feats)
	return b, err
}

// encodeLayer writes one layer as a whole tile message (vector_tile.Tile
// with this one layer) with mvt.Marshal: what the layer adds to a tile.
func encodeLayer(l *layer, extent uint32, s *scratch) ([]byte, error) {
	feats := s.geoFeatures(len(l.features))
	ml := &mvt.Layer{Name: l.name, Version: 2, Extent: extent, Features: fill(feats, l)}
	b, err := mvt.Marshal(mvt.Layers{ml})
	release(feats)
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", l.name, err)
	}
	return b, nil
}

// geoFeatures returns n reusable GeoJSON features.
func (s *scratch) geoFeatures(n int) []*geojson.Feature {
	for len(s.feats) < n {
		s.feats = append(s.feats, &geojson.Feature{Type: "Feature"})
	}
	return s.feats[:n]
}

// fill points gfs at the layer's features and returns it.
func fill(gfs []*geojson.Feature, l *layer) []*geojson.Feature {
	for i := range l.features {
		f := &l.features[i]
		gf := gfs[i]
		gf.Geometry, gf.Properties, gf.ID = f.geom, f.pr.props, f.pr.id
	}
	return gfs
}

// release lets go of what fill pointed the features at.
func release(gfs []*geojson.Feature) {
	for _, gf := range gfs {
		gf.Geometry, gf.Properties, gf.ID = nil, nil, nil
	}
}
