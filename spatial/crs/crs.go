// Package crs names the coordinate reference systems onemap answers in
// (OGC API – Features Part 2) and converts geometries between them and the
// WGS84 lon/lat the layers hold.
//
// EPSG:4490 (CGCS2000) is treated as equal to WGS84: the two datums differ
// by centimetres, and PostGIS's ST_Transform (PROJ with no published
// 4326↔4490 transformation) passes the coordinates through unchanged.
package crs

import (
	"fmt"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"
)

// CRS is one coordinate reference system: its OGC URI, EPSG code (0 for
// CRS84) and whether its first axis is latitude (EPSG geographic CRSs).
type CRS struct {
	URI    string
	SRID   int
	LatLon bool
	// Projected is true for EPSG:3857 (metres on Web Mercator).
	Projected bool
}

// The reference systems onemap serves.
var (
	CRS84    = CRS{URI: "http://www.opengis.net/def/crs/OGC/1.3/CRS84", SRID: 4326}
	EPSG4326 = CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/4326", SRID: 4326, LatLon: true}
	EPSG3857 = CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/3857", SRID: 3857, Projected: true}
	EPSG4490 = CRS{URI: "http://www.opengis.net/def/crs/EPSG/0/4490", SRID: 4490, LatLon: true}
)

// All lists the supported systems, CRS84 (the default) first.
func All() []CRS { return []CRS{CRS84, EPSG4326, EPSG3857, EPSG4490} }

// URIs lists the URIs of All.
func URIs() []string {
	out := make([]string, 0, 4)
	for _, c := range All() {
		out = append(out, c.URI)
	}
	return out
}

// Parse reads a CRS given as an OGC URI, a safe CURIE ([EPSG:3857]) or
// EPSG:n / OGC:CRS84. The error lists what is supported.
func Parse(s string) (CRS, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(strings.TrimPrefix(t, "["), "]")
	for _, c := range All() {
		if t == c.URI || strings.TrimPrefix(t, "https://") == strings.TrimPrefix(c.URI, "http://") {
			return c, nil
		}
	}
	switch strings.ToUpper(t) {
	case "OGC:CRS84", "CRS84":
		return CRS84, nil
	case "EPSG:4326":
		return EPSG4326, nil
	case "EPSG:3857", "EPSG:900913":
		return EPSG3857, nil
	case "EPSG:4490":
		return EPSG4490, nil
	}
	return CRS{}, fmt.Errorf("unsupported CRS %q; supported: %s", s, strings.Join(URIs(), ", "))
}

// FromWGS84 converts g (lon/lat) into c's coordinates and axis order. g is
// not modified.
func (c CRS) FromWGS84(g orb.Geometry) orb.Geometry {
	switch {
	case c.Projected:
		return project.Geometry(orb.Clone(g), project.WGS84.ToMercator)
	case c.LatLon:
		return project.Geometry(orb.Clone(g), swap)
	}
	return g
}

// ToWGS84 converts g from c's coordinates into lon/lat. g is not modified.
func (c CRS) ToWGS84(g orb.Geometry) orb.Geometry {
	switch {
	case c.Projected:
		return project.Geometry(orb.Clone(g), project.Mercator.ToWGS84)
	case c.LatLon:
		return project.Geometry(orb.Clone(g), swap)
	}
	return g
}

// BoundToWGS84 converts a bbox given in c (minx,miny,maxx,maxy in c's
// axis order) to a lon/lat bound.
func (c CRS) BoundToWGS84(b orb.Bound) orb.Bound {
	lo, hi := c.ToWGS84(b.Min).(orb.Point), c.ToWGS84(b.Max).(orb.Point)
	return orb.Bound{Min: lo, Max: lo}.Extend(hi)
}

// BoundFromWGS84 converts a lon/lat bound into c's axis order.
func (c CRS) BoundFromWGS84(b orb.Bound) orb.Bound {
	lo, hi := c.FromWGS84(b.Min).(orb.Point), c.FromWGS84(b.Max).(orb.Point)
	return orb.Bound{Min: lo, Max: lo}.Extend(hi)
}

func swap(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} }
