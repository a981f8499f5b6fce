package tiles

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/paulmach/orb"
	"google.golang.org/protobuf/encoding/protowire"
)

// The tile encoder writes the bytes orb's encoding/mvt (mvt.Marshal) writes
// for the same layers, byte for byte (tests compare the two on every demo
// and OSM tile and on random features), without building orb's messages:
// Marshal allocates a message, a boxed value and a map entry per value, a
// slice per feature's tags and geometry, and the whole tile again, and its
// garbage was most of a render's CPU time. Here a tile is sized exactly
// first, then written into one allocation of that size.
//
// What Marshal writes (gogo-generated, fields in number order):
//
//	Tile:    layers 3
//	Layer:   name 1, features 2, keys 3, values 4, extent 5, version 15
//	Feature: id 1 (when the id is not negative), tags 2 (packed, when any),
//	         type 3, geometry 4 (packed, when any)
//	Value:   string 1, double 3, sint 6, bool 7 (for string, float64, int64
//	         and bool)
//
// Tags follow each feature's keys in sorted order; keys and values are
// numbered in order of first use, values deduplicated as Go's == compares
// them (NaN never equal, 0 and -0 equal, the first one written).

// layerPlan is one layer's share of the encoder's working memory.
type layerPlan struct {
	tags   [2]int // range in encoder.tags
	keys   [2]int // range in encoder.keys
	values [2]int // range in encoder.values
	size   int    // bytes of the layer message
}

// encoder is reusable working memory for encoding tiles.
type encoder struct {
	tags   []uint32
	bodies []int32 // each feature's message size, in layer order
	keys   []uint16
	keyIdx []int32 // per field of the layer being planned: key index + 1
	values []*val
	slots  []vslot // open addressing over the layer's values
	gen    uint32
	plans  []layerPlan
}

type vslot struct {
	v   *val
	idx uint32
	gen uint32
}

// reset empties the encoder, keeping its memory.
func (e *encoder) reset() {
	e.tags, e.bodies, e.keys, e.plans = e.tags[:0], e.bodies[:0], e.keys[:0], e.plans[:0]
	clear(e.values)
	e.values = e.values[:0]
}

// errGeometry is what the encoder says of geometry MVT cannot hold
// (collections) or that it does not know.
var errGeometry = errors.New("geometry type not supported")

// encodeTile writes the parts' layers as one tile.
func encodeTile(parts []part, extent uint32, s *scratch) ([]byte, error) {
	e := &s.enc
	e.reset()
	total := 0
	for i := range parts {
		if err := e.plan(&parts[i].l, extent); err != nil {
			return nil, err
		}
		total += protowire.SizeBytes(e.plans[i].size) + 1
	}
	b := make([]byte, 0, total)
	fi := 0
	for i := range parts {
		b = e.write(b, &parts[i].l, &e.plans[i], &fi, extent)
	}
	if len(b) != total {
		return nil, fmt.Errorf("tiles: encoder wrote %d bytes, sized %d", len(b), total)
	}
	return b, nil
}

// layerBytes is the size of l as a one-layer tile message: what the layer
// adds to a tile.
func layerBytes(l *layer, extent uint32, s *scratch) (int, error) {
	e := &s.enc
	e.reset()
	if err := e.plan(l, extent); err != nil {
		return 0, err
	}
	return 1 + protowire.SizeBytes(e.plans[0].size), nil
}

// encodeLayer writes l as a one-layer tile message.
func encodeLayer(l *layer, extent uint32, s *scratch) ([]byte, error) {
	return encodeTile([]part{{l: *l}}, extent, s)
}

