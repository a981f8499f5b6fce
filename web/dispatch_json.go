package web

import (
	"math"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/onemap/onemap/models/dispatch"
	"github.com/onemap/onemap/spatial/network"
	"github.com/paulmach/orb"
)

// Dispatch answers are written by hand rather than through encoding/json:
// a nearest answer with routes is ~1,000 coordinates, which reflection
// printed with 17 digits each (a 17 KB answer taking several times the
// search's ~70 µs). Here coordinates are rounded to 1e-7° (about 1 cm)
// and printed from integers, into a buffer reused from answer to answer.
// The shape is NearestJSON's and a GeoJSON Feature's, field for field;
// tests decode both with encoding/json.

// answerBuf is the reusable memory of one dispatch answer: the search's
// routes and the JSON bytes.
type answerBuf struct {
	ans network.Answer
	out []byte
}

// maxKeptAnswer bounds the JSON bytes a pooled buffer keeps (an answer
// for every team of a city would otherwise pin its size).
const maxKeptAnswer = 256 << 10

// writeAnswer sends b as a JSON answer with status 200.
func writeAnswer(w http.ResponseWriter, contentType string, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

// appendNearest writes a nearest answer as NearestJSON encodes it, with
// each unit's route unless routes is false.
func appendNearest(b []byte, pt orb.Point, ans dispatch.Answer, k int, m network.Metric, routes bool) []byte {
	b = append(b, `{"alarm":`...)
	b = appendPosition(b, pt)
	b = append(b, `,"snapped":`...)
	b = appendGeometry(b, ans.Snap.Point)
	b = append(b, `,"snap_distance_m":`...)
	b = appendNumber(b, round1(ans.Snap.Metres))
	b = append(b, `,"road_id":`...)
	b = strconv.AppendInt(b, ans.Snap.RoadID, 10)
	b = append(b, `,"metric":`...)
	b = appendString(b, m.String())
	b = append(b, `,"k":`...)
	b = strconv.AppendInt(b, int64(k), 10)
	b = append(b, `,"available":`...)
	b = strconv.AppendInt(b, int64(ans.Available), 10)
	b = append(b, `,"stations":`...)
	b = strconv.AppendInt(b, int64(ans.Stations), 10)
	b = append(b, `,"units":[`...)
	for i, u := range ans.Units {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"rank":`...)
		b = strconv.AppendInt(b, int64(i+1), 10)
		b = append(b, `,"id":`...)
		b = strconv.AppendInt(b, u.ID, 10)
		b = append(b, `,"name":`...)
		b = appendString(b, u.Name)
		b = append(b, `,"eta_s":`...)
		b = appendNumber(b, round1(u.Seconds))
		b = append(b, `,"distance_m":`...)
		b = appendNumber(b, round1(u.Metres))
		if routes {
			b = append(b, `,"route":`...)
			b = appendGeometry(b, orb.LineString(u.Route))
		}
		b = append(b, `,"snapped":`...)
		b = appendGeometry(b, u.Snapped)
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}

// appendIsochrone writes an isochrone as the GeoJSON Feature
// geojson.NewFeature(iso.Polygon) with its properties encodes (keys in
// encoding/json's sorted order).
func appendIsochrone(b []byte, iso network.Isochrone, minutes float64) []byte {
	b = append(b, `{"type":"Feature","geometry":`...)
	b = appendGeometry(b, iso.Polygon)
	b = append(b, `,"properties":{"cell_m":`...)
	b = appendNumber(b, iso.Cell)
	b = append(b, `,"method":"network","minutes":`...)
	b = appendNumber(b, minutes)
	b = append(b, `,"snap_distance_m":`...)
	b = appendNumber(b, round1(iso.Source.Metres))
	b = append(b, `,"snapped":`...)
	b = appendPosition(b, iso.Source.Point)
	return append(b, "}}\n"...)
}

// appendGeometry writes a GeoJSON geometry object; an empty one has null
// coordinates, as orb's geojson writes it.
func appendGeometry(b []byte, g orb.Geometry) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, g.GeoJSONType())
	b = append(b, `,"coordinates":`...)
	switch g := g.(type) {
	case orb.Point:
		b = appendPosition(b, g)
	case orb.MultiPoint:
		b = appendPositions(b, g)
	case orb.LineString:
		b = appendPositions(b, g)
	case orb.Ring:
		b = appendPositions(b, g)
	case orb.MultiLineString:
		b = appendNested(b, len(g), g == nil, func(b []byte, i int) []byte { return appendPositions(b, g[i]) })
	case orb.Polygon:
		b = appendNested(b, len(g), g == nil, func(b []byte, i int) []byte { return appendPositions(b, g[i]) })
	case orb.MultiPolygon:
		b = appendNested(b, len(g), g == nil, func(b []byte, i int) []byte {
			p := g[i]
			return appendNested(b, len(p), p == nil, func(b []byte, j int) []byte { return appendPositions(b, p[j]) })
		})
	default:
		b = append(b, "null"...)
	}
	return append(b, '}')
}

// appendNested writes an array of n parts (null when the slice is nil).
func appendNested(b []byte, n int, isNil bool, part func([]byte, int) []byte) []byte {
	if isNil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = part(b, i)
	}
	return append(b, ']')
}

func appendPositions(b []byte, ps []orb.Point) []byte {
	if ps == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPosition(b, p)
	}
	return append(b, ']')
}

func appendPosition(b []byte, p orb.Point) []byte {
	b = append(b, '[')
	b = appendCoord(b, p[0])
	b = append(b, ',')
	b = appendCoord(b, p[1])
	return append(b, ']')
}

// appendCoord writes a coordinate in degrees rounded to 1e-7 (half away
// from zero), without trailing zeros; NaN and infinities, which JSON
// cannot hold, as null.
func appendCoord(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1e11 {
		return appendNumber(b, v)
	}
	n := int64(math.Round(v * 1e7))
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/1e7, 10)
	frac := n % 1e7
	if frac == 0 {
		return b
	}
	var d [8]byte
	d[0] = '.'
	for i := 7; i > 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := 8
	for d[end-1] == '0' {
		end--
	}
	return append(b, d[:end]...)
}

// appendNumber writes v as encoding/json does (shortest form, exponent
// outside 1e-6..1e21), NaN and infinities as null.
func appendNumber(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(v)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		b = strconv.AppendFloat(b, v, 'e', -1, 64)
		// encoding/json's clean-up: e-07 → e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
		return b
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

// appendString writes s as a JSON string the way encoding/json does with
// HTML escaping off: quotes, backslashes and control characters escaped,
// U+2028 and U+2029 escaped, invalid UTF-8 replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
