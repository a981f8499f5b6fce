package tiles

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onemap/onemap/internal/refdata"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/osm"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
)

// orbEncode is the reference encoder: the same layers through orb's
// mvt.Marshal, each feature's attributes as a geojson.Properties map of
// plain Go values.
func orbEncode(t testing.TB, ls []layer, extent uint32) []byte {
	t.Helper()
	var mls mvt.Layers
	for _, l := range ls {
		ml := &mvt.Layer{Name: l.name, Version: 2, Extent: extent}
		for _, f := range l.features {
			gf := geojson.NewFeature(f.geom)
			gf.Properties = geojson.Properties{}
			for i := range f.pr.vals {
				v := &f.pr.vals[i]
				gf.Properties[l.fields[v.key].Name] = v.value()
			}
			if f.pr.hasID {
				gf.ID = f.pr.id
			}
			ml.Features = append(ml.Features, gf)
		}
		mls = append(mls, ml)
	}
	b, err := mvt.Marshal(mls)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// matchOrb fails the test unless b is byte for byte what mvt.Marshal
// writes for the parts' layers.
func matchOrb(t testing.TB, parts []part, b []byte) {
	t.Helper()
	ls := make([]layer, len(parts))
	for i := range parts {
		ls[i] = parts[i].l
	}
	want := orbEncode(t, ls, 4096)
	if !bytes.Equal(b, want) {
		at := 0
		for at < min(len(b), len(want)) && b[at] == want[at] {
			at++
		}
		names := make([]string, len(ls))
		for i := range ls {
			names[i] = ls[i].name
		}
		t.Fatalf("layers %s: encoded %d bytes, mvt.Marshal %d; first difference at byte %d", strings.Join(names, ","), len(b), len(want), at)
	}
}

// TestEncodeMatchesOrb holds the encoder to mvt.Marshal byte for byte on
// tiles of the hand-made layers (holes, multi-part lines), on demo tiles
// of each layer alone z8–z17 (TestDemoTiles does every demo tile with all
// layers), and on every tile z10–z14 and a sample z15–z17 of each OSM
// extract in the reference data.
func TestEncodeMatchesOrb(t *testing.T) {
	n := 0
	check := func(o Options, srcs []Source, list []maptile.Tile) {
		o.encoded = func(parts []part, b []byte) { matchOrb(t, parts, b); n++ }
		for _, tile := range list {
			if _, _, err := o.render(srcs, tile); err != nil {
				t.Fatal(err)
			}
		}
	}
	hand := allTestSources(t)
	around := tilesAround(14)
	check(DefaultOptions(), hand, Sample(around[0].Bound().Union(around[len(around)-1].Bound()), 8, 17, 6))
	cat := demoCatalog(t)
	for _, src := range catalogSources(cat) {
		check(DefaultOptions().Prepared(), []Source{src}, Sample(demoBound(cat), 8, 17, 6))
	}
	if n < 100 {
		t.Fatalf("only %d tiles compared", n)
	}

	dir := refdata.Path(t, "osm")
	for _, name := range []string{"monaco.osm.pbf", "andorra.osm.pbf", "liechtenstein-latest.osm.pbf", "baltimore.osm.pbf", "bayfront_singapore.osm.pbf"} {
		x, err := osm.Read(context.Background(), filepath.Join(dir, name), osm.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ocat := layers.NewCatalog()
		if err := x.District(name).Put(ocat, layers.OwnerOSM); err != nil {
			t.Fatal(err)
		}
		srcs := catalogSources(ocat)
		rl, _ := ocat.Layer(layers.Roads)
		b := rl.Snapshot().Bound()
		before := n
		list := append(Sample(b, 10, 14, 1<<20), Sample(b, 15, 17, 64)...)
		check(DefaultOptions().Prepared(), srcs, list)
		t.Logf("%s: %d tiles of %d layers compared", name, n-before, len(srcs))
		if n-before < 20 {
			t.Errorf("%s: only %d tiles compared", name, n-before)
		}
	}
}

// randomLayer makes a layer of random features: every geometry type
// (empty multi-geometries and open rings too), ids missing, small and
// large, and attributes drawn from small pools so that values repeat
// within and across keys, with the values Go's == treats specially (NaN,
// 0 and -0) and ints and floats of the same number.
func randomLayer(rng *rand.Rand, name string) layer {
	nf := 1 + rng.IntN(8)
	kinds := []layers.FieldType{layers.String, layers.Int, layers.Float, layers.Bool}
	var fields []layers.Field
	for i := range nf {
		fields = append(fields, layers.Field{Name: string(rune('a'+rng.IntN(26))) + strings.Repeat("k", i), Type: kinds[rng.IntN(len(kinds))]})
	}
	slices.SortFunc(fields, func(a, b layers.Field) int { return strings.Compare(a.Name, b.Name) })
	fields = slices.CompactFunc(fields, func(a, b layers.Field) bool { return a.Name == b.Name })
	strs := []string{"", "a", "b", "école", strings.Repeat("x", 200)}
	floats := []float64{0, math.Copysign(0, -1), math.NaN(), 1, 2.5, -1e300, math.Inf(1)}
	ints := []int64{0, 1, -1, 2, math.MaxInt64, math.MinInt64, 1 << 40}
	coord := func() float64 {
		if rng.IntN(20) == 0 {
			return float64(rng.Int32N(1<<30) - 1<<29)
		}
		return float64(rng.IntN(4300) - 100)
	}
	pts := func(n int) []orb.Point {
		ps := make([]orb.Point, n)
		for i := range ps {
			ps[i] = orb.Point{coord(), coord()}
		}
		return ps
	}
	ring := func() orb.Ring {
		r := orb.Ring(pts(3 + rng.IntN(6)))
		if rng.IntN(3) > 0 {
			r = append(r, r[0])
		}
		return r
	}
	poly := func() orb.Polygon {
		p := orb.Polygon{ring()}
		for range rng.IntN(3) {
			p = append(p, ring())
		}
		return p
	}
	l := layer{name: name, fields: fields}
	for range rng.IntN(40) {
		var g orb.Geometry
		switch rng.IntN(8) {
		case 0:
			g = pts(1)[0]
		case 1:
			g = orb.MultiPoint(pts(rng.IntN(5)))
		case 2:
			g = orb.LineString(pts(2 + rng.IntN(10)))
		case 3:
			var m orb.MultiLineString
			for range rng.IntN(4) {
				m = append(m, orb.LineString(pts(1+rng.IntN(6))))
			}
			g = m
		case 4:
			g = poly()
		case 5:
			var m orb.MultiPolygon
			for range rng.IntN(4) {
				m = append(m, poly())
			}
			g = m
		case 6:
			g = ring()
		default:
			g = orb.Polygon{}
		}
		pr := &prepared{}
		if r := rng.IntN(4); r > 0 {
			pr.hasID = true
			pr.id = []uint64{0, 1, 300, math.MaxUint64}[r]
		}
		for i, fd := range fields {
			if rng.IntN(4) == 0 {
				continue // absent
			}
			var v any
			switch fd.Type {
			case layers.String:
				v = strs[rng.IntN(len(strs))]
			case layers.Int:
				v = ints[rng.IntN(len(ints))]
			case layers.Float:
				v = floats[rng.IntN(len(floats))]
			default:
				v = rng.IntN(2) == 0
			}
			pr.vals = append(pr.vals, valueOf(uint16(i), v))
		}
		pr.idSize = idSize(pr.id, pr.hasID)
		pr.attrs = attrSize(pr.vals, pr.idSize)
		l.features = append(l.features, feature{geom: g, pr: pr, gsize: geomSize(g)})
	}
	return l
}

// checkRandom encodes a few random layers as a tile and compares it with
// mvt.Marshal, and each layer's planned size with its encoding.
func checkRandom(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var parts []part
	var ls []layer
	for i := range 1 + rng.IntN(3) {
		l := randomLayer(rng, "layer"+string(rune('0'+i)))
		parts = append(parts, part{l: l})
		ls = append(ls, l)
	}
	s := &scratch{}
	b, err := encodeTile(parts, 4096, s)
	if err != nil {
		t.Fatal(err)
	}
	if want := orbEncode(t, ls, 4096); !bytes.Equal(b, want) {
		t.Fatalf("seed %d: encoded %d bytes, mvt.Marshal %d", seed, len(b), len(want))
	}
	for i := range ls {
		n, err := layerBytes(&ls[i], 4096, s)
		if err != nil {
			t.Fatal(err)
		}
		if want := len(orbEncode(t, ls[i:i+1], 4096)); n != want {
			t.Fatalf("seed %d layer %d: sized %d bytes, encoded %d", seed, i, n, want)
		}
	}
}

// TestEncodeRandom runs the fuzz check over a fixed range of seeds.
func TestEncodeRandom(t *testing.T) {
	for seed := range uint64(2000) {
		checkRandom(t, seed)
	}
}

// FuzzEncode compares the encoder with mvt.Marshal on random features
// (go test ./tiles -run XXX -fuzz FuzzEncode -fuzztime 1m).
func FuzzEncode(f *testing.F) {
	for _, s := range []uint64{1, 2, 3, 42, 1 << 40} {
		f.Add(s)
	}
	f.Fuzz(checkRandom)
}

// TestEncodeRefusesCollections: a geometry MVT has no encoding for is an
// error, not a tile.
func TestEncodeRefusesCollections(t *testing.T) {
	pr := &prepared{}
	l := layer{name: "x", features: []feature{{geom: orb.Collection{orb.Point{1, 2}}, pr: pr}}}
	if _, err := encodeTile([]part{{l: l}}, 4096, &scratch{}); err == nil {
		t.Fatal("a collection was encoded")
	}
}
