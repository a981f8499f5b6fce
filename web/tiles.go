package web

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/tiles"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// MaxTileLayers is the most layers one tile request may combine.
const MaxTileLayers = 32

// TileCacheControl is sent with every tile and TileJSON: clients may keep
// them but must revalidate (cheaply, with the ETag), so an edit shows on
// the next request.
const TileCacheControl = "public, no-cache"

// Tiles serves Mapbox Vector Tiles and TileJSON 3.0.0 for any set of the
// catalog's layers, through a tile cache that edits invalidate.
type Tiles struct {
	catalog *layers.Catalog
	cache   *tiles.Cache
}

// NewTiles serves the catalog's layers through cache and subscribes the
// cache to the catalog's changes (cache.Watch is idempotent).
func NewTiles(c *layers.Catalog, cache *tiles.Cache) *Tiles {
	cache.Watch(c)
	return &Tiles{catalog: c, cache: cache}
}

// Register adds GET /tiles/{layers}/{z}/{x}/{y}.mvt and GET
// /tiles/{layers}.json (layers comma-separated); other paths under /tiles/
// get a 400 naming the path.
func (a *Tiles) Register(mux *http.ServeMux, log *slog.Logger, _ Tokens) {
	mux.Handle("GET /tiles/{layers}/{z}/{x}/{y}", Handle(log, a.tile))
	mux.Handle("GET /tiles/{spec}", Handle(log, a.tileJSON))
	mux.Handle("GET /tiles/", Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		return BadRequest("path", "want /tiles/{layer[,layer…]}/{z}/{x}/{y}.mvt or /tiles/{layer[,layer…]}.json, got %q", r.URL.Path)
	}))
}

// ParseTileAddress validates the parts of a tile path: a comma-separated
// list of distinct layer names, z in 0–22, x and y in 0..2^z−1, y with the
// suffix ".mvt". Numbers are plain decimal without sign or leading zeros, so
// each tile has one URL (and one cache entry).
func ParseTileAddress(layerList, z, x, y string) ([]string, maptile.Tile, error) {
	names, err := ParseLayerList(layerList)
	if err != nil {
		return nil, maptile.Tile{}, err
	}
	zz, err := tileNumber("z", z, tiles.MaxZoom)
	if err != nil {
		return nil, maptile.Tile{}, err
	}
	max := uint64(1)<<zz - 1
	xx, err := tileNumber("x", x, max)
	if err != nil {
		return nil, maptile.Tile{}, err
	}
	ys, ok := strings.CutSuffix(y, ".mvt")
	if !ok {
		return nil, maptile.Tile{}, BadRequest("y", "want {y}.mvt, got %q", y)
	}
	yy, err := tileNumber("y", ys, max)
	if err != nil {
		return nil, maptile.Tile{}, err
	}
	return names, maptile.New(uint32(xx), uint32(yy), maptile.Zoom(zz)), nil
}

