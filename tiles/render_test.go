package tiles

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
)

// The hand-made test area: about 6 × 6 km around Futian, Shenzhen.
var (
	testCenter = orb.Point{114.055, 22.541}
	testTile   = maptile.At(testCenter, 14)
)

const testSpan = 0.06 // degrees

func testSchema(name string, g layers.GeomType, minz, maxz int) layers.Schema {
	return layers.Schema{Name: name, Geometry: g, MinZoom: minz, MaxZoom: maxz, Fields: []layers.Field{
		{Name: "name", Type: layers.String},
		{Name: "n", Type: layers.Int},
		{Name: "x", Type: layers.Float},
		{Name: "ok", Type: layers.Bool},
	}}
}

func props(i int) map[string]any {
	return map[string]any{"name": "f" + string(rune('a'+i%26)), "n": int64(i), "x": float64(i) / 4, "ok": i%2 == 0}
}

// testFeatures makes n features of a kind with ids from first.
func testFeatures(kind string, first int64, n int, seed uint64) []layers.Feature {
	r := rand.New(rand.NewPCG(seed, 7))
	at := func() orb.Point {
		return orb.Point{testCenter[0] + (r.Float64()-0.5)*testSpan, testCenter[1] + (r.Float64()-0.5)*testSpan}
	}
	var out []layers.Feature
	for i := 0; i < n; i++ {
		id := first + int64(i)
		var g orb.Geometry
		switch kind {
		case "points":
			g = at()
		case "lines":
			p := at()
			ls := orb.LineString{p}
			for k := 0; k < 2+r.IntN(20); k++ {
				p = orb.Point{p[0] + (r.Float64()-0.5)*0.004, p[1] + (r.Float64()-0.5)*0.004}
				ls = append(ls, p)
			}
			g = ls
		case "polys":
			// Rectangles with a hole, half of them wound clockwise in
			// lon/lat, half counter-clockwise, to exercise the fix.
			c := at()
			w, h := 0.0005+r.Float64()*0.004, 0.0005+r.Float64()*0.004
			outer := orb.Ring{{c[0], c[1]}, {c[0] + w, c[1]}, {c[0] + w, c[1] + h}, {c[0], c[1] + h}, {c[0], c[1]}}
			hole := orb.Ring{{c[0] + w/4, c[1] + h/4}, {c[0] + w/4, c[1] + h*3/4}, {c[0] + w*3/4, c[1] + h*3/4}, {c[0] + w*3/4, c[1] + h/4}, {c[0] + w/4, c[1] + h/4}}
			if i%2 == 1 {
				reverse(outer)
				reverse(hole)
			}
			g = orb.Polygon{outer, hole}
		}
		out = append(out, layers.Feature{ID: id, Geometry: g, Properties: props(i)})
	}
	return out
}

func testSource(t testing.TB, kind string, minz, maxz int) Source {
	t.Helper()
	var g layers.GeomType
	switch kind {
	case "points":
		g = layers.Point
	case "lines":
		g = layers.LineString
	case "polys":
		g = layers.Polygon
	}
	return Source{Schema: testSchema(kind, g, minz, maxz), Snapshot: layers.NewSnapshot(1, testFeatures(kind, 1, 400, 1))}
}

func allTestSources(t testing.TB) []Source {
	return []Source{testSource(t, "polys", 0, 22), testSource(t, "lines", 0, 22), testSource(t, "points", 0, 22)}
}

// tilesAround lists the tiles covering the test area at zoom z.
func tilesAround(z maptile.Zoom) []maptile.Tile {
	min := maptile.At(orb.Point{testCenter[0] - testSpan/2, testCenter[1] + testSpan/2}, z)
	max := maptile.At(orb.Point{testCenter[0] + testSpan/2, testCenter[1] - testSpan/2}, z)
	var out []maptile.Tile
	for x := min.X; x <= max.X; x++ {
		for y := min.Y; y <= max.Y; y++ {
			out = append(out, maptile.New(x, y, z))
		}
	}
	return out
}

