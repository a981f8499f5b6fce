package tiles

import (
	"errors"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"google.golang.org/protobuf/encoding/protowire"
)

// Layer is one layer of a decoded tile.
type Layer struct {
	Name     string
	Version  uint32
	Extent   uint32
	Features []Feature
}

// GeomType is an MVT geometry type.
type GeomType int

// The MVT geometry types.
const (
	Unknown GeomType = iota
	PointType
	LineStringType
	PolygonType
)

// Feature is one decoded feature. Geometry is in tile coordinates: a Point
// or MultiPoint, LineString or MultiLineString, Polygon or MultiPolygon (a
// ring of positive area starts a new polygon), nil for type Unknown.
// Property values are string, float32, float64, int64, uint64 or bool.
type Feature struct {
	ID         uint64
	HasID      bool
	Type       GeomType
	Geometry   orb.Geometry
	Properties map[string]any
}

// Decode reads an uncompressed tile and checks it against spec 2.1 as a
// strict reader would: wire types, required fields (layer name and version,
// feature type and geometry), unique layer names, tags in range, command
// counts matching the parameters, no zero-length LineTo, polygon rings
// closed exactly once with non-zero area and the first ring of each polygon
// exterior. It never panics and never allocates more than the input
// justifies. It is written on protowire alone, independent of the encoder
// Render uses.
func Decode(b []byte) ([]Layer, error) {
	var out []Layer
	names := map[string]bool{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("mvt: tile: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == 3:
			if typ != protowire.BytesType {
				return nil, errors.New("mvt: tile: layer has wrong wire type")
			}
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("mvt: tile: %w", protowire.ParseError(n))
			}
			b = b[n:]
			l, err := decodeLayer(v)
			if err != nil {
				return nil, err
			}
			if names[l.Name] {
				return nil, fmt.Errorf("mvt: two layers named %q", l.Name)
			}
			names[l.Name] = true
			out = append(out, l)
		case num >= 16 && num <= 8191: // extensions
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, fmt.Errorf("mvt: tile: %w", protowire.ParseError(n))
			}
			b = b[n:]
		default:
			return nil, fmt.Errorf("mvt: tile: unknown field %d", num)
		}
	}
	return out, nil
}

type rawFeature struct {
	id          uint64
	hasID       bool
	typ         uint64
	hasTyp      bool
	tags, geom  []uint64
	hasTags     bool
	hasGeometry bool
}

func decodeLayer(b []byte) (Layer, error) {
	l := Layer{Extent: 4096}
	var hasName, hasVersion bool
	var keys []string
	var values []any
	var raws []rawFeature
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return l, fmt.Errorf("mvt: layer: %w", protowire.ParseError(n))
		}
		b = b[n:]
		want := protowire.BytesType
		if num == 15 || num == 5 {
			want = protowire.VarintType
		}
		if num >= 16 {
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return l, fmt.Errorf("mvt: layer: %w", protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		if num < 1 || num > 5 && num != 15 {
			return l, fmt.Errorf("mvt: layer: unknown field %d", num)
		}
		if typ != want {
			return l, fmt.Errorf("mvt: layer: field %d has wrong wire type", num)
		}
		if want == protowire.VarintType {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return l, fmt.Errorf("mvt: layer: %w", protowire.ParseError(n))
			}
			b = b[n:]
			if num == 15 {
				if v != 1 && v != 2 {
					return l, fmt.Errorf("mvt: layer: version %d", v)
				}
				l.Version, hasVersion = uint32(v), true
			} else {
				if v == 0 || v > math.MaxUint32 {
					return l, fmt.Errorf("mvt: layer: extent %d", v)
				}
				l.Extent = uint32(v)
			}
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return l, fmt.Errorf("mvt: layer: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch num {
		case 1:
			l.Name, hasName = string(v), true
		case 2:
			f, err := decodeFeature(v)
			if err != nil {
				return l, err
			}
			raws = append(raws, f)
		case 3:
			keys = append(keys, string(v))
		case 4:
			val, err := decodeValue(v)
			if err != nil {
				return l, err
			}
			values = append(values, val)
		}
	}
	if !hasName || l.Name == "" {
		return l, errors.New("mvt: layer without a name")
	}
	if !hasVersion {
		return l, fmt.Errorf("mvt: layer %q without a version", l.Name)
	}
	for i, r := range raws {
		f := Feature{ID: r.id, HasID: r.hasID, Type: GeomType(r.typ)}
		if len(r.tags)%2 != 0 {
			return l, fmt.Errorf("mvt: layer %q feature %d: odd number of tags", l.Name, i)
		}
		if len(r.tags) > 0 {
			f.Properties = make(map[string]any, len(r.tags)/2)
		}
		for j := 0; j < len(r.tags); j += 2 {
			k, v := r.tags[j], r.tags[j+1]
			if k >= uint64(len(keys)) || v >= uint64(len(values)) {
				return l, fmt.Errorf("mvt: layer %q feature %d: tag (%d, %d) out of range", l.Name, i, k, v)
			}
			f.Properties[keys[k]] = values[v]
		}
		g, err := decodeGeometry(f.Type, r.geom)
		if err != nil {
			return l, fmt.Errorf("mvt: layer %q feature %d: %w", l.Name, i, err)
		}
		f.Geometry = g
		l.Features = append(l.Features, f)
	}
	return l, nil
}

