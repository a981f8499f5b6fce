package tiles

import (
	"math"
	"math/bits"

	"github.com/paulmach/orb"
)

// Thinning picks its levels from estimated sizes so that a big tile is
// encoded once rather than once per level. The estimate follows the
// layout of what mvt.Marshal writes (a length-prefixed layer of features,
// each with its id, tags, type and geometry commands, then the keys and
// values tables) without writing anything: geometry and ids are sized
// exactly, values are counted once per layer as Marshal dedupes them (told
// apart by a 64-bit fingerprint made at preparation), and only the tags'
// value indexes are approximated (Marshal numbers a feature's new values
// in key order, the estimate in field order, the same for the demo's
// layers). Render checks the encoded tile against the budget all the same
// (see Options.render).

// val is a prepared attribute value: what the encoder writes (the field's
// index among the layer's sorted fields, the value's kind and bits, its
// string) and what the estimate needs, a fingerprint that tells values
// apart (equal for values orb's encoder dedupes, 0 and -0 included) and
// the bytes of its entry in a layer's values table.
type val struct {
	fp   uint64
	bits uint64 // int64, float64 bits or bool (0/1)
	s    string // kindString's value
	size uint32 // bytes of the values-table field
	key  uint16 // index in the layer's fields
	kind uint8
}

// The kinds of attribute value, as layers' contract has them.
const (
	kindString = 1 + iota
	kindInt
	kindFloat
	kindBool
)

// sizer estimates encoded layer sizes. Its set of fingerprints (open
// addressing, emptied by bumping gen) is reused from layer to layer.
type sizer struct {
	slots []slot
	gen   uint32
}

type slot struct {
	fp       uint64
	idx, gen uint32
}

// varintLen is the length of v as a protobuf varint.
func varintLen(v uint64) int { return 1 + (bits.Len64(v|1)-1)/7 }

// field is the length of a length-delimited field holding n bytes.
func field(n int) int { return 1 + varintLen(uint64(n)) + n }

func zigzag32(v int32) uint64 { return uint64(uint32((v << 1) ^ (v >> 31))) }

// header is the size of a layer's name, version and extent fields.
func header(name string, extent uint32) int {
	return field(len(name)) + 2 + 1 + varintLen(uint64(extent))
}

// layerSize estimates the bytes of l as a one-layer tile message.
func (z *sizer) layerSize(l *layer, extent uint32) int {
	props := 0
	for i := range l.features {
		props += len(l.features[i].pr.vals)
	}
	if want := 2 * props; len(z.slots) < want || z.gen == math.MaxUint32 {
		z.slots = make([]slot, 1<<bits.Len(uint(want|15)))
		z.gen = 0
	}
	z.gen++
	mask := uint64(len(z.slots) - 1)
	n := header(l.name, extent) + l.keys
	values := uint32(0)
	for i := range l.features {
		f := &l.features[i]
		fb := 2 + f.pr.idSize // type, id
		tags := 0
		for _, v := range f.pr.vals {
			h := v.fp & mask
			for {
				s := &z.slots[h]
				if s.gen != z.gen {
					*s = slot{fp: v.fp, idx: values, gen: z.gen}
					values++
					n += int(v.size)
					break
				}
				if s.fp == v.fp {
					break
				}
				h = (h + 1) & mask
			}
			tags += 1 + varintLen(uint64(z.slots[h].idx)) // key indexes stay below 128
		}
		if tags > 0 {
			fb += field(tags)
		}
		fb += field(f.gsize)
		n += field(fb)
	}
	return field(n)
}

// upperSize bounds the bytes of l as a one-layer tile message from above,
// without a set: every value counted as if distinct (and tags with 3-byte
// value indexes), which only a layer of unique values comes close to.
func upperSize(l *layer, extent uint32) int {
	n := header(l.name, extent) + l.keys
	for i := range l.features {
		f := &l.features[i]
		n += field(f.pr.attrs + field(f.gsize))
	}
	return field(n)
}