// checkTile decodes b with the strict decoder and with orb's, and checks
// what every onemap tile must satisfy. It returns the decoded layers.
func checkTile(t *testing.T, b []byte, srcs []Source, tile maptile.Tile) []Layer {
	t.Helper()
	if len(b) == 0 {
		return nil
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatalf("%v: strict decode: %v", tile, err)
	}
	if _, err := mvt.Unmarshal(b); err != nil {
		t.Fatalf("%v: orb decode: %v", tile, err)
	}
	schemas := map[string]Source{}
	labels := map[string]bool{} // label layer names
	for _, s := range srcs {
		schemas[s.Schema.Name] = s
		if s.Schema.Labels {
			schemas[LabelLayer(s.Schema.Name)] = s
			labels[LabelLayer(s.Schema.Name)] = true
		}
	}
	lim := 4096 + 64.0
	for _, l := range got {
		s, ok := schemas[l.Name]
		if !ok {
			t.Fatalf("%v: unexpected layer %q", tile, l.Name)
		}
		if l.Version != 2 || l.Extent != 4096 {
			t.Errorf("%v: layer %s version %d extent %d", tile, l.Name, l.Version, l.Extent)
		}
		if int(tile.Z) < s.Schema.MinZoom || int(tile.Z) > s.Schema.MaxZoom {
			t.Errorf("%v: layer %s outside its zoom range %d–%d", tile, l.Name, s.Schema.MinZoom, s.Schema.MaxZoom)
		}
		if len(l.Features) == 0 {
			t.Errorf("%v: layer %s without features", tile, l.Name)
		}
		var prev uint64
		for i, f := range l.Features {
			if !f.HasID {
				t.Fatalf("%v: %s feature %d without id", tile, l.Name, i)
			}
			if i > 0 && f.ID <= prev {
				t.Errorf("%v: %s ids not ascending: %d after %d", tile, l.Name, f.ID, prev)
			}
			prev = f.ID
			src, ok := s.Snapshot.Get(int64(f.ID))
			if !ok {
				t.Fatalf("%v: %s feature id %d not in the layer", tile, l.Name, f.ID)
			}
			for k, v := range f.Properties {
				fd, ok := s.Schema.Field(k)
				if !ok {
					t.Errorf("%v: %s/%d: attribute %q not in the schema", tile, l.Name, f.ID, k)
					continue
				}
				want := src.Properties[k]
				if fd.Type == layers.Int {
					if v != want {
						t.Errorf("%v: %s/%d: %s = %v (%T), want %v", tile, l.Name, f.ID, k, v, v, want)
					}
				} else if v != want {
					t.Errorf("%v: %s/%d: %s = %v, want %v", tile, l.Name, f.ID, k, v, want)
				}
			}
			b := f.Geometry.Bound()
			if labels[l.Name] {
				if int(tile.Z) < s.Schema.LabelMinZoom {
					t.Errorf("%v: %s below its label zoom %d", tile, l.Name, s.Schema.LabelMinZoom)
				}
				// A label is a point in the tile proper (snapped, so the far
				// edges may be reached).
				if p, ok := f.Geometry.(orb.Point); !ok || f.Type != PointType || p[0] < 0 || p[1] < 0 || p[0] > 4096 || p[1] > 4096 {
					t.Errorf("%v: %s/%d: label %v (type %d) is not a point in the tile", tile, l.Name, f.ID, f.Geometry, f.Type)
				}
				continue
			}
			if b.Min[0] < -64 || b.Min[1] < -64 || b.Max[0] > lim || b.Max[1] > lim {
				t.Errorf("%v: %s/%d: geometry %v beyond the buffer", tile, l.Name, f.ID, b)
			}
			wantType := map[layers.GeomType]GeomType{layers.Point: PointType, layers.MultiPoint: PointType,
				layers.LineString: LineStringType, layers.MultiLineString: LineStringType,
				layers.Polygon: PolygonType, layers.MultiPolygon: PolygonType}[s.Schema.Geometry]
			if f.Type != wantType {
				t.Errorf("%v: %s/%d: type %d, want %d", tile, l.Name, f.ID, f.Type, wantType)
			}
		}
	}
	return got
}

func TestRenderDecodes(t *testing.T) {
	srcs := allTestSources(t)
	n := 0
	for z := maptile.Zoom(6); z <= 18; z++ {
		for _, tile := range tilesAround(z) {
			b, err := Render(srcs, tile)
			if err != nil {
				t.Fatal(err)
			}
			checkTile(t, b, srcs, tile)
			n++
		}
	}
	if n < 100 {
		t.Fatalf("only %d tiles", n)
	}
}

