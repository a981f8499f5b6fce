package tiles

import (
	"bytes"
	"container/list"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/prometheus/client_golang/prometheus"
)

// Entry is a rendered tile as the server sends it: the uncompressed MVT
// bytes and a strong ETag of them; the gzipped bytes are made on first
// use (Gzip), so a client that does not accept gzip costs no compression.
// An empty tile has no bytes. Entries are shared and must not be
// modified.
type Entry struct {
	Raw  []byte
	ETag string
	// GzipETag tags the gzipped bytes: ETag with "-gz" before its
	// closing quote.
	GzipETag string
	// RawLen is len(Raw) in decimal, for a Content-Length header.
	RawLen string

	gzOnce sync.Once
	gz     []byte
	gzErr  error
	gzLen  string
	zip    *gzipper
	// grown tells the cache that holds the entry how many bytes its
	// gzipped copy added (nil when no cache holds it). Set before the
	// entry is shared.
	grown func(int)
}

// Gzip returns the tile gzipped (nil for an empty tile), compressing it
// on the first call.
func (e *Entry) Gzip() ([]byte, error) {
	e.gzOnce.Do(func() {
		if len(e.Raw) == 0 {
			return
		}
		e.gz, e.gzErr = e.zip.compress(e.Raw)
		e.gzLen = strconv.Itoa(len(e.gz))
		if e.gzErr == nil && e.grown != nil {
			e.grown(len(e.gz))
		}
	})
	return e.gz, e.gzErr
}

// GzipLen is the length of the gzipped tile in decimal, for a
// Content-Length header (after Gzip).
func (e *Entry) GzipLen() string {
	_, _ = e.Gzip()
	return e.gzLen
}

// GzipLevel is the compression level of tiles: klauspost/compress's second
// fastest, which costs about a fifth of compress/gzip's default level's
// time on the demo's tiles for 11% more bytes.
const GzipLevel = 2

// gzipper compresses with pooled writers (a gzip writer is ~800 KB of
// state: one per tile made the collector run every few tiles).
type gzipper struct {
	pool sync.Pool // of *gzip.Writer
}

