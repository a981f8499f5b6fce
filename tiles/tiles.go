// Package tiles turns layer snapshots and a tile address into Mapbox Vector
// Tiles (spec 2.1): an R-tree query with a buffer, projection to tile
// units, snapping to the integer grid as PostGIS's ST_AsMVTGeom does,
// clipping (orb/clip), per-zoom Douglas–Peucker (orb/simplify), winding
// fixed so that exterior rings are clockwise in tile space, and the tile
// encoded in one pass into one allocation, byte for byte what orb's
// encoding/mvt (mvt.Marshal) writes, which the tests hold it to. Tiles
// over budget are thinned at levels chosen from estimated layer sizes, so
// that they are encoded once. A Cache keeps rendered tiles and drops
// exactly those an edit touches.
package tiles

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// MaxZoom is the deepest zoom a tile may be requested at.
const MaxZoom = 22

// Source is one layer to render: its schema (name, fields, zoom range) and
// the snapshot of features to draw.
type Source struct {
	Schema   layers.Schema
	Snapshot *layers.Snapshot
}

// Options tune rendering. The zero value is not useful; start from
// DefaultOptions.
type Options struct {
	// Extent is the tile's integer coordinate range (4096 by convention).
	Extent uint32
	// Buffer is how far, in tile units, geometry is kept beyond each edge so
	// that lines and outlines join seamlessly across tiles.
	Buffer float64
	// MaxBytes is the largest uncompressed tile; bigger tiles are thinned
	// (coarser simplification, fewer small features and points) until
	// they fit.
	MaxBytes int

	store *store // prepared features, see Prepared

	// shrink divides size estimates when above 1: tests use it to take the
	// path where the encoded tile turns out over budget.
	shrink int
	// encoded, when set, is shown every tile encoded with the layers it
	// was encoded from: tests compare the bytes with mvt.Marshal's.
	encoded func([]part, []byte)
}

// DefaultOptions are onemap's rendering settings: extent 4096, a 64-unit
// buffer (as PostGIS ST_AsMVTGeom is usually called) and 500 KB per tile.
func DefaultOptions() Options {
	return Options{Extent: mvt.DefaultExtent, Buffer: 64, MaxBytes: 500_000}
}

// Render encodes the sources' features in tile t with DefaultOptions. It
// returns zero bytes when no feature falls in the tile.
func Render(srcs []Source, t maptile.Tile) ([]byte, error) {
	return DefaultOptions().Render(srcs, t)
}

// maxThin bounds the thinning passes; each doubles the simplification
// tolerance and the size below which features are dropped.
const maxThin = 12

// Render encodes the sources' features in tile t. Layers appear in the
// order of srcs; features in each layer in id order, so the bytes depend
// only on the data. A layer outside its zoom range, or with no feature in
// the tile, is left out; with none left the result is empty.
func (o Options) Render(srcs []Source, t maptile.Tile) ([]byte, error) {
	b, _, err := o.render(srcs, t)
	return b, err
}

// render also reports the thinning level that was needed (the highest of
// any layer; 0: none).
//
// Each layer is built (search, clip, simplify) and its encoded size
// estimated (sizer); over budget, the biggest layer is rebuilt a level
// coarser until the estimates fit, and the tile is then encoded once, all
// layers at once. Should the tile still exceed the budget (an
// estimate fell short), thinning goes on with each layer's real encoded
// size.
func (o Options) render(srcs []Source, t maptile.Tile) ([]byte, int, error) {
	if t.Z > MaxZoom || !t.Valid() {
		return nil, 0, fmt.Errorf("tiles: invalid tile %d/%d/%d", t.Z, t.X, t.Y)
	}
	seen := map[string]bool{}
	for _, s := range srcs {
		names := []string{s.Schema.Name}
		if s.Schema.Labels {
			names = append(names, LabelLayer(s.Schema.Name))
		}
		for _, n := range names {
			if seen[n] {
				return nil, 0, fmt.Errorf("tiles: layer %q requested twice", n)
			}
			seen[n] = true
		}
	}
	p := newProjector(t, o.Extent, o.Buffer)
	if o.store != nil {
		p.s = o.store.scratch()
		defer o.store.release(p.s)
	}
	var parts []part
	for _, s := range srcs {
		if s.Snapshot == nil || int(t.Z) < s.Schema.MinZoom || int(t.Z) > s.Schema.MaxZoom {
			continue
		}
		pt := part{src: s}
		o.build(p, &pt)
		if len(pt.l.features) > 0 {
			parts = append(parts, pt)
		}
		if s.Schema.Labels && int(t.Z) >= s.Schema.LabelMinZoom {
			lp := part{src: s, label: true}
			o.build(p, &lp)
			if len(lp.l.features) > 0 {
				parts = append(parts, lp)
			}
		}
	}
	if len(parts) == 0 {
		return nil, 0, nil
	}
	measure := func(l *layer) (int, error) { return p.s.sizer.layerSize(l, o.Extent) / max(1, o.shrink), nil }
	total := 0
	for _, pt := range parts {
		total += pt.size / max(1, o.shrink)
	}
	var level int
	var err error
	if o.MaxBytes > 0 && total > o.MaxBytes {
		for i := range parts {
			parts[i].size, _ = measure(&parts[i].l)
		}
		if level, err = o.thin(p, parts, measure); err != nil {
			return nil, level, err
		}
	}
	b, err := encodeTile(parts, o.Extent, p.s)
	if err != nil {
		return nil, level, fmt.Errorf("tiles: encode %d/%d/%d: %w", t.Z, t.X, t.Y, err)
	}
	if o.encoded != nil {
		o.encoded(parts, b)
	}
	if o.MaxBytes <= 0 || len(b) <= o.MaxBytes {
		return b, level, nil
	}
	// The estimates fell short: thin on the layers' encoded sizes.
	measure = func(l *layer) (int, error) { return layerBytes(l, o.Extent, p.s) }
	for i := range parts {
		if parts[i].size, err = measure(&parts[i].l); err != nil {
			return nil, level, fmt.Errorf("tiles: encode %d/%d/%d: %w", t.Z, t.X, t.Y, err)
		}
	}
	more, err := o.thin(p, parts, measure)
	if err != nil {
		return nil, level, fmt.Errorf("tiles: encode %d/%d/%d: %w", t.Z, t.X, t.Y, err)
	}
	if b, err = encodeTile(parts, o.Extent, p.s); err != nil {
		return nil, level, fmt.Errorf("tiles: encode %d/%d/%d: %w", t.Z, t.X, t.Y, err)
	}
	if o.encoded != nil {
		o.encoded(parts, b)
	}
	return b, max(level, more), nil
}

