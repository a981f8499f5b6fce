package web

import (
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// ParseBBox parses an OGC bbox "minLon,minLat,maxLon,maxLat" in WGS84.
func ParseBBox(s string) (orb.Bound, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return orb.Bound{}, BadRequest("bbox", "want 4 numbers minLon,minLat,maxLon,maxLat, got %d", len(parts))
	}
	if len(parts) == 6 { // 3D: minx,miny,minz,maxx,maxy,maxz
		parts = []string{parts[0], parts[1], parts[3], parts[4]}
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return orb.Bound{}, BadRequest("bbox", "%q is not a number", p)
		}
		v[i] = f
	}
	b := orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}
	if b.Min[0] < -180 || b.Max[0] > 180 || b.Min[1] < -90 || b.Max[1] > 90 {
		return orb.Bound{}, BadRequest("bbox", "outside WGS84 range (lon −180..180, lat −90..90)")
	}
	if b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
		return orb.Bound{}, BadRequest("bbox", "min is greater than max")
	}
	return b, nil
}

// ParseLonLat reads the lon and lat query parameters.
func ParseLonLat(q url.Values) (orb.Point, error) {
	var p orb.Point
	for i, name := range []string{"lon", "lat"} {
		s := q.Get(name)
		if s == "" {
			return p, BadRequest(name, "required")
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return p, BadRequest(name, "%q is not a number", s)
		}
		lim := 180.0
		if name == "lat" {
			lim = 90
		}
		if f < -lim || f > lim {
			return p, BadRequest(name, "%v is out of range ±%v", f, lim)
		}
		p[i] = f
	}
	return p, nil
}

// ParseInt reads an optional integer query parameter within [min, max]
// (def when absent).
func ParseInt(q url.Values, name string, def, min, max int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, BadRequest(name, "%q is not an integer", s)
	}
	if n < min || n > max {
		return 0, BadRequest(name, "%d is out of range %d..%d", n, min, max)
	}
	return n, nil
}