// packed reads a repeated uint32 field in packed or unpacked form.
func packed(typ protowire.Type, b []byte, dst []uint64) ([]uint64, int, error) {
	if typ == protowire.VarintType {
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return nil, 0, protowire.ParseError(n)
		}
		return append(dst, v), n, nil
	}
	if typ != protowire.BytesType {
		return nil, 0, errors.New("wrong wire type")
	}
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return nil, 0, protowire.ParseError(n)
	}
	for len(v) > 0 {
		x, m := protowire.ConsumeVarint(v)
		if m < 0 {
			return nil, 0, protowire.ParseError(m)
		}
		if x > math.MaxUint32 {
			return nil, 0, fmt.Errorf("value %d exceeds uint32", x)
		}
		dst = append(dst, x)
		v = v[m:]
	}
	return dst, n, nil
}

func decodeFeature(b []byte) (rawFeature, error) {
	var f rawFeature
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return f, fmt.Errorf("mvt: feature: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch num {
		case 1, 3:
			if typ != protowire.VarintType {
				return f, fmt.Errorf("mvt: feature: field %d has wrong wire type", num)
			}
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return f, fmt.Errorf("mvt: feature: %w", protowire.ParseError(n))
			}
			b = b[n:]
			if num == 1 {
				f.id, f.hasID = v, true
			} else {
				if v > 3 {
					return f, fmt.Errorf("mvt: feature: geometry type %d", v)
				}
				f.typ, f.hasTyp = v, true
			}
		case 2, 4:
			if typ == protowire.BytesType && (num == 2 && f.hasTags || num == 4 && f.hasGeometry) {
				return f, fmt.Errorf("mvt: feature: field %d given twice", num)
			}
			var err error
			var n int
			if num == 2 {
				f.tags, n, err = packed(typ, b, f.tags)
				f.hasTags = true
			} else {
				f.geom, n, err = packed(typ, b, f.geom)
				f.hasGeometry = true
			}
			if err != nil {
				return f, fmt.Errorf("mvt: feature: field %d: %w", num, err)
			}
			b = b[n:]
		default:
			return f, fmt.Errorf("mvt: feature: unknown field %d", num)
		}
	}
	if !f.hasTyp {
		return f, errors.New("mvt: feature without a geometry type")
	}
	if !f.hasGeometry {
		return f, errors.New("mvt: feature without a geometry")
	}
	return f, nil
}

func decodeValue(b []byte) (any, error) {
	var out any
	fields := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("mvt: value: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var want protowire.Type
		switch num {
		case 1:
			want = protowire.BytesType
		case 2:
			want = protowire.Fixed32Type
		case 3:
			want = protowire.Fixed64Type
		case 4, 5, 6, 7:
			want = protowire.VarintType
		default:
			return nil, fmt.Errorf("mvt: value: unknown field %d", num)
		}
		if typ != want {
			return nil, fmt.Errorf("mvt: value: field %d has wrong wire type", num)
		}
		fields++
		switch typ {
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("mvt: value: %w", protowire.ParseError(n))
			}
			b, out = b[n:], string(v)
		case protowire.Fixed32Type:
			v, n := protowire.ConsumeFixed32(b)
			if n < 0 {
				return nil, fmt.Errorf("mvt: value: %w", protowire.ParseError(n))
			}
			b, out = b[n:], math.Float32frombits(v)
		case protowire.Fixed64Type:
			v, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return nil, fmt.Errorf("mvt: value: %w", protowire.ParseError(n))
			}
			b, out = b[n:], math.Float64frombits(v)
		default:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, fmt.Errorf("mvt: value: %w", protowire.ParseError(n))
			}
			b = b[n:]
			switch num {
			case 4:
				out = int64(v)
			case 5:
				out = v
			case 6:
				out = protowire.DecodeZigZag(v)
			case 7:
				if v > 1 {
					return nil, fmt.Errorf("mvt: value: bool %d", v)
				}
				out = v == 1
			}
		}
	}
	if fields != 1 {
		return nil, fmt.Errorf("mvt: value with %d fields, want 1", fields)
	}
	return out, nil
}

// The geometry commands.
const (
	cmdMoveTo    = 1
	cmdLineTo    = 2
	cmdClosePath = 7
)

