package tiles

import (
	"fmt"
	"math"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt/vectortile"
)

// encodeLayer writes a layer as orb's encoding/mvt would: the same
// protobuf message (orb's vectortile package) filled the same way — keys
// and values interned in order of first use, each feature's tags in key
// order, the same geometry commands — so that a tile's bytes equal
// mvt.Marshal's (a test checks this on the demo district). It skips
// mvt.Marshal's generic path (a GeoJSON feature, a sorted key list,
// reflection and an interface-keyed map per value), which was half the
// time of a tile, and allocates per layer rather than per feature.
func encodeLayer(l *layer, extent uint32) (*vectortile.Tile_Layer, error) {
	version := uint32(2)
	name := l.name
	out := &vectortile.Tile_Layer{Name: &name, Version: &version, Extent: &extent}
	n := len(l.features)
	feats := make([]vectortile.Tile_Feature, n)
	out.Features = make([]*vectortile.Tile_Feature, 0, n)
	ids := make([]uint64, n)
	// The features' Type fields point into this per-layer array.
	types := [...]vectortile.Tile_GeomType{vectortile.Tile_UNKNOWN, vectortile.Tile_POINT, vectortile.Tile_LINESTRING, vectortile.Tile_POLYGON}
	tags := make([]uint32, 0, 2*n*len(l.fields))

	keys := make(map[string]uint32, len(l.fields))
	v := newValues(n, l.fields)
	need := 0
	for i := range l.features {
		need += commandsLen(l.features[i].geom)
	}
	cmds := make([]uint32, 0, need)
	for i := range l.features {
		f := &l.features[i]
		g0 := len(cmds)
		var t int
		var err error
		t, cmds, err = commands(f.geom, cmds)
		if err != nil {
			return nil, fmt.Errorf("layer %s feature %d: %w", l.name, f.id, err)
		}
		m := &feats[i]
		m.Type = &types[t]
		start := len(tags)
		for _, fd := range l.fields {
			k := fd.Name
			val, ok := f.props[k]
			if !ok || !fits(val, fd.Type) {
				continue
			}
			ki, ok := keys[k]
			if !ok {
				ki = uint32(len(out.Keys))
				keys[k] = ki
				out.Keys = append(out.Keys, k)
			}
			vi, err := v.index(val)
			if err != nil {
				return nil, fmt.Errorf("layer %s feature %d %s: %w", l.name, f.id, k, err)
			}
			tags = append(tags, ki, vi)
		}
		m.Tags = tags[start:len(tags):len(tags)]
		if f.id >= 0 {
			ids[i] = uint64(f.id)
			m.Id = &ids[i]
		}
		m.Geometry = cmds[g0:len(cmds):len(cmds)]
		out.Features = append(out.Features, m)
	}
	out.Values = v.list
	return out, nil
}

// values interns attribute values by type and value, as orb's encoder
// does with an interface-keyed map (NaN never matches, 0 and -0 do). The
// messages and their scalars come from slabs, not one allocation each.
type values struct {
	list    []*vectortile.Tile_Value
	msgs    []vectortile.Tile_Value
	strs    []string
	nums    []int64
	dbls    []float64
	bls     [2]bool
	strings map[string]uint32
	ints    map[int64]uint32
	floats  map[float64]uint32
	bools   [2]uint32 // index+1, 0 when absent
}

// newValues sizes the tables for n features with these fields, assuming
// about half the values repeat.
func newValues(n int, fields []layers.Field) *values {
	var count [4]int
	for _, f := range fields {
		switch f.Type {
		case layers.String:
			count[0]++
		case layers.Int:
			count[1]++
		case layers.Float:
			count[2]++
		}
	}
	all := n * len(fields) / 2
	return &values{
		list:    make([]*vectortile.Tile_Value, 0, all),
		msgs:    make([]vectortile.Tile_Value, 0, all),
		strings: make(map[string]uint32, n*count[0]/2),
		ints:    make(map[int64]uint32, n*count[1]/2),
		floats:  make(map[float64]uint32, n*count[2]/2),
		bls:     [2]bool{false, true},
	}
}

// msg returns a fresh message from the slab, indexed next.
func (v *values) msg() *vectortile.Tile_Value {
	if len(v.msgs) == cap(v.msgs) {
		v.msgs = make([]vectortile.Tile_Value, 0, max(64, cap(v.msgs)))
	}
	v.msgs = v.msgs[:len(v.msgs)+1]
	m := &v.msgs[len(v.msgs)-1]
	v.list = append(v.list, m)
	return m
}

