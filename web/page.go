package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/tiles"
)

// static holds the one-map page: index.html, the page's own plain-JS
// module and CSS, MapLibre GL JS vendored by web/vendor.sh (see
// static/vendor/maplibre-gl/VERSION) and the SDF glyphs web/fontgen writes.
//
//go:embed static
var static embed.FS

// FontStack is the name of the one font onemap serves glyphs for; the
// style's labels use it for Latin text (CJK is drawn from local fonts).
const FontStack = "DejaVu Sans Book"

// fontDir is where FontStack's glyph ranges live inside static.
const fontDir = "static/fonts/dejavu-sans"

// PageConfig configures the one-map page.
type PageConfig struct {
	// BasemapURL is an optional external raster basemap under our layers:
	// an XYZ template with {z}/{x}/{y} or a raster TileJSON URL. Empty (the
	// default) draws the district's own water, roads, buildings and
	// boundaries as the basemap, so the page works on a closed network.
	BasemapURL string
	// BasemapAttribution is shown in the map's attribution when BasemapURL is set.
	BasemapAttribution string
}

// Page serves the command centre's one-map page at /, its static files,
// the MapLibre style at /style.json and the glyphs at /fonts/.
type Page struct {
	c      *layers.Catalog
	cfg    PageConfig
	assets map[string]*pageAsset // by path below static/, e.g. "app.js"
}

// pageAsset is one embedded file, with its ETag and a gzip copy made once.
type pageAsset struct {
	body   []byte
	ctype  string
	etag   string
	cache  string
	gzOnce sync.Once
	gz     []byte
}

// NewPage serves the page over the layers of c.
func NewPage(c *layers.Catalog, cfg PageConfig) *Page {
	p := &Page{c: c, cfg: cfg, assets: map[string]*pageAsset{}}
	err := fs.WalkDir(static, "static", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := static.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		rel := strings.TrimPrefix(name, "static/")
		a := &pageAsset{body: body, ctype: pageContentType(rel), etag: `"` + hex.EncodeToString(sum[:12]) + `"`, cache: "no-cache"}
		if strings.HasPrefix(rel, "vendor/") || strings.HasPrefix(rel, "fonts/") {
			// Vendored and generated files change only with a new binary;
			// the ETag revalidates them after an hour.
			a.cache = "public, max-age=3600"
		}
		p.assets[rel] = a
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("web: embedded page files unreadable: %v", err)) // the embed is part of the binary
	}
	// The gzip copies (MapLibre alone is 1.6 MB of JavaScript, ~70 ms to
	// compress) are made in the background now rather than while the
	// first browser waits for them; a request that comes first waits for
	// its own file only.
	go func() {
		for _, a := range p.assets {
			a.gzipped()
		}
	}()
	return p
}

// gzipped is the asset's gzip copy, or nil when gzip does not make it smaller.
func (a *pageAsset) gzipped() []byte {
	if len(a.body) <= 1024 {
		return nil
	}
	a.gzOnce.Do(func() { a.gz = pageGzip(a.body) })
	return a.gz
}

func pageContentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".html":
		return "text/html; charset=utf-8"
	case ".pbf":
		return "application/x-protobuf"
	case ".txt", "":
		return "text/plain; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Register adds the page routes to mux: GET /, GET /static/…, GET
// /style.json and GET /fonts/{fontstack}/{range}.pbf.
func (p *Page) Register(mux *http.ServeMux, log *slog.Logger, _ Tokens) {
	mux.Handle("GET /{$}", Handle(log, p.index))
	mux.Handle("GET /static/{file...}", Handle(log, p.file))
	mux.Handle("GET /style.json", Handle(log, p.style))
	mux.Handle("GET /fonts/{fontstack}/{range}", Handle(log, p.glyphs))
}

func (p *Page) index(w http.ResponseWriter, r *http.Request) error {
	return p.serve(w, r, p.assets["index.html"])
}

func (p *Page) file(w http.ResponseWriter, r *http.Request) error {
	a, ok := p.assets[r.PathValue("file")]
	if !ok || strings.HasPrefix(r.PathValue("file"), "fonts/") {
		return NotFound("file", "no static file %q", r.PathValue("file"))
	}
	return p.serve(w, r, a)
}