type cursor struct {
	g    []uint64
	x, y int64
}

func (c *cursor) command() (id, count uint64, err error) {
	if len(c.g) == 0 {
		return 0, 0, errors.New("geometry ends where a command is due")
	}
	v := c.g[0]
	c.g = c.g[1:]
	id, count = v&7, v>>3
	switch id {
	case cmdMoveTo, cmdLineTo:
		if count == 0 {
			return 0, 0, fmt.Errorf("command %d with count 0", id)
		}
		if count > uint64(len(c.g))/2 {
			return 0, 0, fmt.Errorf("command %d count %d exceeds the %d parameters left", id, count, len(c.g))
		}
	case cmdClosePath:
		if count != 1 {
			return 0, 0, fmt.Errorf("ClosePath count %d, want 1", count)
		}
	default:
		return 0, 0, fmt.Errorf("unknown command %d", id)
	}
	return id, count, nil
}

// point consumes one parameter pair and reports whether it moved.
func (c *cursor) point() (orb.Point, bool) {
	dx, dy := protowire.DecodeZigZag(c.g[0]), protowire.DecodeZigZag(c.g[1])
	c.g = c.g[2:]
	c.x += dx
	c.y += dy
	return orb.Point{float64(c.x), float64(c.y)}, dx != 0 || dy != 0
}

func decodeGeometry(t GeomType, g []uint64) (orb.Geometry, error) {
	c := &cursor{g: g}
	switch t {
	case Unknown:
		return nil, nil
	case PointType:
		id, count, err := c.command()
		if err != nil {
			return nil, err
		}
		if id != cmdMoveTo {
			return nil, fmt.Errorf("point geometry starts with command %d", id)
		}
		mp := make(orb.MultiPoint, 0, count)
		for i := uint64(0); i < count; i++ {
			p, _ := c.point()
			mp = append(mp, p)
		}
		if len(c.g) != 0 {
			return nil, errors.New("point geometry has data after its MoveTo")
		}
		if len(mp) == 1 {
			return mp[0], nil
		}
		return mp, nil
	case LineStringType:
		var mls orb.MultiLineString
		for len(c.g) > 0 {
			ls, err := c.path(1)
			if err != nil {
				return nil, err
			}
			mls = append(mls, ls)
		}
		switch len(mls) {
		case 0:
			return nil, errors.New("empty linestring geometry")
		case 1:
			return mls[0], nil
		}
		return mls, nil
	case PolygonType:
		var mp orb.MultiPolygon
		for len(c.g) > 0 {
			ls, err := c.path(2)
			if err != nil {
				return nil, err
			}
			id, _, err := c.command()
			if err != nil {
				return nil, err
			}
			if id != cmdClosePath {
				return nil, fmt.Errorf("ring ends with command %d, want ClosePath", id)
			}
			r := orb.Ring(append(ls, ls[0]))
			a := ringArea(r)
			switch {
			case a == 0:
				return nil, errors.New("ring with zero area")
			case a > 0:
				mp = append(mp, orb.Polygon{r})
			case len(mp) == 0:
				return nil, errors.New("polygon starts with an interior ring (negative area)")
			default:
				mp[len(mp)-1] = append(mp[len(mp)-1], r)
			}
		}
		switch len(mp) {
		case 0:
			return nil, errors.New("empty polygon geometry")
		case 1:
			return mp[0], nil
		}
		return mp, nil
	}
	return nil, fmt.Errorf("geometry type %d", t)
}

// path reads MoveTo(1) LineTo(n ≥ min).
func (c *cursor) path(min uint64) (orb.LineString, error) {
	id, count, err := c.command()
	if err != nil {
		return nil, err
	}
	if id != cmdMoveTo || count != 1 {
		return nil, fmt.Errorf("path starts with command %d count %d, want MoveTo 1", id, count)
	}
	first, _ := c.point()
	id, count, err = c.command()
	if err != nil {
		return nil, err
	}
	if id != cmdLineTo || count < min {
		return nil, fmt.Errorf("path continues with command %d count %d, want LineTo ≥ %d", id, count, min)
	}
	ls := make(orb.LineString, 0, count+2)
	ls = append(ls, first)
	for i := uint64(0); i < count; i++ {
		p, moved := c.point()
		if !moved {
			return nil, errors.New("LineTo of length zero")
		}
		ls = append(ls, p)
	}
	return ls, nil
}

// ringArea is the surveyor's formula over a closed ring in tile
// coordinates (positive: clockwise with y down). Written apart from the
// renderer's so that the decoder checks winding independently.
func ringArea(r orb.Ring) float64 {
	var s float64
	for i := 1; i < len(r); i++ {
		s += (r[i-1][0] - r[i][0]) * (r[i-1][1] + r[i][1])
	}
	return s / 2
}
