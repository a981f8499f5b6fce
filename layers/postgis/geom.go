package postgis

import (
	"fmt"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// conform returns g as the geometry type t, promoting a single geometry to
// its multi form (Polygon → MultiPolygon) and a multi geometry of one part
// to the single form, so that columns and snapshots always hold the layer's
// declared type.
func conform(g orb.Geometry, t layers.GeomType) (orb.Geometry, error) {
	if g == nil {
		return nil, fmt.Errorf("no geometry")
	}
	if layers.GeomType(g.GeoJSONType()) == t || t == layers.Geometry {
		return g, nil
	}
	switch t {
	case layers.Point:
		if m, ok := g.(orb.MultiPoint); ok && len(m) == 1 {
			return m[0], nil
		}
	case layers.LineString:
		if m, ok := g.(orb.MultiLineString); ok && len(m) == 1 {
			return m[0], nil
		}
	case layers.Polygon:
		if m, ok := g.(orb.MultiPolygon); ok && len(m) == 1 {
			return m[0], nil
		}
	case layers.MultiPoint:
		if p, ok := g.(orb.Point); ok {
			return orb.MultiPoint{p}, nil
		}
	case layers.MultiLineString:
		if l, ok := g.(orb.LineString); ok {
			return orb.MultiLineString{l}, nil
		}
	case layers.MultiPolygon:
		if p, ok := g.(orb.Polygon); ok {
			return orb.MultiPolygon{p}, nil
		}
	}
	return nil, fmt.Errorf("geometry is %s, layer wants %s", g.GeoJSONType(), t)
}

// decodeGeometry parses WKB and conforms it to the layer's type.
func decodeGeometry(b []byte, t layers.GeomType) (orb.Geometry, error) {
	if b == nil {
		return nil, fmt.Errorf("no geometry")
	}
	g, err := wkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("decode WKB: %w", err)
	}
	return conform(g, t)
}