// part is one layer of a tile being rendered.
type part struct {
	src   Source
	l     layer
	size  int // its size as a one-layer tile message, estimated or encoded
	level int
	stuck bool
	base  *layer // level 0 of a point layer, which thinning filters
	label bool   // the source's label layer (see labels), never thinned
}

// build makes the part's layer at its level, and a cheap upper bound of
// its size (values counted as if all were distinct).
func (o Options) build(p *projector, pt *part) {
	switch {
	case pt.label:
		pt.l = o.labels(p, pt.src)
	case pt.base != nil:
		pt.l = thinPoints(*pt.base, pt.level, p.s)
	default:
		pt.l = o.layer(p, pt.src, pt.level)
		if pt.level == 0 && (pt.src.Schema.Geometry == layers.Point || pt.src.Schema.Geometry == layers.MultiPoint) {
			base := pt.l
			pt.base = &base
		}
	}
	pt.size = upperSize(&pt.l, o.Extent)
}

// thin brings the parts' total size within MaxBytes where it can: the
// biggest layer is thinned one level at a time, so small layers keep every
// feature. Dense points go first (a sizeable point layer: thinning them
// reads better than coarser outlines, and costs only a filter); a layer
// that a level barely shrank (a few big polygons) is passed over while
// others can still give. measure sizes a rebuilt layer. It returns the
// highest level reached.
func (o Options) thin(p *projector, parts []part, measure func(*layer) (int, error)) (int, error) {
	total, level := 0, 0
	for _, pt := range parts {
		total += pt.size
		level = max(level, pt.level)
	}
	for total > o.MaxBytes {
		big := -1
		for i := range parts {
			if parts[i].base != nil && !parts[i].stuck && parts[i].level < maxThin && parts[i].size >= total/8 &&
				(big < 0 || parts[i].size > parts[big].size) {
				big = i
			}
		}
		for _, stubborn := range []bool{false, true} {
			if big >= 0 {
				break
			}
			for i := range parts {
				if !parts[i].label && parts[i].level < maxThin && (stubborn || !parts[i].stuck) && (big < 0 || parts[i].size > parts[big].size) {
					big = i
				}
			}
		}
		if big < 0 {
			break
		}
		pt := &parts[big]
		before := pt.size
		pt.level++
		level = max(level, pt.level)
		o.build(p, pt)
		size, err := measure(&pt.l)
		if err != nil {
			return level, err
		}
		pt.size = size
		total += size - before
		pt.stuck = size > before*9/10
	}
	return level, nil
}

// layer is one layer of a tile before encoding: features in id order with
// geometry in tile coordinates and the schema's attributes.
type layer struct {
	name     string
	features []feature
	fields   []layers.Field // sorted by name: the keys vals index
	keys     int            // bytes of the keys table, if every field is met
}

// feature is a feature of a tile: its geometry in tile coordinates, and
// its prepared attributes and id.
type feature struct {
	geom  orb.Geometry
	pr    *prepared
	gsize int // geomSize(geom)
}