// plan numbers the layer's keys and values, lays out every feature's tags
// and sizes the layer's message.
func (e *encoder) plan(l *layer, extent uint32) error {
	p := layerPlan{tags: [2]int{len(e.tags), 0}, keys: [2]int{len(e.keys), 0}, values: [2]int{len(e.values), 0}}
	e.keyIdx = slices.Grow(e.keyIdx[:0], len(l.fields))[:len(l.fields)]
	clear(e.keyIdx)
	nvals := 0
	for i := range l.features {
		nvals += len(l.features[i].pr.vals)
	}
	if want := 2 * nvals; len(e.slots) < want || e.gen == math.MaxUint32 {
		e.slots = make([]vslot, 1<<bits.Len(uint(want|15)))
		e.gen = 0
	}
	e.gen++
	mask := uint64(len(e.slots) - 1)
	size := protowire.SizeBytes(len(l.name)) + 1
	for i := range l.features {
		f := &l.features[i]
		t0 := len(e.tags)
		tl := 0
		for j := range f.pr.vals {
			v := &f.pr.vals[j]
			ki := e.keyIdx[v.key]
			if ki == 0 {
				e.keys = append(e.keys, v.key)
				ki = int32(len(e.keys) - p.keys[0])
				e.keyIdx[v.key] = ki
				size += 1 + protowire.SizeBytes(len(l.fields[v.key].Name))
			}
			vi := e.valueIndex(v, mask, &p, &size)
			tl += protowire.SizeVarint(uint64(ki-1)) + protowire.SizeVarint(uint64(vi))
			e.tags = append(e.tags, uint32(ki-1), vi)
		}
		body := 2 // type
		if f.pr.hasID {
			body += 1 + protowire.SizeVarint(f.pr.id)
		}
		if len(e.tags) > t0 {
			body += 1 + protowire.SizeBytes(tl)
		}
		if _, err := geomType(f.geom); err != nil {
			return fmt.Errorf("tiles: layer %s: %w", l.name, err)
		}
		if g := f.gsize; g > 0 {
			body += 1 + protowire.SizeBytes(g)
		}
		e.bodies = append(e.bodies, int32(body))
		size += 1 + protowire.SizeBytes(body)
	}
	size += 1 + protowire.SizeVarint(uint64(extent)) + 2 // extent, version 2
	p.tags[1], p.keys[1], p.values[1] = len(e.tags), len(e.keys), len(e.values)
	p.size = size
	e.plans = append(e.plans, p)
	return nil
}

// valueIndex returns v's index in the layer's values, adding it on first
// use (and its bytes to size).
func (e *encoder) valueIndex(v *val, mask uint64, p *layerPlan, size *int) uint32 {
	nan := v.kind == kindFloat && math.IsNaN(math.Float64frombits(v.bits))
	if !nan {
		for h := v.fp & mask; ; h = (h + 1) & mask {
			s := &e.slots[h]
			if s.gen != e.gen {
				break
			}
			if sameValue(s.v, v) {
				return s.idx
			}
		}
	}
	idx := uint32(len(e.values) - p.values[0])
	e.values = append(e.values, v)
	*size += int(v.size)
	if nan {
		return idx // a NaN never matches, not even itself
	}
	h := v.fp & mask
	for e.slots[h].gen == e.gen {
		h = (h + 1) & mask
	}
	e.slots[h] = vslot{v: v, idx: idx, gen: e.gen}
	return idx
}

// sameValue is Go's == on the values as orb's encoder keys them.
func sameValue(a, b *val) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case kindString:
		return a.s == b.s
	case kindFloat:
		return math.Float64frombits(a.bits) == math.Float64frombits(b.bits)
	}
	return a.bits == b.bits
}

// write appends the planned layer as a Tile's layers field; fi counts the
// features written so far, indexing e.bodies.
func (e *encoder) write(b []byte, l *layer, p *layerPlan, fi *int, extent uint32) []byte {
	b = append(b, 3<<3|2)
	b = protowire.AppendVarint(b, uint64(p.size))
	b = append(b, 1<<3|2)
	b = protowire.AppendString(b, l.name)
	tags := e.tags[p.tags[0]:p.tags[1]]
	for i := range l.features {
		f := &l.features[i]
		b = append(b, 2<<3|2)
		b = protowire.AppendVarint(b, uint64(e.bodies[*fi]))
		*fi++
		if f.pr.hasID {
			b = append(b, 1<<3)
			b = protowire.AppendVarint(b, f.pr.id)
		}
		if n := 2 * len(f.pr.vals); n > 0 {
			t := tags[:n]
			tags = tags[n:]
			tl := 0
			for _, x := range t {
				tl += protowire.SizeVarint(uint64(x))
			}
			b = append(b, 2<<3|2)
			b = protowire.AppendVarint(b, uint64(tl))
			for _, x := range t {
				b = protowire.AppendVarint(b, uint64(x))
			}
		}
		b = appendGeometry(b, f.geom, f.gsize)
	}
	for _, k := range e.keys[p.keys[0]:p.keys[1]] {
		b = append(b, 3<<3|2)
		b = protowire.AppendString(b, l.fields[k].Name)
	}
	for _, v := range e.values[p.values[0]:p.values[1]] {
		b = appendValue(b, v)
	}
	b = append(b, 5<<3)
	b = protowire.AppendVarint(b, uint64(extent))
	return append(b, 15<<3, 2)
}