// serve writes an asset with its ETag, gzipped when the client accepts it
// and that makes it smaller.
func (p *Page) serve(w http.ResponseWriter, r *http.Request, a *pageAsset) error {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", a.cache)
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	body := a.body
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		if gz := a.gzipped(); gz != nil {
			body = gz
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
	return nil
}

// pageGzip compresses b, or returns nil when that does not make it smaller.
func pageGzip(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(b)
	if zw.Close() != nil || buf.Len() >= len(b) {
		return nil
	}
	return buf.Bytes()
}

var glyphRange = regexp.MustCompile(`^([0-9]{1,5})-([0-9]{1,5})\.pbf$`)

// glyphs serves a 256-code-point range of FontStack's SDF glyphs. Ranges
// onemap has no glyphs for (CJK is drawn by the browser) are answered with
// a valid empty range, so MapLibre never sees an error.
func (p *Page) glyphs(w http.ResponseWriter, r *http.Request) error {
	stack := r.PathValue("fontstack")
	known := false
	for _, f := range strings.Split(stack, ",") {
		known = known || strings.TrimSpace(f) == FontStack
	}
	if !known {
		return NotFound("fontstack", "onemap serves glyphs for %q only, not %q", FontStack, stack)
	}
	m := glyphRange.FindStringSubmatch(r.PathValue("range"))
	if m == nil {
		return BadRequest("range", "want {start}-{end}.pbf, got %q", r.PathValue("range"))
	}
	start, _ := strconv.Atoi(m[1])
	end, _ := strconv.Atoi(m[2])
	if start%256 != 0 || end != start+255 || end > 65535 {
		return BadRequest("range", "%d-%d is not a 256-code-point range of the BMP (0-255, 256-511, …)", start, end)
	}
	if a, ok := p.assets[strings.TrimPrefix(fontDir, "static/")+"/"+m[1]+"-"+m[2]+".pbf"]; ok {
		return p.serve(w, r, a)
	}
	body := emptyGlyphs(FontStack, start)
	h := w.Header()
	h.Set("Content-Type", "application/x-protobuf")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, err := w.Write(body)
	return err
}

// emptyGlyphs is the glyph PBF of a range with no glyphs: a glyphs message
// holding one fontstack (name = 1, range = 2).
func emptyGlyphs(name string, start int) []byte {
	field := func(b []byte, num int, s []byte) []byte {
		b = binary.AppendUvarint(b, uint64(num)<<3|2)
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...)
	}
	stack := field(nil, 1, []byte(name))
	stack = field(stack, 2, []byte(fmt.Sprintf("%d-%d", start, start+255)))
	return field(nil, 1, stack)
}

