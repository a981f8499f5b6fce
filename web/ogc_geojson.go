package web

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"

	"github.com/paulmach/orb"
)

// appendFeature appends the GeoJSON of one feature (id, geometry in the
// coordinates given, properties in key order) without reflection: a page
// of 1,000 features is most of an items request's time otherwise.
func appendFeature(b []byte, id int64, g orb.Geometry, props map[string]any) []byte {
	b = append(b, `{"type":"Feature","id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"geometry":`...)
	b = appendFullGeometry(b, g)
	b = append(b, `,"properties":{`...)
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendValue(b, props[k])
	}
	return append(b, "}}"...)
}

func appendFullGeometry(b []byte, g orb.Geometry) []byte {
	if g == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"type":"`...)
	b = append(b, g.GeoJSONType()...)
	if c, ok := g.(orb.Collection); ok {
		b = append(b, `","geometries":[`...)
		for i, m := range c {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFullGeometry(b, m)
		}
		return append(b, "]}"...)
	}
	b = append(b, `","coordinates":`...)
	b = appendCoords(b, g)
	return append(b, '}')
}

func appendPoint(b []byte, p orb.Point) []byte {
	b = append(b, '[')
	b = appendFloat(b, p[0])
	b = append(b, ',')
	b = appendFloat(b, p[1])
	return append(b, ']')
}

func appendPoints(b []byte, ps []orb.Point) []byte {
	b = append(b, '[')
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPoint(b, p)
	}
	return append(b, ']')
}

func appendCoords(b []byte, g orb.Geometry) []byte {
	switch x := g.(type) {
	case orb.Point:
		return appendPoint(b, x)
	case orb.MultiPoint:
		return appendPoints(b, x)
	case orb.LineString:
		return appendPoints(b, x)
	case orb.Ring:
		return appendPoints(b, x)
	case orb.MultiLineString:
		b = append(b, '[')
		for i, l := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPoints(b, l)
		}
		return append(b, ']')
	case orb.Polygon:
		b = append(b, '[')
		for i, r := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPoints(b, r)
		}
		return append(b, ']')
	case orb.MultiPolygon:
		b = append(b, '[')
		for i, p := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCoords(b, p)
		}
		return append(b, ']')
	case orb.Bound:
		return appendCoords(b, x.ToPolygon())
	}
	return append(b, "null"...)
}

// appendFloat writes f as encoding/json does (shortest round-trip form).
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, f, 'e', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, x)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case float64:
		return appendFloat(b, x)
	case float32:
		return appendFloat(b, float64(x))
	case bool:
		return strconv.AppendBool(b, x)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

// marshalPlain is json.Marshal without HTML escaping (links keep their &).
func marshalPlain(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