// TestWinding checks spec 2.1 winding independently of the decoder above:
// the first ring of each polygon has positive area by the surveyor's
// formula in tile coordinates (clockwise with y down), holes negative, and
// orb's decoder, which splits polygons on winding, sees one polygon with
// one hole per feature.
func TestWinding(t *testing.T) {
	src := testSource(t, "polys", 0, 22)
	b, err := Render([]Source{src}, testTile)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	holes := 0
	for _, f := range ls[0].Features {
		var polys []orb.Polygon
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			polys = []orb.Polygon{g}
		case orb.MultiPolygon:
			polys = g
		default:
			t.Fatalf("feature %v: %T", f.ID, g)
		}
		for _, p := range polys {
			for i, r := range p {
				a := shoelace(r)
				if i == 0 && a <= 0 || i > 0 && a >= 0 {
					t.Errorf("feature %v ring %d: area %v", f.ID, i, a)
				}
				if i > 0 {
					holes++
				}
			}
		}
	}
	if holes == 0 {
		t.Fatal("no holes seen: the test data lost its holes")
	}
}

// shoelace is written out again here rather than calling area2, so the
// check does not share code with the encoder.
func shoelace(r orb.Ring) float64 {
	s := 0.0
	n := len(r)
	for i := range n {
		j := (i + 1) % n
		s += r[i][0]*r[j][1] - r[j][0]*r[i][1]
	}
	return s / 2
}

func TestZoomRange(t *testing.T) {
	pts := testSource(t, "points", 11, 13)
	lines := testSource(t, "lines", 0, 22)
	for z := maptile.Zoom(8); z <= 16; z++ {
		tile := maptile.At(testCenter, z)
		b, err := Render([]Source{pts, lines}, tile)
		if err != nil {
			t.Fatal(err)
		}
		ls := checkTile(t, b, []Source{pts, lines}, tile)
		has := false
		for _, l := range ls {
			has = has || l.Name == "points"
		}
		if want := z >= 11 && z <= 13; has != want {
			t.Errorf("z%d: points layer present %v, want %v", z, has, want)
		}
	}
}

func TestAttributesOnlySchemaFields(t *testing.T) {
	s := testSchema("points", layers.Point, 0, 22)
	f := []layers.Feature{{ID: 7, Geometry: testCenter, Properties: map[string]any{
		"name": "a", "n": int64(3), "secret": "x", "x": "not a float", "ok": true,
	}}}
	src := Source{Schema: s, Snapshot: layers.NewSnapshot(1, f)}
	b, err := Render([]Source{src}, testTile)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	got := ls[0].Features[0].Properties
	want := map[string]any{"name": "a", "n": int64(3), "ok": true}
	if len(got) != len(want) || got["name"] != "a" || got["n"] != int64(3) || got["ok"] != true {
		t.Fatalf("properties %v, want %v", got, want)
	}
	if ls[0].Features[0].ID != 7 {
		t.Fatalf("id %d", ls[0].Features[0].ID)
	}
}

func TestDegenerateDropped(t *testing.T) {
	s := testSchema("polys", layers.Polygon, 0, 22)
	c := testCenter
	d := 0.00002 // about 2 m: under a tile unit at z8, many units at z17
	small := orb.Polygon{{c, {c[0] + d, c[1]}, {c[0] + d, c[1] + d}, {c[0], c[1] + d}, c}}
	flat := orb.Polygon{{c, {c[0] + 0.01, c[1]}, {c[0] + 0.02, c[1]}, c}} // no area at all
	line := orb.LineString{c, c}
	src := Source{Schema: s, Snapshot: layers.NewSnapshot(1, []layers.Feature{
		{ID: 1, Geometry: small}, {ID: 2, Geometry: flat}, {ID: 3, Geometry: line},
	})}
	for _, tc := range []struct {
		z    maptile.Zoom
		want []uint64
	}{{8, nil}, {17, []uint64{1}}} {
		tile := maptile.At(orb.Point{c[0] + d/2, c[1] + d/2}, tc.z)
		b, err := Render([]Source{src}, tile)
		if err != nil {
			t.Fatal(err)
		}
		ls, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint64
		for _, l := range ls {
			for _, f := range l.Features {
				ids = append(ids, f.ID)
			}
		}
		if len(ids) != len(tc.want) || len(ids) == 1 && ids[0] != tc.want[0] {
			t.Errorf("z%d: ids %v, want %v", tc.z, ids, tc.want)
		}
		if tc.want == nil && len(b) != 0 {
			t.Errorf("z%d: empty tile has %d bytes", tc.z, len(b))
		}
	}
}