// StyleLayer is one MapLibre style layer. Metadata ties it to its onemap
// layer ("onemap:layer") and its part ("onemap:role": fill, line, label,
// choropleth…) so the page can toggle and restyle it.
type StyleLayer struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Source      string         `json:"source,omitempty"`
	SourceLayer string         `json:"source-layer,omitempty"`
	MinZoom     float64        `json:"minzoom,omitempty"`
	MaxZoom     float64        `json:"maxzoom,omitempty"`
	Filter      any            `json:"filter,omitempty"`
	Layout      map[string]any `json:"layout,omitempty"`
	Paint       map[string]any `json:"paint,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

// Style builds the dark MapLibre style (version 8) of the catalog's layers,
// with absolute URLs under base (scheme://host). One vector source holds
// every layer, in the order of layers.ThematicSchemas, then any other
// layers by name; geometry comes first, then the drill-down outlines, and
// every label layer after them so that roads never cover a name.
func (p *Page) Style(base string) map[string]any {
	names := p.layerOrder()
	sources := map[string]any{}
	var geo, labels, units []StyleLayer
	geo = append(geo, StyleLayer{ID: "background", Type: "background", Paint: map[string]any{"background-color": "#0a0f1a"}})
	if p.cfg.BasemapURL != "" {
		src := map[string]any{"type": "raster", "tileSize": 256}
		if strings.Contains(p.cfg.BasemapURL, "{z}") {
			src["tiles"] = []string{p.cfg.BasemapURL}
		} else {
			src["url"] = p.cfg.BasemapURL
		}
		if p.cfg.BasemapAttribution != "" {
			src["attribution"] = p.cfg.BasemapAttribution
		}
		sources["basemap"] = src
		geo = append(geo, StyleLayer{ID: "basemap", Type: "raster", Source: "basemap",
			Paint:    map[string]any{"raster-opacity": 0.55, "raster-saturation": -0.7, "raster-brightness-max": 0.45},
			Metadata: map[string]any{"onemap:layer": "basemap", "onemap:role": "raster"}})
	}
	attribution := "onemap"
	synthetic := false
	for _, name := range names {
		l, _ := p.c.Layer(name)
		synthetic = synthetic || l.Schema.Synthetic
		if a := l.Schema.Attribution; a != "" && !strings.Contains(attribution, a) {
			attribution += " · " + a
		}
		g, lb := layerStyle(l.Schema)
		geo = append(geo, g...)
		if l.Schema.Labels {
			units = append(units, lb...)
		} else {
			labels = append(labels, lb...)
		}
	}
	// The drill-down outline goes above every area fill, under the labels.
	var focus []StyleLayer
	geo = slices.DeleteFunc(geo, func(l StyleLayer) bool {
		if l.Metadata["onemap:role"] == "focus" {
			focus = append(focus, l)
			return true
		}
		return false
	})
	geo = append(geo, focus...)
	// The names drawn from label points (the grid hierarchy's) are placed
	// before the others (MapLibre places the topmost label layer first):
	// each unit has one label, and a station's name must not hide a
	// street's at the overview.
	labels = append(labels, units...)
	if synthetic {
		attribution += " · 合成演示数据 synthetic demo data"
	}
	if len(names) > 0 {
		// The TileJSON of the layers is inlined, so that the page's map
		// requests its first tiles without a round trip for it first.
		ls := make([]*layers.Layer, len(names))
		for i, name := range names {
			ls[i], _ = p.c.Layer(name)
		}
		tj := NewTileJSON(base, ls)
		sources["onemap"] = map[string]any{
			"type":        "vector",
			"tiles":       tj.Tiles,
			"minzoom":     tj.MinZoom,
			"maxzoom":     tj.MaxZoom,
			"bounds":      tj.Bounds,
			"attribution": attribution,
		}
	}
	return map[string]any{
		"version":  8,
		"name":     "onemap dark",
		"metadata": map[string]any{"onemap:layers": names, "onemap:synthetic": synthetic},
		"glyphs":   base + "/fonts/{fontstack}/{range}.pbf",
		"sources":  sources,
		"layers":   append(geo, labels...),
	}
}

// layerOrder lists the catalog's layers: the thematic ones in drawing
// order, then the rest by name.
func (p *Page) layerOrder() []string {
	var names []string
	seen := map[string]bool{}
	for _, s := range layers.ThematicSchemas(false) {
		if _, ok := p.c.Layer(s.Name); ok {
			names = append(names, s.Name)
			seen[s.Name] = true
		}
	}
	for _, n := range p.c.Names() {
		if !seen[n] {
			names = append(names, n)
		}
	}
	return names
}

func (p *Page) style(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-cache")
	return WriteJSON(w, http.StatusOK, "", p.Style(BaseURL(r)))
}

// styleZoom is an exponential zoom interpolation of stops z0, v0, z1, v1, …
func styleZoom(base float64, stops ...any) []any {
	return append([]any{"interpolate", []any{"exponential", base}, []any{"zoom"}}, stops...)
}

func styleGet(field string) []any { return []any{"get", field} }

// styleMatch is a match expression on a string field: pairs then a fallback.
func styleMatch(field string, pairsAndDefault ...any) []any {
	return append([]any{"match", styleGet(field)}, pairsAndDefault...)
}

// styleLabel is a symbol layer with the page's text defaults.
func styleLabel(s layers.Schema, id, field string, size any, color string, minZoom, maxZoom float64, extra map[string]any) StyleLayer {
	layout := map[string]any{
		"text-field":          []any{"coalesce", styleGet(field), styleGet("name"), ""},
		"text-font":           []string{FontStack},
		"text-size":           size,
		"text-max-width":      8,
		"text-padding":        4,
		"symbol-sort-key":     []any{"-", 0, []any{"coalesce", styleGet("residents"), 0}},
		"text-letter-spacing": 0.02,
	}
	for k, v := range extra {
		layout[k] = v
	}
	sourceLayer := s.Name
	if s.Labels {
		// One point per feature, in one tile: a polygon's own label would
		// be drawn once in every tile it spans.
		sourceLayer = tiles.LabelLayer(s.Name)
	}
	return StyleLayer{ID: id, Type: "symbol", Source: "onemap", SourceLayer: sourceLayer, MinZoom: minZoom, MaxZoom: maxZoom,
		Layout:   layout,
		Paint:    map[string]any{"text-color": color, "text-halo-color": "rgba(8,12,22,0.9)", "text-halo-width": 1.6},
		Metadata: map[string]any{"onemap:layer": s.Name, "onemap:role": "label", "onemap:field": field}}
}

// adminStyle draws one level of the grid hierarchy: a choropleth fill and
// a focus outline that the page drives with feature state (colour and
// focus per feature id, so drilling down never re-lays out a tile), the
// boundary and the labels. Nothing of the level is drawn below minZoom: a
// level with thousands of polygons (grids) costs the browser time to lay
// out at zooms where its areas are specks. The focus outline starts at
// focusMin (at least minZoom).
func adminStyle(s layers.Schema, lineColor string, width []any, minZoom, focusMin float64, labelField string, labelSize any, labelColor string, labelMin, labelMax float64) (geo, labels []StyleLayer) {
	meta := func(role string) map[string]any { return map[string]any{"onemap:layer": s.Name, "onemap:role": role} }
	focused := []any{"boolean", []any{"feature-state", "focus"}, false}
	geo = []StyleLayer{
		// No antialiased outline (the boundary line draws the edge): one
		// shader program and a draw call fewer per tile.
		{ID: s.Name + "-choropleth", Type: "fill", Source: "onemap", SourceLayer: s.Name, MinZoom: minZoom,
			Paint: map[string]any{
				"fill-antialias": false,
				"fill-color":     []any{"coalesce", []any{"feature-state", "color"}, "rgba(0,0,0,0)"},
				// Fainter as streets and buildings come into view.
				"fill-opacity": styleZoom(1, 12, 0.62, 15, 0.5, 17, 0.3),
			}, Metadata: meta("choropleth")},
		// A little more opaque in focus; its opacity by feature state
		// makes it share the focus outline's shader program (see
		// styleCircle).
		{ID: s.Name + "-line", Type: "line", Source: "onemap", SourceLayer: s.Name, MinZoom: minZoom,
			Layout: map[string]any{"line-join": "round"},
			Paint:  map[string]any{"line-color": lineColor, "line-width": width, "line-opacity": []any{"case", focused, 0.95, 0.9}}, Metadata: meta("line")},
		{ID: s.Name + "-focus", Type: "line", Source: "onemap", SourceLayer: s.Name, MinZoom: max(minZoom, focusMin),
			Layout: map[string]any{"line-join": "round"},
			Paint: map[string]any{"line-color": "#ffe066", "line-width": 3,
				"line-opacity": []any{"case", focused, 0.95, 0}},
			Metadata: meta("focus")},
	}
	labels = []StyleLayer{styleLabel(s, s.Name+"-label", labelField, labelSize, labelColor, labelMin, labelMax, nil)}
	return geo, labels
}

// styleCircle is a point layer's circle style. Every circle layer the page
// shows takes its colour and stroke colour per feature and its radius by
// zoom and feature (whatever else it sets is constant or by zoom only), so
// that they all share one shader program: on software WebGL each program
// variant costs about 27 ms to compile in the first frame.
func styleCircle(s layers.Schema, color, radius, stroke any, minZoom float64) StyleLayer {
	return StyleLayer{ID: s.Name + "-circle", Type: "circle", Source: "onemap", SourceLayer: s.Name, MinZoom: minZoom,
		Paint: map[string]any{
			"circle-color": color, "circle-radius": radius,
			"circle-stroke-color": stroke, "circle-stroke-width": styleZoom(1, 10, 0.8, 16, 1.6),
		},
		Metadata: map[string]any{"onemap:layer": s.Name, "onemap:role": "point"}}
}

// bySize is a radius factor from 'lo' at field value a to 'hi' at b,
// linear between (and midway when the field is missing).
func bySize(field string, a, lo, b, hi float64) any {
	return []any{"interpolate", []any{"linear"}, []any{"coalesce", styleGet(field), (a + b) / 2}, a, lo, b, hi}
}

// The colours of classes, levels and states, as match pairs and a
// fallback; static/app.js draws the legend with the same colours.
func hazardClassColors() []any {
	return []any{"industrial", "#ff8a3d", "crowded", "#ffd23f", "public_facility", "#4dd0e1", "chemicals", "#c061ff", "#bbbbbb"}
}

func riskLevelColors() []any {
	return []any{1, "#ff2d2d", 2, "#ff8c1a", 3, "#ffd60a", 4, "#3d8bff", "#888888"}
}

func floodStateColors() []any {
	return []any{"normal", "#2ecc71", "warning", "#ffb020", "alarm", "#ff3b30", "#888888"}
}

// warningColors colour school-place pressure levels (red/orange/yellow/green).
func warningColors() []any {
	return []any{"red", "#ff3b30", "orange", "#ff9500", "yellow", "#ffd60a", "green", "#34c759", "#8e8e93"}
}

// layerStyle is the style of one onemap layer: its geometry layers and its labels.
func layerStyle(s layers.Schema) (geo, labels []StyleLayer) {
	meta := func(role string) map[string]any { return map[string]any{"onemap:layer": s.Name, "onemap:role": role} }
	minZ := float64(s.MinZoom)
	switch s.Name {
	case layers.Water:
		geo = []StyleLayer{{ID: "water-fill", Type: "fill", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ,
			// Colours per kind (a reservoir a shade lighter), so that water
			// shares the choropleths' fill program (see styleCircle).
			// Without the antialiased outline, like the choropleths.
			Paint:    map[string]any{"fill-color": styleMatch("kind", "reservoir", "#123556", "#0f2c4a"), "fill-antialias": false},
			Metadata: meta("fill")}}
		labels = []StyleLayer{styleLabel(s, "water-label", "name", 12, "#5d8fbf", 13, 0, map[string]any{"symbol-placement": "point"})}
	case layers.Districts:
		geo = []StyleLayer{
			{ID: "districts-glow", Type: "line", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ,
				// Brighter while the district is the focus; by feature
				// state, like the boundaries' opacity, so that it shares
				// their shader program.
				Paint: map[string]any{"line-color": "#38c6ff", "line-width": styleZoom(1.4, 8, 6, 16, 14), "line-blur": 6,
					"line-opacity": []any{"case", []any{"boolean", []any{"feature-state", "focus"}, false}, 0.45, 0.35}}, Metadata: meta("line")},
		}
		g, lb := adminStyle(s, "#7fdcff", styleZoom(1.4, 8, 1.8, 16, 4), minZ, minZ, "name", 22, "#e8f6ff", 0, 10.5)
		geo = append(geo, g...)
		labels = lb
	case layers.Streets:
		geo, labels = adminStyle(s, "#3fa6e0", styleZoom(1.4, 9, 1, 16, 3), minZ, minZ, "name", styleZoom(1, 10, 14, 13, 18), "#d3ecff", 10.5, 13.2)
	case layers.Communities:
		// A community's outline is drawn from z13, where drilling into one
		// lands (a street's extent): every style layer is laid out in
		// every tile it covers, and the first view (about z12.6) does not
		// need this one.
		geo, labels = adminStyle(s, "#2f86b8", styleZoom(1.4, 11, 0.6, 17, 2), 11, 13, "name", styleZoom(1, 12.5, 12, 15, 15), "#a9d3ef", 12.9, 15.2)
	case layers.Grids:
		geo, labels = adminStyle(s, "#2a6a92", styleZoom(1.4, 13, 0.4, 18, 1.4), 13, 13, "code", styleZoom(1, 14.5, 10, 16.5, 12), "#86b6d6", 14.6, 16.6)
	case layers.Buildings:
		geo = []StyleLayer{{ID: "buildings-fill", Type: "fill", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ,
			Paint: map[string]any{
				"fill-color":         styleMatch("use", "residential", "#1f2a3e", "commercial", "#2b2742", "industrial", "#2e2b24", "public", "#1d3533", "#1e2636"),
				"fill-outline-color": styleMatch("use", "public", "#2f4a4a", "#2f3f5a"),
				"fill-opacity":       styleZoom(1, 14, 0.6, 16, 0.95),
			}, Metadata: meta("fill")}}
	case layers.Roads:
		width := func(a, s2, l float64) any { return styleMatch("class", "arterial", a, "secondary", s2, l) }
		geo = []StyleLayer{{ID: "roads-line", Type: "line", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ,
			Filter: []any{"any", []any{"!=", styleGet("class"), "local"}, []any{">=", []any{"zoom"}, 12.5}},
			Layout: map[string]any{"line-join": "round", "line-cap": "round",
				"line-sort-key": styleMatch("class", "arterial", 3, "secondary", 2, 1)},
			Paint: map[string]any{
				"line-color": styleMatch("class", "arterial", "#d9902f", "secondary", "#9c7a44", "#4d5870"),
				"line-width": styleZoom(1.6, 9, width(0.8, 0.4, 0.2), 13, width(2.2, 1.3, 0.6), 16, width(6, 4, 2), 18, width(14, 10, 6)),
			}, Metadata: meta("line")}}
		labels = []StyleLayer{styleLabel(s, "roads-label", "name", styleZoom(1, 14, 11, 17, 14), "#b7c2d4", 14, 0,
			map[string]any{"symbol-placement": "line", "text-max-angle": 30, "symbol-spacing": 350, "symbol-sort-key": styleMatch("class", "arterial", 1, "secondary", 2, 3)})}
	case layers.Catchments:
		geo = []StyleLayer{{ID: "catchments-line", Type: "line", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ,
			Layout: map[string]any{"visibility": "none"},
			Paint:  map[string]any{"line-color": "#9b7bff", "line-width": 1.2, "line-dasharray": []any{3, 2}}, Metadata: meta("line")}}
	case layers.FireCircles:
		geo = []StyleLayer{
			{ID: "fire_circles-fill", Type: "fill", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ,
				Layout: map[string]any{"visibility": "none"},
				Paint:  map[string]any{"fill-color": "#ff3b30", "fill-opacity": 0.07}, Metadata: meta("fill")},
			{ID: "fire_circles-line", Type: "line", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ,
				Layout: map[string]any{"visibility": "none"},
				Paint:  map[string]any{"line-color": "#ff6b5e", "line-width": 1.2, "line-opacity": 0.7, "line-dasharray": []any{2, 2}}, Metadata: meta("line")},
		}
	case layers.RoadClosures:
		// What a dispatcher closed: the closed roads' segments, or the
		// closed area with its outline.
		geo = []StyleLayer{
			{ID: "road_closures-fill", Type: "fill", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ,
				Filter: []any{"==", []any{"geometry-type"}, "Polygon"},
				Paint:  map[string]any{"fill-color": "#ff3b30", "fill-opacity": 0.16}, Metadata: meta("fill")},
			{ID: "road_closures-line", Type: "line", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ,
				Layout: map[string]any{"line-cap": "butt"},
				Paint:  map[string]any{"line-color": "#ff3b30", "line-width": styleZoom(1.5, 10, 2, 16, 6), "line-dasharray": []any{1, 1}}, Metadata: meta("line")},
		}
	case layers.Hazards:
		level := []any{"match", styleGet("risk_level"), 1, 1.0, 2, 0.85, 3, 0.7, 0.6}
		geo = []StyleLayer{styleCircle(s, styleMatch("class", hazardClassColors()...),
			styleZoom(1.5, 10, []any{"*", 5, level}, 16, []any{"*", 10, level}), "#0a0f1a", minZ)}
		geo[0].Paint["circle-stroke-color"] = append([]any{"match", styleGet("risk_level")}, riskLevelColors()...)
		geo[0].Paint["circle-stroke-width"] = styleZoom(1, 10, 1.5, 16, 2.5)
		labels = []StyleLayer{styleLabel(s, "hazards-label", "name", 11, "#ffc9a3", 15.5, 0, map[string]any{"text-offset": []any{0, 1.2}, "text-anchor": "top"})}
	case layers.FloodPoints:
		geo = []StyleLayer{
			{ID: "flood_points-halo", Type: "circle", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ,
				Filter: []any{"!=", styleGet("state"), "normal"},
				// A halo a third larger at an alarm than at a warning; its
				// stroke colour is per feature only to share the circles'
				// program (its stroke width is 0).
				Paint: map[string]any{"circle-color": styleMatch("state", floodStateColors()...), "circle-opacity": 0.25,
					"circle-radius":       styleZoom(1.5, 10, styleMatch("state", "alarm", 13, 10), 16, styleMatch("state", "alarm", 26, 20)),
					"circle-stroke-color": styleMatch("state", floodStateColors()...),
					"circle-blur":         0.4}, Metadata: meta("point")},
			// Points in alarm ringed in white.
			styleCircle(s, styleMatch("state", floodStateColors()...),
				styleZoom(1.5, 10, styleMatch("state", "normal", 3, 5), 16, styleMatch("state", "normal", 6, 9)),
				styleMatch("state", "alarm", "#ffffff", "#0a0f1a"), minZ),
		}
		labels = []StyleLayer{styleLabel(s, "flood_points-label", "name", 11, "#bfe9ff", 15.5, 0, map[string]any{"text-offset": []any{0, 1.2}, "text-anchor": "top"})}
	case layers.FireStations:
		// Special-service stations larger, small ones smaller; a team
		// that cannot turn out greyed, its ring too.
		kind := func(r float64) any { return []any{"*", r, styleMatch("kind", "special", 1.25, "small", 0.8, 1)} }
		unavailable := []any{"==", styleGet("available"), false}
		geo = []StyleLayer{styleCircle(s, []any{"case", unavailable, "#8e8e93", "#ff453a"},
			styleZoom(1.5, 8, kind(5), 16, kind(12)), []any{"case", unavailable, "#5a5a5f", "#ffffff"}, minZ)}
		labels = []StyleLayer{styleLabel(s, "fire_stations-label", "name", styleZoom(1, 11, 11, 16, 14), "#ffb8b0", 11, 0,
			map[string]any{"text-offset": []any{0, 1.1}, "text-anchor": "top", "symbol-sort-key": 0})}
	case layers.Schools:
		seats := func(r float64) any { return []any{"*", r, bySize("seats", 600, 0.8, 2400, 1.3)} }
		geo = []StyleLayer{styleCircle(s, styleMatch("level", "junior", "#2f6bff", "#5aa0ff"), styleZoom(1.5, 10, seats(3), 16, seats(8)),
			styleMatch("level", "junior", "#0a1a3f", "#0a0f1a"), minZ)}
		geo[0].Layout = map[string]any{"visibility": "none"}
		labels = []StyleLayer{styleLabel(s, "schools-label", "name", 11, "#b5d0ff", 15.5, 0, map[string]any{"text-offset": []any{0, 1.1}, "text-anchor": "top", "visibility": "none"})}
	case layers.Hospitals:
		// Bigger for more beds; top-grade (三级甲等) hospitals deeper pink.
		beds := func(r float64) any { return []any{"*", r, bySize("beds", 300, 0.8, 1500, 1.3)} }
		geo = []StyleLayer{styleCircle(s, styleMatch("grade", "三级甲等", "#ff3d8b", "#ff5fa2"), styleZoom(1.5, 10, beds(3.5), 16, beds(9)),
			styleMatch("grade", "三级甲等", "#ffe0ee", "#ffffff"), minZ)}
		labels = []StyleLayer{styleLabel(s, "hospitals-label", "name", 11, "#ffc2dc", 15, 0, map[string]any{"text-offset": []any{0, 1.1}, "text-anchor": "top"})}
	case layers.ElderlyCare:
		// Bigger for more beds; homes at least 90% full ringed in amber.
		beds := func(r float64) any { return []any{"*", r, bySize("beds", 50, 0.8, 300, 1.3)} }
		full := []any{">=", []any{"coalesce", styleGet("occupied"), 0}, []any{"*", 0.9, []any{"coalesce", styleGet("beds"), 1}}}
		geo = []StyleLayer{styleCircle(s, "#a78bfa", styleZoom(1.5, 10, beds(3), 16, beds(8)), []any{"case", full, "#ffb020", "#0a0f1a"}, minZ)}
		geo[0].Layout = map[string]any{"visibility": "none"}
		labels = []StyleLayer{styleLabel(s, "elderly_care-label", "name", 11, "#d8ccff", 15.5, 0, map[string]any{"text-offset": []any{0, 1.1}, "text-anchor": "top", "visibility": "none"})}
	case layers.Cameras:
		dome := func(r float64) any { return []any{"*", r, styleMatch("kind", "dome", 1.15, 1)} }
		geo = []StyleLayer{styleCircle(s, styleMatch("kind", "dome", "#a5e4ff", "#7dd3fc"), styleZoom(1.5, 12, dome(1.8), 17, dome(4.5)),
			styleMatch("kind", "dome", "#0a2a3a", "#0a0f1a"), max(minZ, 14))}
		geo[0].Layout = map[string]any{"visibility": "none"}
	default:
		geo, labels = genericStyle(s)
	}
	for i := range labels {
		if labels[i].Layout["visibility"] == nil && len(geo) > 0 && geo[0].Layout["visibility"] == "none" {
			labels[i].Layout["visibility"] = "none"
		}
	}
	return geo, labels
}

// warningField is the field of a layer holding a red/orange/yellow/green
// warning level, if it has one (e.g. school_pressure).
func warningField(s layers.Schema) string {
	for _, name := range []string{"warning", "warning_level", "level", "color"} {
		if f, ok := s.Field(name); ok && f.Type == layers.String {
			return name
		}
	}
	return ""
}

// genericStyle draws a layer onemap has no dedicated style for by its
// geometry, coloured by a warning level when it has one. A model's output
// (school_pressure) starts hidden, the layers panel shows it; a table
// published from the user's own database (Schema.Source) is drawn from the
// start, each in a colour of its own. A layer of mixed geometry gets a
// fill, a line and a circle, each filtered to its type.
func genericStyle(s layers.Schema) (geo, labels []StyleLayer) {
	meta := func(role string) map[string]any { return map[string]any{"onemap:layer": s.Name, "onemap:role": role} }
	var color any = "#9aa7bd"
	if s.Source != "" {
		color = userColor(s.Name)
	}
	if f := warningField(s); f != "" {
		color = styleMatch(f, warningColors()...)
	}
	layout := func() map[string]any {
		if s.Source != "" {
			return map[string]any{"visibility": "visible"}
		}
		return map[string]any{"visibility": "none"}
	}
	minZ := float64(s.MinZoom)
	opacity := 0.45
	if s.Source != "" {
		opacity = 0.25 // drawn from the start, under what onemap draws
	}
	fill := []StyleLayer{
		{ID: s.Name + "-fill", Type: "fill", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ, Layout: layout(),
			Paint: map[string]any{"fill-color": color, "fill-opacity": opacity}, Metadata: meta("fill")},
		{ID: s.Name + "-line", Type: "line", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ, Layout: layout(),
			Paint: map[string]any{"line-color": color, "line-width": 1}, Metadata: meta("line")},
	}
	line := StyleLayer{ID: s.Name + "-line", Type: "line", Source: "onemap", SourceLayer: s.Name, MinZoom: minZ, Layout: layout(),
		Paint: map[string]any{"line-color": color, "line-width": 2}, Metadata: meta("line")}
	circle := styleCircle(s, color, styleZoom(1.5, 10, 3, 16, 7), "#0a0f1a", minZ)
	circle.Layout = layout()
	switch s.Geometry {
	case layers.Polygon, layers.MultiPolygon:
		geo = fill
	case layers.LineString, layers.MultiLineString:
		geo = []StyleLayer{line}
	case layers.Geometry:
		fill[0].Filter, fill[1].Filter = []any{"==", "$type", "Polygon"}, []any{"==", "$type", "Polygon"}
		line.ID, line.Filter = s.Name+"-lines", []any{"==", "$type", "LineString"}
		circle.Filter = []any{"==", "$type", "Point"}
		geo = append(fill, line, circle)
	default:
		geo = []StyleLayer{circle}
	}
	if _, ok := s.Field("name"); ok {
		labels = []StyleLayer{styleLabel(s, s.Name+"-label", "name", 11, "#d0d8e6", max(minZ, 14), 0, layout())}
	}
	return geo, labels
}

// userColor is a stable colour for a user's layer, from its name.
func userColor(name string) string {
	palette := []string{"#f59e0b", "#34d399", "#60a5fa", "#f472b6", "#a78bfa", "#facc15", "#2dd4bf", "#fb7185"}
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint32(name[i])) * 16777619
	}
	return palette[h%uint32(len(palette))]
}
