package tiles

import (
	"bytes"
	"compress/gzip"
	"io"
	"sync"
	"testing"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/prometheus/client_golang/prometheus"
)

func testCatalog(t testing.TB) *layers.Catalog {
	cat := layers.NewCatalog()
	for _, s := range allTestSources(t) {
		var fs []layers.Feature
		s.Snapshot.All(func(f *layers.Feature) bool { fs = append(fs, *f); return true })
		cat.Put(s.Schema, fs)
	}
	return cat
}

func sourcesOf(t testing.TB, cat *layers.Catalog, names ...string) []Source {
	var out []Source
	for _, n := range names {
		l, ok := cat.Layer(n)
		if !ok {
			t.Fatalf("no layer %s", n)
		}
		out = append(out, Source{Schema: l.Schema, Snapshot: l.Snapshot()})
	}
	return out
}

func TestCacheInvalidatesExactlyTouchedTiles(t *testing.T) {
	cat := testCatalog(t)
	c := NewCache(1<<30, DefaultOptions())
	c.Watch(cat)
	c.Watch(cat) // idempotent
	sets := [][]string{{"polys"}, {"points"}, {"polys", "lines"}}
	all := tilesAround(15)
	for _, set := range sets {
		for _, tile := range all {
			if _, err := c.Tile(sourcesOf(t, cat, set...), tile); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := c.Stats()
	if before.Misses != uint64(len(sets)*len(all)) || before.Hits != 0 {
		t.Fatalf("fill: %+v", before)
	}

	// Move polygon 10 somewhere else: its old and new bounds change.
	l, _ := cat.Layer("polys")
	old, _ := l.Snapshot().Get(10)
	moved := *old
	moved.Geometry = orb.Polygon{{{114.04, 22.53}, {114.041, 22.53}, {114.041, 22.531}, {114.04, 22.531}, {114.04, 22.53}}}
	changed := []orb.Bound{old.Bound(), moved.Geometry.Bound()}
	if _, err := cat.Apply("", "polys", []layers.Change{{Op: layers.Upsert, Feature: moved}}); err != nil {
		t.Fatal(err)
	}

	wantDropped := map[maptile.Tile]bool{}
	p := DefaultOptions()
	for _, tile := range all {
		sb := newProjector(tile, p.Extent, p.Buffer).searchBound
		for _, b := range changed {
			if sb.Intersects(b) {
				wantDropped[tile] = true
			}
		}
	}
	if len(wantDropped) == 0 || len(wantDropped) == len(all) {
		t.Fatalf("test needs some but not all tiles touched: %d of %d", len(wantDropped), len(all))
	}
	after := c.Stats()
	// Two of the three layer sets hold polys.
	if got, want := after.Invalidations-before.Invalidations, uint64(2*len(wantDropped)); got != want {
		t.Fatalf("dropped %d tiles, want %d", got, want)
	}

	for _, set := range sets {
		for _, tile := range all {
			srcs := sourcesOf(t, cat, set...)
			s0 := c.Stats()
			e, err := c.Tile(srcs, tile)
			if err != nil {
				t.Fatal(err)
			}
			s1 := c.Stats()
			hit := s1.Hits > s0.Hits
			wantHit := set[0] == "points" || !wantDropped[tile]
			if hit != wantHit {
				t.Errorf("%v %v: hit %v, want %v", set, tile, hit, wantHit)
			}
			// Whatever the cache answers is what rendering now gives.
			fresh, err := Render(srcs, tile)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(e.Raw, fresh) {
				t.Fatalf("%v %v: cached tile is stale", set, tile)
			}
			if e.ETag != ETag(fresh) {
				t.Fatalf("%v %v: etag", set, tile)
			}
			if len(fresh) > 0 {
				gz, err := e.Gzip()
				if err != nil {
					t.Fatal(err)
				}
				zr, err := gzip.NewReader(bytes.NewReader(gz))
				if err != nil {
					t.Fatal(err)
				}
				unz, _ := io.ReadAll(zr)
				if !bytes.Equal(unz, fresh) {
					t.Fatalf("%v %v: gzip differs", set, tile)
				}
			}
		}
	}

	// Replacing the whole layer drops all its tiles.
	s0 := c.Stats()
	var fs []layers.Feature
	l.Snapshot().All(func(f *layers.Feature) bool { fs = append(fs, *f); return true })
	cat.Put(l.Schema, fs)
	if got := c.Stats().Invalidations - s0.Invalidations; got != uint64(2*len(all)) {
		t.Fatalf("Put dropped %d tiles, want %d", got, 2*len(all))
	}
}

func TestCacheBudgetEvictsLRU(t *testing.T) {
	cat := testCatalog(t)
	srcs := sourcesOf(t, cat, "polys", "lines", "points")
	tiles := tilesAround(16)
	// Budget for about three tiles.
	e, err := NewCache(1<<30, DefaultOptions()).Tile(srcs, tiles[0])
	if err != nil {
		t.Fatal(err)
	}
	gz, err := e.Gzip()
	if err != nil {
		t.Fatal(err)
	}
	per := int64(len(e.Raw)+len(gz)) + 1024
	c := NewCache(3*per, DefaultOptions())
	for _, tile := range tiles {
		if _, err := c.Tile(srcs, tile); err != nil {
			t.Fatal(err)
		}
	}
	s := c.Stats()
	if s.Bytes > 3*per || s.Evictions == 0 || s.Entries == 0 {
		t.Fatalf("budget %d: %+v", 3*per, s)
	}
	// The most recent tile is still there; the first is gone.
	last := tiles[len(tiles)-1]
	if _, err := c.Tile(srcs, last); err != nil {
		t.Fatal(err)
	}
	if c.Stats().Hits != s.Hits+1 {
		t.Fatal("most recent tile was evicted")
	}
	if _, err := c.Tile(srcs, tiles[0]); err != nil {
		t.Fatal(err)
	}
	if c.Stats().Misses != s.Misses+1 {
		t.Fatal("oldest tile survived a full budget")
	}
}

// TestCacheGzipOnDemand: a tile is compressed only when asked for, once
// (the same bytes each time, which the standard library reads back), and
// its gzipped bytes count towards the budget from then on, unless the
// tile has already left the cache.
func TestCacheGzipOnDemand(t *testing.T) {
	cat := testCatalog(t)
	srcs := sourcesOf(t, cat, "polys", "lines", "points")
	c := NewCache(1<<30, DefaultOptions())
	e, err := c.Tile(srcs, testTile)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Raw) == 0 || e.gz != nil {
		t.Fatalf("rendered %d bytes, gzipped %d before anyone asked", len(e.Raw), len(e.gz))
	}
	before := c.Stats().Bytes
	gz, err := e.Gzip()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Stats().Bytes - before; got != int64(len(gz)) {
		t.Fatalf("gzip added %d bytes to the cache, want %d", got, len(gz))
	}
	again, _ := e.Gzip()
	if &again[0] != &gz[0] || c.Stats().Bytes-before != int64(len(gz)) {
		t.Fatal("compressed twice")
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if unz, err := io.ReadAll(zr); err != nil || !bytes.Equal(unz, e.Raw) {
		t.Fatalf("gzip does not read back: %v", err)
	}
	if len(gz) >= len(e.Raw) {
		t.Errorf("gzip %d bytes for %d raw", len(gz), len(e.Raw))
	}

	// A tile dropped before its first gzip leaves the count alone.
	other := tilesAround(16)[0]
	e2, err := c.Tile(srcs, other)
	if err != nil {
		t.Fatal(err)
	}
	c.Invalidate(layers.Event{Layer: "points", All: true})
	s0 := c.Stats()
	if _, err := e2.Gzip(); err != nil {
		t.Fatal(err)
	}
	if s := c.Stats(); s.Bytes != s0.Bytes {
		t.Fatalf("an evicted tile's gzip changed the cache's size %d → %d", s0.Bytes, s.Bytes)
	}
}

func TestCacheMetrics(t *testing.T) {
	cat := testCatalog(t)
	c := NewCache(1<<30, DefaultOptions())
	srcs := sourcesOf(t, cat, "points")
	for i := 0; i < 3; i++ {
		if _, err := c.Tile(srcs, testTile); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		m := mf.GetMetric()[0]
		if m.GetCounter() != nil {
			got[mf.GetName()] = m.GetCounter().GetValue()
		} else {
			got[mf.GetName()] = m.GetGauge().GetValue()
		}
	}
	if got["onemap_tile_cache_hits_total"] != 2 || got["onemap_tile_cache_misses_total"] != 1 || got["onemap_tile_cache_entries"] != 1 {
		t.Fatalf("metrics %v", got)
	}
}

// TestPreparedConcurrentEdits renders from many goroutines through one
// cache while a writer edits the layer; afterwards every tile the cache
// gives equals a fresh unprepared render (run with -race).
func TestPreparedConcurrentEdits(t *testing.T) {
	cat := testCatalog(t)
	c := NewCache(1<<30, DefaultOptions())
	c.Watch(cat)
	all := tilesAround(15)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				if _, err := c.Tile(sourcesOf(t, cat, "polys", "points"), all[i%len(all)]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for i := 0; i < 40; i++ {
		l, _ := cat.Layer("points")
		f, _ := l.Snapshot().Get(int64(1 + i))
		moved := *f
		moved.Geometry = orb.Point{f.Geometry.(orb.Point)[0] + 0.001, f.Geometry.(orb.Point)[1]}
		if _, err := cat.Apply("", "points", []layers.Change{{Op: layers.Upsert, Feature: moved}}); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	for _, tile := range all {
		srcs := sourcesOf(t, cat, "polys", "points")
		e, err := c.Tile(srcs, tile)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Render(srcs, tile)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(e.Raw, want) {
			t.Fatalf("%v: cache after edits differs from a fresh render", tile)
		}
	}
}
