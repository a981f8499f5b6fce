package tiles

import (
	"math/bits"

	"github.com/paulmach/orb"
)

// Thinning picks its levels from estimated sizes so that a big tile is
// encoded once rather than once per level. The estimate follows the
// layout of what mvt.Marshal writes (a length-prefixed layer of features,
// each with its id, tags, type and geometry commands, then the keys and
// values tables) without writing anything: geometry and ids are sized
// exactly, values are counted once per layer as Marshal dedupes them, and
// only the tags' value indexes are approximated (Marshal numbers a
// feature's new values in key order, the estimate in map order). Render checks the encoded
// tile against the budget all the same (see Options.render).

// sizer estimates encoded layer sizes; its set is reused from layer to
// layer.
type sizer struct {
	seen map[any]int // keys (string) and values (text, int64, …) met in the layer, with the value's index
}

// varintLen is the length of v as a protobuf varint.
func varintLen(v uint64) int { return 1 + (bits.Len64(v|1)-1)/7 }

// field is the length of a length-delimited field holding n bytes.
func field(n int) int { return 1 + varintLen(uint64(n)) + n }

func zigzag32(v int32) uint64 { return uint64(uint32((v << 1) ^ (v >> 31))) }

// layerSize estimates the bytes of l as a one-layer tile message.
func (z *sizer) layerSize(l *layer, extent uint32) int {
	if z.seen == nil {
		z.seen = map[any]int{}
	}
	clear(z.seen)
	n := field(len(l.name)) + 2 + 1 + varintLen(uint64(extent)) // name, version, extent
	values := 0
	for i := range l.features {
		f := &l.features[i]
		fb := 2 // type
		if id, ok := f.id.(uint64); ok {
			fb += 1 + varintLen(id)
		}
		tags := 0
		for k, v := range f.props {
			if _, ok := z.seen[k]; !ok {
				z.seen[k] = 0
				n += field(len(k))
			}
			vi, ok := z.seen[v]
			if !ok {
				vi = values
				z.seen[v] = vi
				values++
				n += field(valueSize(v))
			}
			tags += 1 + varintLen(uint64(vi)) // key indexes stay below 128
		}
		if tags > 0 {
			fb += field(tags)
		}
		fb += field(geomSize(f.geom))
		n += field(fb)
	}
	return field(n)
}

// upperSize bounds the bytes of l as a one-layer tile message from above,
// without a set: every value counted as if distinct (and tags with 3-byte
// value indexes), which only a layer of unique values comes close to.
func upperSize(l *layer, extent uint32) int {
	n := field(len(l.name)) + 2 + 1 + varintLen(uint64(extent))
	keys := 0
	for i := range l.features {
		f := &l.features[i]
		keys = max(keys, len(f.props))
		n += field(f.attrs + field(geomSize(f.geom)))
	}
	return field(n + keys*32)
}

// attrSize bounds from above the bytes a feature's id, type, tags and
// values add to a layer, counting each value as distinct.
func attrSize(props map[string]any, id any) int {
	n := 2 // type
	if id, ok := id.(uint64); ok {
		n += 1 + varintLen(id)
	}
	if len(props) > 0 {
		n += field(4 * len(props))
	}
	for _, v := range props {
		n += field(valueSize(v))
	}
	return n
}

// valueSize is the size of a vectortile Tile_Value holding v, as orb's
// encodeValue fills it.
func valueSize(v any) int {
	switch v := v.(type) {
	case text:
		return field(len(v.String()))
	case string:
		return field(len(v))
	case int64:
		return 1 + varintLen(uint64((v<<1)^(v>>63)))
	case float64:
		return 9
	case bool:
		return 2
	}
	return 16
}

// geomSize is the size of g's command stream as orb's encodeGeometry
// writes it (a packed field of varints; the penCount starts at 0 for each
// feature).
func geomSize(g orb.Geometry) int {
	var c penCount
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
	case orb.Polygon:
		c.polygon(g)
	case orb.MultiPolygon:
		for _, p := range g {
			c.polygon(p)
		}
	}
	return c.n
}

// penCount counts the bytes of geometry commands and parameters.
type penCount struct {
	x, y int32
	n    int
}

func (c *penCount) points(ps []orb.Point) {
	for _, p := range ps {
		x, y := int32(p[0]), int32(p[1])
		c.n += varintLen(zigzag32(x-c.x)) + varintLen(zigzag32(y-c.y))
		c.x, c.y = x, y
	}
}

func (c *penCount) moveTo(p orb.Point) {
	c.n++
	c.points([]orb.Point{p})
}

func (c *penCount) lineTo(ps []orb.Point) {
	c.n += varintLen(uint64(len(ps))<<3 | 2)
	c.points(ps)
}

func (c *penCount) line(ls orb.LineString) {
	c.moveTo(ls[0])
	c.lineTo(ls[1:])
}

func (c *penCount) polygon(p orb.Polygon) {
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