func TestEmptyTile(t *testing.T) {
	b, err := Render(allTestSources(t), maptile.At(orb.Point{0, 0}, 14))
	if err != nil || len(b) != 0 {
		t.Fatalf("far tile: %d bytes, %v", len(b), err)
	}
	if _, err := Render(nil, maptile.Tile{X: 4, Y: 0, Z: 2}); err == nil {
		t.Fatal("x out of range accepted")
	}
	if _, err := Render(nil, maptile.Tile{Z: 23}); err == nil {
		t.Fatal("z 23 accepted")
	}
}

func TestDeterministic(t *testing.T) {
	srcs := allTestSources(t)
	// The same features inserted in another order, as another source
	// (PostGIS) might deliver them.
	var shuffled []Source
	for _, s := range srcs {
		var fs []layers.Feature
		s.Snapshot.All(func(f *layers.Feature) bool { fs = append(fs, *f); return true })
		rand.New(rand.NewPCG(3, 4)).Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
		shuffled = append(shuffled, Source{Schema: s.Schema, Snapshot: layers.NewSnapshot(9, fs)})
	}
	for _, tile := range tilesAround(15) {
		a, err := Render(srcs, tile)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Render(shuffled, tile)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("%v: bytes depend on insertion order", tile)
		}
	}
}

func TestClipKeepsBuffer(t *testing.T) {
	s := testSchema("lines", layers.LineString, 0, 22)
	tb := testTile.Bound()
	long := orb.LineString{{tb.Min[0] - 1, tb.Center()[1]}, {tb.Max[0] + 1, tb.Center()[1]}}
	src := Source{Schema: s, Snapshot: layers.NewSnapshot(1, []layers.Feature{{ID: 1, Geometry: long}})}
	b, err := Render([]Source{src}, testTile)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	got := ls[0].Features[0].Geometry.Bound()
	if got.Min[0] != -64 || got.Max[0] != 4096+64 {
		t.Fatalf("clipped line spans %v, want x from -64 to 4160", got)
	}
}

func TestMaxBytesThins(t *testing.T) {
	src := Source{Schema: testSchema("lines", layers.LineString, 0, 22),
		Snapshot: layers.NewSnapshot(1, testFeatures("lines", 1, 5000, 2))}
	tile := maptile.At(testCenter, 13)
	full, err := Render([]Source{src}, tile)
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	o.MaxBytes = len(full) / 3
	b, level, err := o.render([]Source{src}, tile)
	if err != nil {
		t.Fatal(err)
	}
	if level == 0 || len(b) > o.MaxBytes {
		t.Fatalf("thinning level %d gave %d bytes, budget %d (full %d)", level, len(b), o.MaxBytes, len(full))
	}
	checkTile(t, b, []Source{src}, tile)

	// Size estimates that fall short: the encoded tile is over budget and
	// thinning goes on until it fits.
	o.shrink = 4
	b2, level2, err := o.render([]Source{src}, tile)
	if err != nil {
		t.Fatal(err)
	}
	if level2 < level || len(b2) > o.MaxBytes {
		t.Fatalf("with short estimates: level %d gave %d bytes, budget %d (level %d with estimates as they are)", level2, len(b2), o.MaxBytes, level)
	}
	checkTile(t, b2, []Source{src}, tile)
}

func TestProjectorInverse(t *testing.T) {
	p := newProjector(testTile, 4096, 64)
	for _, q := range []orb.Point{{0, 0}, {4096, 4096}, {-64, 100}, {2048.5, 77}} {
		r := p.project(toWorld(p.unproject(q)))
		if math.Abs(r[0]-q[0]) > 1e-6 || math.Abs(r[1]-q[1]) > 1e-6 {
			t.Errorf("project(unproject(%v)) = %v", q, r)
		}
	}
	// The tile's own corners land on 0 and 4096.
	b := testTile.Bound()
	nw := p.project(toWorld(orb.Point{b.Min[0], b.Max[1]}))
	if math.Abs(nw[0]) > 1e-6 || math.Abs(nw[1]) > 1e-6 {
		t.Errorf("north-west corner at %v", nw)
	}
}