func (v *values) index(x any) (uint32, error) {
	next := uint32(len(v.list))
	switch x := x.(type) {
	case string:
		if i, ok := v.strings[x]; ok {
			return i, nil
		}
		v.strings[x] = next
		v.strs = slab(v.strs, x)
		v.msg().StringValue = &v.strs[len(v.strs)-1]
	case int64:
		if i, ok := v.ints[x]; ok {
			return i, nil
		}
		v.ints[x] = next
		v.nums = slab(v.nums, x)
		v.msg().SintValue = &v.nums[len(v.nums)-1]
	case float64:
		if i, ok := v.floats[x]; ok {
			return i, nil
		}
		if !math.IsNaN(x) {
			v.floats[x] = next
		}
		v.dbls = slab(v.dbls, x)
		v.msg().DoubleValue = &v.dbls[len(v.dbls)-1]
	case bool:
		b := 0
		if x {
			b = 1
		}
		if v.bools[b] > 0 {
			return v.bools[b] - 1, nil
		}
		v.bools[b] = next + 1
		v.msg().BoolValue = &v.bls[b]
	default:
		return 0, fmt.Errorf("value of type %T", x)
	}
	return next, nil
}

// slab appends x without moving earlier elements (pointers to them stay
// valid): a full slab is left behind and a new one started.
func slab[T any](s []T, x T) []T {
	if len(s) == cap(s) {
		s = make([]T, 0, max(64, 2*cap(s)))
	}
	return append(s, x)
}

// The geometry commands, as in spec 2.1 section 4.3.
const (
	moveTo    = 1
	lineTo    = 2
	closePath = 7
)

// pen writes geometry commands with coordinates relative to the previous
// point, starting from the origin for each feature.
type pen struct {
	x, y int32
	out  []uint32
}

func (p *pen) command(id, count int) { p.out = append(p.out, uint32(count)<<3|uint32(id)) }

func (p *pen) points(pts []orb.Point) {
	for _, q := range pts {
		x, y := int32(q[0]), int32(q[1])
		dx, dy := x-p.x, y-p.y
		p.x, p.y = x, y
		p.out = append(p.out, uint32((dx<<1)^(dx>>31)), uint32((dy<<1)^(dy>>31)))
	}
}

func (p *pen) line(ls []orb.Point) {
	p.command(moveTo, 1)
	p.points(ls[:1])
	p.command(lineTo, len(ls)-1)
	p.points(ls[1:])
}

func (p *pen) ring(r orb.Ring) {
	p.command(moveTo, 1)
	p.points(r[:1])
	rest := r[1:]
	if r.Closed() {
		rest = r[1 : len(r)-1]
	}
	p.command(lineTo, len(rest))
	p.points(rest)
	p.command(closePath, 1)
}

// commands appends g's geometry commands to out and returns the index of
// its MVT geometry type (1 point, 2 line, 3 polygon).
func commands(g orb.Geometry, out []uint32) (int, []uint32, error) {
	p := pen{out: out}
	switch g := g.(type) {
	case orb.Point:
		p.command(moveTo, 1)
		p.points([]orb.Point{g})
		return 1, p.out, nil
	case orb.MultiPoint:
		p.command(moveTo, len(g))
		p.points(g)
		return 1, p.out, nil
	case orb.LineString:
		p.line(g)
		return 2, p.out, nil
	case orb.MultiLineString:
		for _, ls := range g {
			p.line(ls)
		}
		return 2, p.out, nil
	case orb.Polygon:
		for _, r := range g {
			p.ring(r)
		}
		return 3, p.out, nil
	case orb.MultiPolygon:
		for _, poly := range g {
			for _, r := range poly {
				p.ring(r)
			}
		}
		return 3, p.out, nil
	}
	return 0, out, fmt.Errorf("geometry %T has no MVT encoding", g)
}

// commandsLen is the number of command integers commands writes for g.
func commandsLen(g orb.Geometry) int {
	ring := func(r orb.Ring) int {
		n := len(r)
		if r.Closed() {
			n--
		}
		return 3 + 2*n
	}
	switch g := g.(type) {
	case orb.Point:
		return 3
	case orb.MultiPoint:
		return 1 + 2*len(g)
	case orb.LineString:
		return 2 + 2*len(g)
	case orb.MultiLineString:
		n := 0
		for _, ls := range g {
			n += 2 + 2*len(ls)
		}
		return n
	case orb.Polygon:
		n := 0
		for _, r := range g {
			n += ring(r)
		}
		return n
	case orb.MultiPolygon:
		n := 0
		for _, p := range g {
			for _, r := range p {
				n += ring(r)
			}
		}
		return n
	}
	return 0
}