func tileNumber(field, s string, max uint64) (uint64, error) {
	bad := func() error {
		return BadRequest(field, "want an integer from 0 to %d, got %q", max, s)
	}
	if s == "" || len(s) > 8 || (len(s) > 1 && s[0] == '0') {
		return 0, bad()
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, bad()
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > max {
		return 0, bad()
	}
	return n, nil
}

// ParseLayerList splits "a,b,c" into distinct layer names made of letters,
// digits, '_', '-' and '.', at most MaxTileLayers of them.
func ParseLayerList(s string) ([]string, error) {
	if s == "" {
		return nil, BadRequest("layers", "no layer named; want layer[,layer…]")
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxTileLayers {
		return nil, BadRequest("layers", "%d layers; at most %d per tile", len(parts), MaxTileLayers)
	}
	seen := make(map[string]bool, len(parts))
	for _, p := range parts {
		if p == "" || len(p) > 64 {
			return nil, BadRequest("layers", "empty or overlong layer name in %q", s)
		}
		for _, c := range p {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
				return nil, BadRequest("layers", "layer name %q has character %q", p, c)
			}
		}
		if seen[p] {
			return nil, BadRequest("layers", "layer %q named twice", p)
		}
		seen[p] = true
	}
	return parts, nil
}

// layers resolves names against the catalog, naming an unknown one.
func (a *Tiles) layers(names []string) ([]*layers.Layer, error) {
	out := make([]*layers.Layer, len(names))
	for i, n := range names {
		l, ok := a.catalog.Layer(n)
		if !ok {
			return nil, NotFound("layers", "unknown layer %q (known: %s)", n, strings.Join(a.catalog.Names(), ", "))
		}
		out[i] = l
	}
	return out, nil
}

func (a *Tiles) tile(w http.ResponseWriter, r *http.Request) error {
	names, t, err := ParseTileAddress(r.PathValue("layers"), r.PathValue("z"), r.PathValue("x"), r.PathValue("y"))
	if err != nil {
		return err
	}
	ls, err := a.layers(names)
	if err != nil {
		return err
	}
	srcs := make([]tiles.Source, len(ls))
	for i, l := range ls {
		srcs[i] = tiles.Source{Schema: l.Schema, Snapshot: l.Snapshot()}
	}
	e, err := a.cache.Tile(srcs, t)
	if err != nil {
		return fmt.Errorf("tile %s/%d/%d/%d: %w", strings.Join(names, ","), t.Z, t.X, t.Y, err)
	}
	gz := len(e.Raw) > 0 && acceptsGzip(r)
	etag := e.ETag
	if gz {
		etag = strings.TrimSuffix(e.ETag, `"`) + `-gz"`
	}
	h := w.Header()
	h.Set("Content-Type", "application/vnd.mapbox-vector-tile")
	h.Set("Cache-Control", TileCacheControl)
	h.Set("Vary", "Accept-Encoding")
	h.Set("ETag", etag)
	if noneMatch(r.Header.Get("If-None-Match"), e.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	body := e.Raw
	if gz {
		h.Set("Content-Encoding", "gzip")
		body = e.Gzip
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

// noneMatch reports whether an If-None-Match header names the tile's tag
// (in its plain or gzip form, weak or strong: RFC 9110 compares weakly).
func noneMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	base := strings.Trim(etag, `"`)
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			return true
		}
		tag = strings.Trim(strings.TrimPrefix(tag, "W/"), `"`)
		if tag == base || tag == base+"-gz" {
			return true
		}
	}
	return false
}

// acceptsGzip reads Accept-Encoding, honouring q=0.
func acceptsGzip(r *http.Request) bool {
	ok := false
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "*" && coding != "x-gzip" {
				continue
			}
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				if k, v, found := strings.Cut(strings.TrimSpace(p), "="); found && strings.TrimSpace(k) == "q" {
					if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
						q = f
					}
				}
			}
			if coding == "gzip" || coding == "x-gzip" {
				return q > 0
			}
			ok = q > 0 // "*" unless gzip is named explicitly
		}
	}
	return ok
}