// attrSize bounds from above the bytes a feature's type, id, tags and
// values add to a layer, counting each value as distinct.
func attrSize(vals []val, idSize int) int {
	n := 2 + idSize
	if len(vals) > 0 {
		n += field(4 * len(vals))
	}
	for _, v := range vals {
		n += int(v.size)
	}
	return n
}

// valueOf returns the prepared value of field key (string, int64, float64
// or bool, as the layers' contract has them), sized as orb's encodeValue
// fills a Tile_Value.
func valueOf(key uint16, v any) val {
	var kind uint8
	var bits, h uint64
	var size int
	var s string
	switch v := v.(type) {
	case string:
		kind, s, h, size = kindString, v, fnv1a(v), field(len(v))
	case int64:
		kind, bits, size = kindInt, uint64(v), 1+varintLen(uint64((v<<1)^(v>>63)))
	case float64:
		kind, bits, size = kindFloat, math.Float64bits(v), 9
		if v == 0 {
			h = 0 // -0 is the same value as 0 for orb's dedupe
		} else {
			h = bits
		}
	case bool:
		kind, size = kindBool, 2
		if v {
			bits = 1
		}
	}
	if kind != kindString && kind != kindFloat {
		h = bits
	}
	k := uint64(kind)
	return val{fp: mix(h ^ k<<60 ^ k), bits: bits, s: s, size: uint32(field(size)), key: key, kind: kind}
}

// value is the value as orb's encoder takes it.
func (v *val) value() any {
	switch v.kind {
	case kindString:
		return v.s
	case kindInt:
		return int64(v.bits)
	case kindFloat:
		return math.Float64frombits(v.bits)
	}
	return v.bits == 1
}

// fnv1a is the 64-bit FNV-1a hash of s.
func fnv1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix is splitmix64's finaliser, spreading fingerprints over the table.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// idSize is the bytes of a feature's id field (none without an id).
func idSize(id uint64, has bool) int {
	if has {
		return 1 + varintLen(id)
	}
	return 0
}

// geomSize is the size of g's command stream as orb's encodeGeometry
// (and appendGeometry) writes it (a packed field of varints; the pen starts at 0 for each
// feature).
func geomSize(g orb.Geometry) int {
	var c pen
	switch g := g.(type) {
	case orb.Point:
		c.moveTo(g)
	case orb.MultiPoint:
		c.n += varintLen(uint64(len(g))<<3 | 1)
		c.points(g)
	case orb.LineString:
		c.line(g)
	case orb.MultiLineString:
		for _, ls := range g {
			c.line(ls)
		}
	case orb.Ring:
		c.polygon(orb.Polygon{g})
	case orb.Bound:
		c.polygon(g.ToPolygon())
	case orb.Polygon:
		c.polygon(g)
	case orb.MultiPolygon:
		for _, p := range g {
			c.polygon(p)
		}
	}
	return c.n
}

// pen counts the bytes of geometry commands and parameters.
type pen struct {
	x, y int32
	n    int
}

func (c *pen) points(ps []orb.Point) {
	for _, p := range ps {
		c.point(p)
	}
}

func (c *pen) point(p orb.Point) {
	x, y := int32(p[0]), int32(p[1])
	c.n += varintLen(zigzag32(x-c.x)) + varintLen(zigzag32(y-c.y))
	c.x, c.y = x, y
}

func (c *pen) moveTo(p orb.Point) {
	c.n++
	c.point(p)
}

func (c *pen) lineTo(ps []orb.Point) {
	c.n += varintLen(uint64(len(ps))<<3 | 2)
	c.points(ps)
}

func (c *pen) line(ls orb.LineString) {
	c.moveTo(ls[0])
	c.lineTo(ls[1:])
}

func (c *pen) polygon(p orb.Polygon) {
	for _, r := range p {
		c.moveTo(r[0])
		if r.Closed() {
			c.lineTo(r[1 : len(r)-1])
		} else {
			c.lineTo(r[1:])
		}
		c.n++ // ClosePath
	}
}