// appendValue writes a values field: a Tile_Value message with the field
// orb's encodeValue fills for the value's Go type.
func appendValue(b []byte, v *val) []byte {
	b = append(b, 4<<3|2)
	switch v.kind {
	case kindString:
		b = protowire.AppendVarint(b, uint64(1+protowire.SizeBytes(len(v.s))))
		b = append(b, 1<<3|2)
		b = protowire.AppendString(b, v.s)
	case kindFloat:
		b = append(b, 9, 3<<3|1)
		b = protowire.AppendFixed64(b, v.bits)
	case kindInt:
		z := protowire.EncodeZigZag(int64(v.bits))
		b = protowire.AppendVarint(b, uint64(1+protowire.SizeVarint(z)))
		b = append(b, 6<<3)
		b = protowire.AppendVarint(b, z)
	case kindBool:
		b = append(b, 2, 7<<3, byte(v.bits))
	}
	return b
}

// geomType is the MVT type of g.
func geomType(g orb.Geometry) (GeomType, error) {
	switch g.(type) {
	case orb.Point, orb.MultiPoint:
		return PointType, nil
	case orb.LineString, orb.MultiLineString:
		return LineStringType, nil
	case orb.Ring, orb.Polygon, orb.MultiPolygon, orb.Bound:
		return PolygonType, nil
	}
	return 0, fmt.Errorf("%w: %T", errGeometry, g)
}

// geomWriter writes a geometry's command stream as orb's encodeGeometry
// does: the pen starts at 0 for each feature and coordinates are truncated
// to int32. geomSize (size.go) counts the same stream's bytes.
type geomWriter struct {
	b    []byte
	x, y int32
}

func (w *geomWriter) command(id, count uint32) {
	w.b = protowire.AppendVarint(w.b, uint64(count<<3|id))
}

func (w *geomWriter) points(ps []orb.Point) {
	b := w.b
	for i := range ps {
		x, y := int32(ps[i][0]), int32(ps[i][1])
		dx, dy := x-w.x, y-w.y
		w.x, w.y = x, y
		b = protowire.AppendVarint(b, uint64(uint32((dx<<1)^(dx>>31))))
		b = protowire.AppendVarint(b, uint64(uint32((dy<<1)^(dy>>31))))
	}
	w.b = b
}

func (w *geomWriter) moveTo(ps []orb.Point) {
	w.command(cmdMoveTo, uint32(len(ps)))
	w.points(ps)
}

func (w *geomWriter) lineTo(ps []orb.Point) {
	w.command(cmdLineTo, uint32(len(ps)))
	w.points(ps)
}

func (w *geomWriter) line(ls orb.LineString) {
	w.moveTo(ls[:1])
	w.lineTo(ls[1:])
}

func (w *geomWriter) ring(r orb.Ring) {
	w.moveTo(r[:1])
	if r.Closed() {
		w.lineTo(r[1 : len(r)-1])
	} else {
		w.lineTo(r[1:])
	}
	w.command(cmdClosePath, 1)
}

// geometry writes g, of a type geomType knows.
func (w *geomWriter) geometry(g orb.Geometry) {
	switch g := g.(type) {
	case orb.Point:
		w.command(cmdMoveTo, 1)
		w.points([]orb.Point{g})
	case orb.MultiPoint:
		w.moveTo(g)
	case orb.LineString:
		w.line(g)
	case orb.MultiLineString:
		for _, ls := range g {
			w.line(ls)
		}
	case orb.Ring:
		w.ring(g)
	case orb.Polygon:
		for _, r := range g {
			w.ring(r)
		}
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				w.ring(r)
			}
		}
	case orb.Bound:
		w.geometry(g.ToPolygon())
	}
}

// appendGeometry writes a feature's type and geometry fields; size is the
// geometry's bytes (geomSize).
func appendGeometry(b []byte, g orb.Geometry, size int) []byte {
	typ, _ := geomType(g)
	b = append(b, 3<<3, byte(typ))
	if size == 0 {
		return b
	}
	b = append(b, 4<<3|2)
	b = protowire.AppendVarint(b, uint64(size))
	w := geomWriter{b: b}
	w.geometry(g)
	return w.b
}