// TileJSON is the TileJSON 3.0.0 document of a layer set.
type TileJSON struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Version      string        `json:"version"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       [4]float64    `json:"bounds"`
	Center       [3]float64    `json:"center"`
	VectorLayers []VectorLayer `json:"vector_layers"`
}

// VectorLayer describes one layer in TileJSON: its fields map each
// attribute to its type.
type VectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
	Fields      map[string]string `json:"fields"`
}

func (a *Tiles) tileJSON(w http.ResponseWriter, r *http.Request) error {
	spec := r.PathValue("spec")
	list, ok := strings.CutSuffix(spec, ".json")
	if !ok {
		return BadRequest("path", "want /tiles/{layer[,layer…]}.json or /tiles/{layer[,layer…]}/{z}/{x}/{y}.mvt, got %q", r.URL.Path)
	}
	names, err := ParseLayerList(list)
	if err != nil {
		return err
	}
	ls, err := a.layers(names)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", TileCacheControl)
	return WriteJSON(w, http.StatusOK, "", NewTileJSON(BaseURL(r), ls))
}

// NewTileJSON describes the layers' tiles served under base (scheme and
// host, e.g. http://localhost:8080).
func NewTileJSON(base string, ls []*layers.Layer) TileJSON {
	names := make([]string, len(ls))
	tj := TileJSON{TileJSON: "3.0.0", Version: "1.0.0", Scheme: "xyz", MinZoom: tiles.MaxZoom, MaxZoom: 0}
	var bound orb.Bound
	hasBound := false
	var attributions []string
	synthetic := false
	var titles []string
	for i, l := range ls {
		s := l.Schema
		names[i] = s.Name
		tj.MinZoom = min(tj.MinZoom, s.MinZoom)
		tj.MaxZoom = max(tj.MaxZoom, s.MaxZoom)
		vl := VectorLayer{ID: s.Name, Description: schemaTitle(s), MinZoom: s.MinZoom, MaxZoom: s.MaxZoom, Fields: map[string]string{}}
		for _, f := range s.Fields {
			vl.Fields[f.Name] = tileFieldType(f)
		}
		tj.VectorLayers = append(tj.VectorLayers, vl)
		if s.Labels {
			// One point per feature where its label goes (see tiles.LabelLayer).
			lv := vl
			lv.ID, lv.Description = tiles.LabelLayer(s.Name), vl.Description+" · label points"
			lv.MinZoom = max(s.MinZoom, s.LabelMinZoom)
			tj.VectorLayers = append(tj.VectorLayers, lv)
		}
		titles = append(titles, schemaTitle(s))
		synthetic = synthetic || s.Synthetic
		if s.Attribution != "" && !slices.Contains(attributions, s.Attribution) {
			attributions = append(attributions, s.Attribution)
		}
		if snap := l.Snapshot(); snap != nil && snap.Len() > 0 {
			if hasBound {
				bound = bound.Union(snap.Bound())
			} else {
				bound, hasBound = snap.Bound(), true
			}
		}
	}
	if synthetic && !slices.Contains(attributions, "synthetic demo data") {
		attributions = append([]string{"synthetic demo data"}, attributions...)
	}
	tj.Attribution = strings.Join(attributions, "; ")
	list := strings.Join(names, ",")
	tj.Name = list
	tj.Description = strings.Join(titles, ", ")
	tj.Tiles = []string{base + "/tiles/" + list + "/{z}/{x}/{y}.mvt"}
	if tj.MinZoom > tj.MaxZoom {
		tj.MinZoom, tj.MaxZoom = 0, tiles.MaxZoom
	}
	if !hasBound {
		bound = orb.Bound{Min: orb.Point{-180, -85.05112878}, Max: orb.Point{180, 85.05112878}}
	}
	tj.Bounds = [4]float64{bound.Min[0], bound.Min[1], bound.Max[0], bound.Max[1]}
	c := bound.Center()
	span := math.Max(bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1])
	zoom := float64(tj.MinZoom)
	if span > 0 {
		zoom = math.Floor(math.Log2(360 / span))
	}
	zoom = math.Max(float64(tj.MinZoom), math.Min(float64(tj.MaxZoom), zoom))
	tj.Center = [3]float64{c[0], c[1], zoom}
	return tj
}

func schemaTitle(s layers.Schema) string {
	switch {
	case s.TitleEN != "" && s.TitleZH != "":
		return s.TitleEN + " (" + s.TitleZH + ")"
	case s.TitleEN != "":
		return s.TitleEN
	case s.TitleZH != "":
		return s.TitleZH
	}
	return s.Name
}

// tileFieldType names the field's MVT type, TileJSON-style, with its
// title.
func tileFieldType(f layers.Field) string {
	t := "String"
	switch f.Type {
	case layers.Int, layers.Float:
		t = "Number"
	case layers.Bool:
		t = "Boolean"
	}
	if f.TitleEN != "" {
		return t + ": " + f.TitleEN
	}
	return t
}

// WarmCap is the most tiles Warm renders: a zoom whose tiles over the
// bounds would take the total past it is not warmed (nor any above it).
const WarmCap = 2048

// Warm renders into the cache every tile of the named layers (in that
// order, as one tile set) over the district's bounds (the union of the
// non-empty layers' bounds, when there is no district layer) at zooms
// minZ..maxZ, at most WarmCap tiles, until ctx ends. The server calls it
// at start-up for the page's overview zooms, so the first screen is
// answered from memory instead of rendered while the browser waits. Empty
// layers have no bounds and add nothing; with no features at all nothing
// is rendered.
func (a *Tiles) Warm(ctx context.Context, names []string, minZ, maxZ maptile.Zoom) (int, error) {
	ls, err := a.layers(names)
	if err != nil {
		return 0, err
	}
	var b orb.Bound
	have := false
	if d, ok := a.catalog.Layer(layers.Districts); ok && d.Snapshot().Len() > 0 {
		b, have = d.Snapshot().Bound(), true
	} else {
		for _, l := range ls {
			s := l.Snapshot()
			if s.Len() == 0 {
				continue
			}
			if !have {
				b, have = s.Bound(), true
			} else {
				b = b.Union(s.Bound())
			}
		}
	}
	if !have {
		return 0, nil
	}
	n := 0
	for z := minZ; z <= maxZ; z++ {
		lo, hi := maptile.At(orb.Point{b.Min[0], b.Max[1]}, z), maptile.At(orb.Point{b.Max[0], b.Min[1]}, z)
		if count := int(hi.X-lo.X+1) * int(hi.Y-lo.Y+1); n+count > WarmCap {
			return n, nil
		}
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				if err := ctx.Err(); err != nil {
					return n, err
				}
				srcs := make([]tiles.Source, len(ls))
				for i, l := range ls {
					srcs[i] = tiles.Source{Schema: l.Schema, Snapshot: l.Snapshot()}
				}
				if _, err := a.cache.Tile(srcs, maptile.New(x, y, z)); err != nil {
					return n, err
				}
				n++
			}
		}
	}
	return n, nil
}