func (z *gzipper) compress(raw []byte) ([]byte, error) {
	buf := bytes.NewBuffer(make([]byte, 0, len(raw)/2+64))
	zw, _ := z.pool.Get().(*gzip.Writer)
	if zw == nil {
		var err error
		if zw, err = gzip.NewWriterLevel(buf, GzipLevel); err != nil {
			return nil, fmt.Errorf("tiles: gzip: %w", err)
		}
	} else {
		zw.Reset(buf)
	}
	defer z.pool.Put(zw)
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("tiles: gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("tiles: gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// key names a cached tile: the layer set as requested and the address.
type key struct {
	layers  string
	z, x, y uint32
}

type item struct {
	key      key
	names    []string
	versions []uint64  // snapshot version of each layer the bytes hold
	bound    orb.Bound // the buffered tile in lon/lat
	entry    *Entry
	size     int64
}

type call struct {
	done     chan struct{}
	versions []uint64
	entry    *Entry
	err      error
}

// Cache is an LRU of rendered tiles under a byte budget. A tile is keyed by
// its layer set and address and is valid for the snapshot versions it was
// rendered from; a change to a layer drops exactly the cached tiles of that
// layer whose buffered bounds the change touched (all of them when the
// layer was replaced) and carries the others forward to the new version.
// It is safe for concurrent use.
type Cache struct {
	opts   Options
	budget int64

	mu       sync.Mutex
	used     int64
	lru      *list.List // of *item; front is the most recently used
	items    map[key]*list.Element
	byLayer  map[string]map[*list.Element]struct{}
	inflight map[key]*call
	watched  map[*layers.Catalog]bool
	// latest is each layer's newest snapshot version the cache has heard
	// of: only entries rendered from exactly that version may be carried
	// to the next one.
	latest map[string]uint64
	stats  Stats
	zip    gzipper

	descs cacheDescs
}

// Stats are the cache's counters since it was made.
type Stats struct {
	Hits          uint64 // answered from the cache
	Misses        uint64 // rendered
	Evictions     uint64 // dropped for the byte budget
	Invalidations uint64 // dropped because an edit touched them
	Entries       int
	Bytes         int64
}

type cacheDescs struct {
	hits, misses, evictions, invalidations, entries, bytes *prometheus.Desc
}

// NewCache returns a cache holding at most budget bytes of tiles (raw and,
// once asked for, gzipped together), rendering misses with opts (made
// Prepared).
func NewCache(budget int64, opts Options) *Cache {
	if opts.store == nil {
		opts = opts.Prepared()
	}
	return &Cache{
		opts:     opts,
		budget:   budget,
		lru:      list.New(),
		items:    map[key]*list.Element{},
		byLayer:  map[string]map[*list.Element]struct{}{},
		inflight: map[key]*call{},
		watched:  map[*layers.Catalog]bool{},
		latest:   map[string]uint64{},
		descs: cacheDescs{
			hits:          prometheus.NewDesc("onemap_tile_cache_hits_total", "Tiles answered from the tile cache.", nil, nil),
			misses:        prometheus.NewDesc("onemap_tile_cache_misses_total", "Tiles rendered because the cache had no valid copy.", nil, nil),
			evictions:     prometheus.NewDesc("onemap_tile_cache_evictions_total", "Tiles dropped from the cache for its byte budget.", nil, nil),
			invalidations: prometheus.NewDesc("onemap_tile_cache_invalidations_total", "Cached tiles dropped because an edit touched them.", nil, nil),
			entries:       prometheus.NewDesc("onemap_tile_cache_entries", "Tiles in the cache.", nil, nil),
			bytes:         prometheus.NewDesc("onemap_tile_cache_bytes", "Bytes of tiles in the cache.", nil, nil),
		},
	}
}

// Watch subscribes the cache to the catalog's change events. Watching the
// same catalog again does nothing.
func (c *Cache) Watch(cat *layers.Catalog) {
	c.mu.Lock()
	if c.watched[cat] {
		c.mu.Unlock()
		return
	}
	c.watched[cat] = true
	for _, l := range cat.Layers() {
		c.latest[l.Schema.Name] = max(c.latest[l.Schema.Name], l.Snapshot().Version())
	}
	c.mu.Unlock()
	cat.Subscribe(c.Invalidate)
}

// Tile returns tile t of the sources, from the cache when it holds a copy
// valid for the sources' snapshot versions, else rendered and kept.
// Concurrent requests for the same missing tile render it once.
func (c *Cache) Tile(srcs []Source, t maptile.Tile) (*Entry, error) {
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = s.Schema.Name
	}
	return c.TileSet(strings.Join(names, ","), srcs, t)
}

// TileSet is Tile for a caller that has the layer set's name at hand: the
// sources' names joined by commas, in order (as a tile URL names them). A
// hit allocates nothing.
func (c *Cache) TileSet(set string, srcs []Source, t maptile.Tile) (*Entry, error) {
	k := key{layers: set, z: uint32(t.Z), x: t.X, y: t.Y}

	c.mu.Lock()
	if el, ok := c.items[k]; ok {
		it := el.Value.(*item)
		if sameVersions(it.versions, srcs) {
			c.lru.MoveToFront(el)
			c.stats.Hits++
			c.mu.Unlock()
			return it.entry, nil
		}
	}
	if cl, ok := c.inflight[k]; ok && sameVersions(cl.versions, srcs) {
		c.stats.Hits++
		c.mu.Unlock()
		<-cl.done
		return cl.entry, cl.err
	}
	names := make([]string, len(srcs))
	versions := make([]uint64, len(srcs))
	for i, s := range srcs {
		names[i] = s.Schema.Name
		versions[i] = version(s)
	}
	cl := &call{done: make(chan struct{}), versions: versions}
	c.inflight[k] = cl
	c.stats.Misses++
	c.mu.Unlock()

	cl.entry, cl.err = c.render(srcs, t)

	c.mu.Lock()
	if c.inflight[k] == cl {
		delete(c.inflight, k)
	}
	if cl.err == nil {
		c.put(k, names, versions, t, cl.entry)
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.entry, cl.err
}

// version is the snapshot version a source renders (0 without one).
func version(s Source) uint64 {
	if s.Snapshot == nil {
		return 0
	}
	return s.Snapshot.Version()
}

// sameVersions reports whether vs are the sources' snapshot versions.
func sameVersions(vs []uint64, srcs []Source) bool {
	if len(vs) != len(srcs) {
		return false
	}
	for i := range srcs {
		if vs[i] != version(srcs[i]) {
			return false
		}
	}
	return true
}

func (c *Cache) render(srcs []Source, t maptile.Tile) (*Entry, error) {
	raw, err := c.opts.Render(srcs, t)
	if err != nil {
		return nil, err
	}
	tag := ETag(raw)
	return &Entry{Raw: raw, ETag: tag, GzipETag: strings.TrimSuffix(tag, `"`) + `-gz"`, RawLen: strconv.Itoa(len(raw)), zip: &c.zip}, nil
}

// ETag is the strong entity tag of tile bytes: a quoted 64-bit FNV-1a hash.
func ETag(raw []byte) string {
	h := fnv.New64a()
	_, _ = h.Write(raw)
	return `"` + hex.EncodeToString(h.Sum(nil)) + `"`
}

// put stores an entry; c.mu is held.
func (c *Cache) put(k key, names []string, versions []uint64, t maptile.Tile, e *Entry) {
	if el, ok := c.items[k]; ok {
		old := el.Value.(*item)
		newer := true // keep a copy rendered from later snapshots
		for i := range versions {
			if old.versions[i] < versions[i] {
				newer = false
			}
		}
		if newer && !slices.Equal(old.versions, versions) {
			return
		}
		c.remove(el)
	}
	size := int64(len(e.Raw)+len(k.layers)) + 256
	if size > c.budget {
		return
	}
	it := &item{key: k, names: names, versions: versions, entry: e, size: size,
		bound: newProjector(t, c.opts.Extent, c.opts.Buffer).searchBound}
	el := c.lru.PushFront(it)
	e.grown = func(n int) { c.grow(el, int64(n)) }
	c.items[k] = el
	for _, n := range names {
		m := c.byLayer[n]
		if m == nil {
			m = map[*list.Element]struct{}{}
			c.byLayer[n] = m
		}
		m[el] = struct{}{}
	}
	c.used += size
	c.evict()
}

// evict drops the least recently used tiles until the cache is within its
// budget; c.mu is held.
func (c *Cache) evict() {
	for c.used > c.budget && c.lru.Len() > 0 {
		c.remove(c.lru.Back())
		c.stats.Evictions++
	}
}

// grow counts n more bytes for the element's tile (its gzipped copy), if
// the cache still holds it.
func (c *Cache) grow(el *list.Element, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	it := el.Value.(*item)
	if cur, ok := c.items[it.key]; !ok || cur != el {
		return
	}
	it.size += n
	c.used += n
	c.evict()
}

// remove drops an element; c.mu is held.
func (c *Cache) remove(el *list.Element) {
	it := el.Value.(*item)
	c.lru.Remove(el)
	delete(c.items, it.key)
	for _, n := range it.names {
		if m := c.byLayer[n]; m != nil {
			delete(m, el)
			if len(m) == 0 {
				delete(c.byLayer, n)
			}
		}
	}
	c.used -= it.size
}

// Invalidate applies a catalog change: the layer's cached tiles whose
// buffered bounds intersect a changed bound are dropped (all of them when
// ev.All or when the event carries no bounds). The others are valid for the
// new version too, and are marked so, when they were rendered from the
// version just before it; a tile rendered from an older snapshot (a render
// that finished after a later edit) is dropped, since an edit between its
// version and this one may have touched it. An event that arrives after a
// newer one of the same layer only drops what it touches.
func (c *Cache) Invalidate(ev layers.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.latest[ev.Layer]
	inOrder := ev.Version > prev
	if inOrder {
		c.latest[ev.Layer] = ev.Version
	}
	for el := range c.byLayer[ev.Layer] {
		it := el.Value.(*item)
		drop := ev.All || ev.Bounds == nil
		for _, b := range ev.Bounds {
			if drop {
				break
			}
			drop = it.bound.Intersects(b)
		}
		if !drop && inOrder {
			for i, n := range it.names {
				if n == ev.Layer && it.versions[i] != prev {
					drop = true
				}
			}
		}
		if drop {
			c.remove(el)
			c.stats.Invalidations++
			continue
		}
		if inOrder {
			for i, n := range it.names {
				if n == ev.Layer {
					it.versions[i] = ev.Version
				}
			}
		}
	}
}

// Stats returns the counters and the cache's current size.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Entries = len(c.items)
	s.Bytes = c.used
	return s
}

// Describe implements prometheus.Collector, so the server can register the
// cache's counters: reg.MustRegister(cache).
func (c *Cache) Describe(ch chan<- *prometheus.Desc) {
	d := c.descs
	for _, x := range []*prometheus.Desc{d.hits, d.misses, d.evictions, d.invalidations, d.entries, d.bytes} {
		ch <- x
	}
}

// Collect implements prometheus.Collector.
func (c *Cache) Collect(ch chan<- prometheus.Metric) {
	s := c.Stats()
	d := c.descs
	ch <- prometheus.MustNewConstMetric(d.hits, prometheus.CounterValue, float64(s.Hits))
	ch <- prometheus.MustNewConstMetric(d.misses, prometheus.CounterValue, float64(s.Misses))
	ch <- prometheus.MustNewConstMetric(d.evictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(d.invalidations, prometheus.CounterValue, float64(s.Invalidations))
	ch <- prometheus.MustNewConstMetric(d.entries, prometheus.GaugeValue, float64(s.Entries))
	ch <- prometheus.MustNewConstMetric(d.bytes, prometheus.GaugeValue, float64(s.Bytes))
}
