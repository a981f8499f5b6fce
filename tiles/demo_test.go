package tiles

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// demo generates the embedded demo district once for all tests here.
var demoData = sync.OnceValues(func() (*data.District, *layers.Catalog) {
	d := demo.Generate(demo.Options{Seed: demo.DefaultSeed})
	cat := layers.NewCatalog()
	d.Put(cat, layers.OwnerDemo)
	return d, cat
})

func demoCatalog(t testing.TB) *layers.Catalog {
	t.Helper()
	_, cat := demoData()
	return cat
}

func catalogSources(cat *layers.Catalog, names ...string) []Source {
	if len(names) == 0 {
		names = cat.Names()
	}
	var out []Source
	for _, n := range names {
		l, _ := cat.Layer(n)
		out = append(out, Source{Schema: l.Schema, Snapshot: l.Snapshot()})
	}
	return out
}

func demoBound(cat *layers.Catalog) orb.Bound {
	l, _ := cat.Layer(layers.Districts)
	return l.Snapshot().Bound()
}

// TestDemoTiles renders every tile of the demo district at z8–z14 with all
// layers at once, plus a sample at z15–z17, and checks each with both
// decoders and against the sources; no tile may exceed 500 KB.
func TestDemoTiles(t *testing.T) {
	cat := demoCatalog(t)
	srcs := catalogSources(cat)
	b := demoBound(cat)
	list := Sample(b, 8, 14, 1<<20)
	list = append(list, Sample(b, 15, 17, 12)...)
	biggest, thinned := 0, 0
	// Every tile's bytes are held to mvt.Marshal's of the same layers,
	// thinned tiles included.
	o := DefaultOptions()
	o.encoded = func(parts []part, b []byte) { matchOrb(t, parts, b) }
	var biggestTile maptile.Tile
	for _, tile := range list {
		raw, level, err := o.render(srcs, tile)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) > 500_000 {
			t.Errorf("%v: %d bytes", tile, len(raw))
		}
		if level > 0 {
			thinned++
		}
		if len(raw) > biggest {
			biggest, biggestTile = len(raw), tile
		}
		checkTile(t, raw, srcs, tile)
	}
	t.Logf("%d tiles, biggest %d bytes at %v, %d needed thinning", len(list), biggest, biggestTile, thinned)
}

// demoInPostGIS writes the demo district into a fresh PostGIS schema and
// returns a context for the test's queries, the database and the catalog
// holding the same district.
func demoInPostGIS(t *testing.T) (context.Context, *pgtest.DB, *layers.Catalog) {
	t.Helper()
	db := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	d, cat := demoData()
	if err := postgis.Migrate(ctx, db.Pool); err != nil {
		t.Fatal(err)
	}
	if err := postgis.Write(ctx, db.Pool, d); err != nil {
		t.Fatal(err)
	}
	return ctx, db, cat
}

// TestDemoPostGIS is the cross-check against PostGIS: for a sample of tiles
// across z8–z17, each layer's tile from onemap holds the same features
// (count and ids) as ST_AsMVT(ST_AsMVTGeom(...)) makes from the same rows.
// It also reads the district back from PostGIS and checks that those layers
// give byte-identical tiles.
func TestDemoPostGIS(t *testing.T) {
	ctx, db, cat := demoInPostGIS(t)
	list := Sample(demoBound(cat), 8, 17, 12)

	t.Run("ids match ST_AsMVT", func(t *testing.T) {
		compared, features := 0, 0
		for _, l := range cat.Layers() {
			// The layer itself: its label points (label_test.go) have no
			// counterpart in ST_AsMVT.
			s := l.Schema
			s.Labels = false
			src := []Source{{Schema: s, Snapshot: l.Snapshot()}}
			for _, tile := range list {
				if int(tile.Z) < l.Schema.MinZoom || int(tile.Z) > l.Schema.MaxZoom {
					continue
				}
				ours, level, err := DefaultOptions().render(src, tile)
				if err != nil {
					t.Fatal(err)
				}
				if level > 0 {
					t.Errorf("%s %v needed thinning; the comparison assumes none", l.Schema.Name, tile)
					continue
				}
				theirs, err := PostGISTile(ctx, db.Pool, []layers.Schema{l.Schema}, tile)
				if err != nil {
					t.Fatal(err)
				}
				a, b := tileIDs(t, ours), tileIDs(t, theirs)
				if !slices.Equal(a, b) {
					t.Errorf("%s %d/%d/%d: onemap %d features, PostGIS %d; only onemap %v, only PostGIS %v",
						l.Schema.Name, tile.Z, tile.X, tile.Y, len(a), len(b), minus(a, b), minus(b, a))
				}
				compared++
				features += len(b)
			}
		}
		t.Logf("%d layer tiles compared, %d PostGIS features", compared, features)
		if compared < 100 || features < 1000 {
			t.Fatalf("too little compared: %d tiles, %d features", compared, features)
		}
	})

	t.Run("PostGIS source gives identical bytes", func(t *testing.T) {
		back, err := postgis.Read(ctx, db.Pool)
		if err != nil {
			t.Fatal(err)
		}
		cat2 := layers.NewCatalog()
		back.Put(cat2, layers.OwnerDemo)
		a, b := catalogSources(cat), catalogSources(cat2)
		for _, tile := range list {
			x, err := Render(a, tile)
			if err != nil {
				t.Fatal(err)
			}
			y, err := Render(b, tile)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(x, y) {
				t.Fatalf("%v: embedded %d bytes, from PostGIS %d bytes", tile, len(x), len(y))
			}
		}
	})
}

func tileIDs(t *testing.T, b []byte) []uint64 {
	t.Helper()
	ls, err := Decode(b)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	var ids []uint64
	for _, l := range ls {
		for _, f := range l.Features {
			ids = append(ids, f.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func minus(a, b []uint64) string {
	var out []uint64
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			out = append(out, x)
		}
	}
	if len(out) > 10 {
		return fmt.Sprint(out[:10], "…")
	}
	return fmt.Sprint(out)
}