// layer builds one source's layer of the projector's tile at a thinning
// level: level 0 keeps every feature that survives the grid; each level
// doubles the simplification tolerance, drops lines and areas smaller than
// 2^(level-1) units and keeps one point per 8·2^level-unit cell.
func (o Options) layer(p *projector, s Source, level int) layer {
	tol := Tolerance(p.z) * math.Exp2(float64(level))
	var minSize float64
	if level > 0 {
		minSize = math.Exp2(float64(level - 1))
	}
	l, prs := o.candidates(p, s, s.Schema.Name)
	for _, pr := range prs {
		if !p.admits(pr.bound) {
			continue
		}
		g := p.geometry(pr.world, pr.wbound, tol, minSize)
		if g == nil {
			continue
		}
		l.features = append(l.features, feature{geom: g, pr: pr, gsize: geomSize(g)})
	}
	if level > 0 {
		return thinPoints(l, level, p.s)
	}
	return l
}

// candidates starts the tile's layer name from the source: the features
// the R-tree finds for the buffered tile, in id order and prepared, and a
// layer with its keys' size and room for a feature each.
func (o Options) candidates(p *projector, s Source, name string) (layer, []*prepared) {
	found := p.s.found[:0]
	s.Snapshot.Search(p.searchBound, func(f *layers.Feature) bool {
		if f.Geometry != nil {
			found = append(found, f)
		}
		return true
	})
	found = p.s.byID(found)
	defer func() { clear(found); p.s.found = found[:0] }()
	prep := o.preparer(s)
	var fields []layers.Field
	if prep != nil {
		fields = prep.fields
	} else {
		fields = sortedFields(s.Schema)
	}
	l := layer{name: name, fields: fields}
	for _, fd := range fields {
		l.keys += field(len(fd.Name))
	}
	if len(found) == 0 {
		return l, nil
	}
	prs := slices.Grow(p.s.prs[:0], len(found))[:len(found)]
	p.s.prs = prs
	prep.prepareAll(found, fields, s.Schema.Labels, prs)
	l.features = p.s.features.alloc(len(found))
	return l, prs
}

// byID sorts fs by id (ids are unique in a snapshot). Ids below 2^40
// are sorted as one integer with the feature's position (no comparator
// calls, no pointer chasing); others by comparison.
func (s *scratch) byID(fs []*layers.Feature) []*layers.Feature {
	const posBits = 24
	keys := s.keys[:0]
	for i, f := range fs {
		if f.ID < 0 || f.ID >= 1<<(64-posBits) || len(fs) >= 1<<posBits {
			slices.SortFunc(fs, func(a, b *layers.Feature) int { return cmp.Compare(a.ID, b.ID) })
			return fs
		}
		keys = append(keys, uint64(f.ID)<<posBits|uint64(i))
	}
	slices.Sort(keys)
	sorted := slices.Grow(s.sorted[:0], len(fs))
	for _, k := range keys {
		sorted = append(sorted, fs[k&(1<<posBits-1)])
	}
	s.keys = keys[:0]
	// The two slices swap roles: found features are in sorted now.
	s.sorted = fs[:0]
	clear(fs)
	return sorted
}

// thinPoints keeps, of the layer's points, the first (lowest id) in each
// cell of 8·2^level tile units; other geometry passes. The layer's
// features come from the scratch's arena, and so does the result; the
// cells taken are bits of the scratch's bitmap.
func thinPoints(l layer, level int, s *scratch) layer {
	cell := 8 * math.Exp2(float64(level))
	at := func(pt orb.Point) (int64, int64) {
		return int64(math.Floor(pt[0] / cell)), int64(math.Floor(pt[1] / cell))
	}
	x0, y0, x1, y1 := int64(math.MaxInt64), int64(math.MaxInt64), int64(math.MinInt64), int64(math.MinInt64)
	for _, f := range l.features {
		if pt, ok := f.geom.(orb.Point); ok {
			x, y := at(pt)
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
		}
	}
	if x0 > x1 { // no points
		return l
	}
	out := l
	out.features = s.features.alloc(len(l.features))
	w := x1 - x0 + 1
	bits := s.cells[:0]
	bits = slices.Grow(bits, int((w*(y1-y0+1)+63)/64))[:(w*(y1-y0+1)+63)/64]
	clear(bits)
	s.cells = bits
	for _, f := range l.features {
		if pt, ok := f.geom.(orb.Point); ok {
			x, y := at(pt)
			i := (y-y0)*w + x - x0
			if bits[i/64]&(1<<(i%64)) != 0 {
				continue
			}
			bits[i/64] |= 1 << (i % 64)
		}
		out.features = append(out.features, f)
	}
	return out
}

// Tolerance is the Douglas–Peucker tolerance, in tile units of a 4096
// extent, used at zoom z: nothing beyond dropping collinear points at z16
// and deeper (where PostGIS ST_AsMVTGeom does the same), a quarter of a
// screen pixel of a 512-px tile at z12–z15, half a pixel below.
func Tolerance(z int) float64 {
	switch {
	case z >= 16:
		return 0
	case z >= 12:
		return 2
	default:
		return 4
	}
}

// fits reports whether v is a value of field type t (string, int64,
// float64 or bool exactly, as layers' contract says).
func fits(v any, t layers.FieldType) bool {
	switch v.(type) {
	case string:
		return t == layers.String
	case int64:
		return t == layers.Int
	case float64:
		return t == layers.Float
	case bool:
		return t == layers.Bool
	}
	return false
}
