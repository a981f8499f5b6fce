package tiles

import (
	"bytes"
	"testing"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
)

// orbEncode is the reference: the same layers through mvt.Marshal, with
// plain strings where Render hands over interned ones.
func orbEncode(t testing.TB, ls []layer) []byte {
	var mls mvt.Layers
	for _, l := range ls {
		ml := &mvt.Layer{Name: l.name, Version: 2, Extent: 4096}
		for _, f := range l.features {
			gf := geojson.NewFeature(f.geom)
			gf.Properties = geojson.Properties{}
			for k, v := range f.pr.props {
				if s, ok := v.(text); ok {
					v = s.String()
				}
				gf.Properties[k] = v
			}
			gf.ID = f.pr.id
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

// TestEncodeMatchesOrb checks that Render's concatenation of one-layer tile
// messages is byte for byte mvt.Marshal of all the layers at once, on demo
// tiles of every layer, z8–z17, and on the hand-made layers (holes,
// multi-part lines).
func TestEncodeMatchesOrb(t *testing.T) {
	cat := demoCatalog(t)
	cases := []struct {
		srcs []Source
		name string
	}{{catalogSources(cat), "demo"}, {allTestSources(t), "hand-made"}}
	n := 0
	for _, c := range cases {
		b := demoBound(cat)
		if c.name == "hand-made" {
			b = tilesAround(14)[0].Bound().Union(tilesAround(14)[len(tilesAround(14))-1].Bound())
		}
		for _, tile := range Sample(b, 8, 17, 6) {
			var ls []layer
			p := newProjector(tile, 4096, 64)
			for _, src := range c.srcs {
				if int(tile.Z) < src.Schema.MinZoom || int(tile.Z) > src.Schema.MaxZoom {
					continue
				}
				if l := DefaultOptions().layer(p, src, 0); len(l.features) > 0 {
					ls = append(ls, l)
				}
				if !src.Schema.Labels || int(tile.Z) < src.Schema.LabelMinZoom {
					continue
				}
				if l := DefaultOptions().labels(p, src); len(l.features) > 0 {
					ls = append(ls, l)
				}
			}
			if len(ls) == 0 {
				continue
			}
			want := orbEncode(t, ls)
			// Same bytes unless Render had to thin.
			if r, level, err := DefaultOptions().render(c.srcs, tile); err != nil {
				t.Fatal(err)
			} else if level == 0 && !bytes.Equal(r, want) {
				t.Fatalf("%s %v: Render gives %d bytes, mvt.Marshal %d", c.name, tile, len(r), len(want))
			}
			n++
		}
	}
	if n < 50 {
		t.Fatalf("only %d tiles compared", n)
	}
}
