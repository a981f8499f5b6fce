package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/tiles"
	"github.com/onemap/onemap/web"
)

// pageServer serves the page routes over a catalog holding every thematic
// layer (empty) and one model layer the style has no dedicated look for.
func pageServer(t *testing.T, cfg web.PageConfig) (*httptest.Server, *layers.Catalog) {
	t.Helper()
	c := layers.NewCatalog()
	for _, s := range layers.ThematicSchemas(true) {
		c.Put(s, nil)
	}
	c.Put(layers.Schema{Name: "school_pressure", Geometry: layers.MultiPolygon, MinZoom: 10, MaxZoom: 18,
		Fields: []layers.Field{{Name: "name", Type: layers.String}, {Name: "warning", Type: layers.String}}}, nil)
	mux := http.NewServeMux()
	web.NewPage(c, cfg).Register(mux, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, c
}

func fetch(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // no transparent gzip: the test sees the bytes sent
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

type styleDoc struct {
	Version int    `json:"version"`
	Glyphs  string `json:"glyphs"`
	Sources map[string]struct {
		Type    string     `json:"type"`
		URL     string     `json:"url"`
		Tiles   []string   `json:"tiles"`
		MinZoom int        `json:"minzoom"`
		MaxZoom int        `json:"maxzoom"`
		Bounds  [4]float64 `json:"bounds"`
	} `json:"sources"`
	Layers []struct {
		ID          string         `json:"id"`
		Type        string         `json:"type"`
		Source      string         `json:"source"`
		SourceLayer string         `json:"source-layer"`
		Layout      map[string]any `json:"layout"`
		Metadata    map[string]any `json:"metadata"`
	} `json:"layers"`
}

func getStyle(t *testing.T, srv *httptest.Server, header map[string]string) styleDoc {
	t.Helper()
	resp, body := fetch(t, srv.URL+"/style.json", header)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /style.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var s styleDoc
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStyle(t *testing.T) {
	srv, c := pageServer(t, web.PageConfig{})
	s := getStyle(t, srv, map[string]string{"Host": "wall.example:8080"})
	if s.Version != 8 {
		t.Errorf("version %d, want 8", s.Version)
	}
	if s.Glyphs != "http://wall.example:8080/fonts/{fontstack}/{range}.pbf" {
		t.Errorf("glyphs %q: want an absolute URL on the request's host", s.Glyphs)
	}
	if len(s.Sources) != 1 || s.Sources["onemap"].Type != "vector" {
		t.Fatalf("sources %+v: want the one vector source onemap", s.Sources)
	}
	// The source's layers: ThematicSchemas' order, then the others.
	var want []string
	for _, sc := range layers.ThematicSchemas(false) {
		want = append(want, sc.Name)
	}
	want = append(want, "school_pressure")
	// The source is the TileJSON of those layers, inlined (GET
	// /tiles/{layers}.json answers the same), so the map asks for no
	// TileJSON before its first tiles.
	src := s.Sources["onemap"]
	if want := []string{"http://wall.example:8080/tiles/" + strings.Join(want, ",") + "/{z}/{x}/{y}.mvt"}; strings.Join(src.Tiles, " ") != want[0] {
		t.Errorf("source tiles\n got %v\nwant %v", src.Tiles, want)
	}
	var ls []*layers.Layer
	for _, n := range want {
		l, _ := c.Layer(n)
		ls = append(ls, l)
	}
	tj := web.NewTileJSON("http://wall.example:8080", ls)
	if src.URL != "" || src.MinZoom != tj.MinZoom || src.MaxZoom != tj.MaxZoom || src.Bounds != tj.Bounds {
		t.Errorf("source url %q, zooms %d–%d, bounds %v; want no url and the TileJSON's %d–%d, %v",
			src.URL, src.MinZoom, src.MaxZoom, src.Bounds, tj.MinZoom, tj.MaxZoom, tj.Bounds)
	}

	ids := map[string]bool{}
	lastGeo := map[string]int{} // onemap layer → index of its last non-label style layer
	firstLabel := -1
	order := map[string]int{}
	for i, n := range want {
		order[n] = i
	}
	// The tile layers: the catalog's, and the label points of those whose
	// schema asks for them, each with the catalog layer it comes from.
	served := map[string]string{}
	for _, n := range c.Names() {
		served[n] = n
		if l, _ := c.Layer(n); l.Schema.Labels {
			served[tiles.LabelLayer(n)] = n
		}
	}
	prev := -1
	for i, l := range s.Layers {
		if ids[l.ID] {
			t.Errorf("style layer id %s twice", l.ID)
		}
		ids[l.ID] = true
		if l.Type == "background" {
			continue
		}
		if l.Source != "onemap" {
			t.Errorf("%s: source %q", l.ID, l.Source)
		}
		base, ok := served[l.SourceLayer]
		if !ok {
			t.Errorf("%s: source-layer %q is not a layer onemap serves", l.ID, l.SourceLayer)
		}
		if l.Metadata["onemap:layer"] != base {
			t.Errorf("%s: metadata onemap:layer %v, want %s", l.ID, l.Metadata["onemap:layer"], base)
		}
		if l.Type == "symbol" {
			if firstLabel < 0 {
				firstLabel = i
			}
			if f, _ := json.Marshal(l.Layout["text-font"]); string(f) != `["`+web.FontStack+`"]` {
				t.Errorf("%s: text-font %s, want the one font onemap serves", l.ID, f)
			}
			continue
		}
		if firstLabel >= 0 {
			t.Errorf("%s (%s) is drawn above the labels", l.ID, l.Type)
		}
		if l.Metadata["onemap:role"] == "focus" {
			prev = len(want) // outlines come after every fill
			continue
		}
		if o := order[l.SourceLayer]; o < prev {
			t.Errorf("%s breaks the ThematicSchemas drawing order", l.ID)
		} else {
			prev = o
		}
		lastGeo[l.SourceLayer] = i
	}
	for _, n := range want {
		if _, ok := lastGeo[n]; !ok {
			t.Errorf("layer %s has no style", n)
		}
	}
	for _, id := range []string{"streets-choropleth", "communities-choropleth", "grids-choropleth", "grids-label", "school_pressure-fill"} {
		if !ids[id] {
			t.Errorf("no style layer %s (the page drives it)", id)
		}
	}

	if s := getStyle(t, srv, map[string]string{"Host": "wall.example", "X-Forwarded-Proto": "https"}); !strings.HasPrefix(s.Glyphs, "https://wall.example/") {
		t.Errorf("behind TLS: glyphs %q", s.Glyphs)
	}
}

func TestStyleBasemap(t *testing.T) {
	srv, _ := pageServer(t, web.PageConfig{BasemapURL: "https://basemap.example/{z}/{x}/{y}.png"})
	s := getStyle(t, srv, nil)
	bm, ok := s.Sources["basemap"]
	if !ok || bm.Type != "raster" || len(bm.Tiles) != 1 || bm.Tiles[0] != "https://basemap.example/{z}/{x}/{y}.png" {
		t.Fatalf("basemap source %+v", bm)
	}
	if s.Layers[1].ID != "basemap" {
		t.Errorf("the basemap is layer %s, want it right above the background", s.Layers[1].ID)
	}
	srv, _ = pageServer(t, web.PageConfig{})
	if _, ok := getStyle(t, srv, nil).Sources["basemap"]; ok {
		t.Error("a basemap without one configured")
	}
}

// glyph is one decoded glyph of a PBF range.
type glyph struct {
	id, width, height, advance uint64
	left, top                  int64
	bitmap                     []byte
}

// decodeGlyphs reads a glyph PBF with protowire (fields as in MapLibre's
// parse_glyph_pbf.ts): glyphs{1: fontstack{1: name, 2: range, 3: glyph}}.
func decodeGlyphs(t *testing.T, b []byte) (name, rng string, glyphs []glyph) {
	t.Helper()
	fields := func(b []byte, fn func(num protowire.Number, typ protowire.Type, v uint64, p []byte)) {
		for len(b) > 0 {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				t.Fatalf("bad tag: %v", protowire.ParseError(n))
			}
			b = b[n:]
			switch typ {
			case protowire.VarintType:
				v, n := protowire.ConsumeVarint(b)
				if n < 0 {
					t.Fatal(protowire.ParseError(n))
				}
				fn(num, typ, v, nil)
				b = b[n:]
			case protowire.BytesType:
				p, n := protowire.ConsumeBytes(b)
				if n < 0 {
					t.Fatal(protowire.ParseError(n))
				}
				fn(num, typ, 0, p)
				b = b[n:]
			default:
				t.Fatalf("unexpected wire type %d", typ)
			}
		}
	}
	stacks := 0
	fields(b, func(num protowire.Number, _ protowire.Type, _ uint64, stack []byte) {
		if num != 1 {
			t.Fatalf("glyphs field %d", num)
		}
		stacks++
		fields(stack, func(num protowire.Number, _ protowire.Type, _ uint64, p []byte) {
			switch num {
			case 1:
				name = string(p)
			case 2:
				rng = string(p)
			case 3:
				var g glyph
				fields(p, func(num protowire.Number, _ protowire.Type, v uint64, p []byte) {
					switch num {
					case 1:
						g.id = v
					case 2:
						g.bitmap = p
					case 3:
						g.width = v
					case 4:
						g.height = v
					case 5:
						g.left = protowire.DecodeZigZag(v)
					case 6:
						g.top = protowire.DecodeZigZag(v)
					case 7:
						g.advance = v
					}
				})
				glyphs = append(glyphs, g)
			}
		})
	})
	if stacks != 1 {
		t.Fatalf("%d fontstacks, want 1", stacks)
	}
	return name, rng, glyphs
}

func TestGlyphs(t *testing.T) {
	srv, _ := pageServer(t, web.PageConfig{})
	stack := strings.ReplaceAll(web.FontStack, " ", "%20")

	resp, body := fetch(t, srv.URL+"/fonts/"+stack+"/0-255.pbf", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-protobuf" {
		t.Fatalf("0-255: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	name, rng, glyphs := decodeGlyphs(t, body)
	if name != web.FontStack || rng != "0-255" {
		t.Errorf("fontstack %q range %q", name, rng)
	}
	byID := map[uint64]glyph{}
	for _, g := range glyphs {
		if g.id > 255 {
			t.Errorf("glyph %d outside 0-255", g.id)
		}
		if len(g.bitmap) > 0 && uint64(len(g.bitmap)) != (g.width+6)*(g.height+6) {
			t.Errorf("glyph %d: %d bitmap bytes for %dx%d (+3 px border)", g.id, len(g.bitmap), g.width, g.height)
		}
		byID[g.id] = g
	}
	// Every printable ASCII character a label can hold, with a shape and an advance.
	for r := '!'; r <= '~'; r++ {
		g, ok := byID[uint64(r)]
		if !ok || g.advance == 0 || len(g.bitmap) == 0 {
			t.Errorf("%q: missing or empty (%+v)", r, ok)
		}
	}
	if sp, ok := byID[' ']; !ok || sp.advance == 0 || sp.width != 0 {
		t.Errorf("space: %+v", sp)
	}
	if w, i := byID['W'], byID['i']; w.width <= i.width || w.advance <= i.advance {
		t.Errorf("W (%d wide, advance %d) should be wider than i (%d, %d)", w.width, w.advance, i.width, i.advance)
	}

	// A range without glyphs (CJK is drawn by the browser) is a valid, empty range.
	resp, body = fetch(t, srv.URL+"/fonts/"+stack+",Noto%20Sans%20Regular/19968-20223.pbf", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("19968-20223: %d", resp.StatusCode)
	}
	if _, rng, glyphs := decodeGlyphs(t, body); rng != "19968-20223" || len(glyphs) != 0 {
		t.Errorf("CJK range: %q with %d glyphs", rng, len(glyphs))
	}

	for _, tc := range []struct{ path, field string }{
		{"/fonts/" + stack + "/0-256.pbf", "range"},
		{"/fonts/" + stack + "/256-511", "range"},
		{"/fonts/" + stack + "/65536-65791.pbf", "range"},
		{"/fonts/" + stack + "/-1-254.pbf", "range"},
		{"/fonts/Arial%20Unicode%20MS%20Regular/0-255.pbf", "fontstack"},
	} {
		resp, body := fetch(t, srv.URL+tc.path, nil)
		var e struct{ Field string }
		_ = json.Unmarshal(body, &e)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 || e.Field != tc.field {
			t.Errorf("%s: %d %s, want a 4xx naming %s", tc.path, resp.StatusCode, body, tc.field)
		}
	}
}

func TestStatic(t *testing.T) {
	srv, _ := pageServer(t, web.PageConfig{})
	resp, page := fetch(t, srv.URL+"/", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// Everything the page links is served by onemap itself.
	refs := regexp.MustCompile(`(?:href|src)="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(refs) < 3 {
		t.Fatalf("index.html links %d files", len(refs))
	}
	for _, m := range refs {
		u := m[1]
		if strings.HasPrefix(u, "data:") {
			continue
		}
		if !strings.HasPrefix(u, "/static/") {
			t.Errorf("index.html links %s, outside onemap", u)
			continue
		}
		if resp, _ := fetch(t, srv.URL+u, nil); resp.StatusCode != 200 {
			t.Errorf("%s: %d", u, resp.StatusCode)
		}
	}
	for path, ctype := range map[string]string{
		"/static/app.js": "text/javascript", "/static/vendor/maplibre-gl/maplibre-gl.mjs": "text/javascript",
		"/static/vendor/maplibre-gl/maplibre-gl-worker.mjs": "text/javascript", "/static/app.css": "text/css",
		"/static/vendor/maplibre-gl/LICENSE.txt": "text/plain",
	} {
		resp, _ := fetch(t, srv.URL+path, nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %s, want %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), ctype)
		}
	}

	// ETag revalidation and gzip.
	resp, plain := fetch(t, srv.URL+"/static/app.js", nil)
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if resp, _ := fetch(t, srv.URL+"/static/app.js", map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
	}
	resp, zipped := fetch(t, srv.URL+"/static/app.js", map[string]string{"Accept-Encoding": "gzip"})
	if resp.Header.Get("Content-Encoding") != "gzip" || len(zipped) >= len(plain) {
		t.Fatalf("gzip: %q, %d bytes vs %d", resp.Header.Get("Content-Encoding"), len(zipped), len(plain))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unzipped, plain) {
		t.Errorf("gzip body does not inflate to the file (%v)", err)
	}

	resp, body := fetch(t, srv.URL+"/static/nope.js", nil)
	if resp.StatusCode != 404 || !strings.Contains(string(body), `"field":"file"`) {
		t.Errorf("missing file: %d %s", resp.StatusCode, body)
	}
	if resp, _ := fetch(t, srv.URL+"/static/fonts/dejavu-sans/0-255.pbf", nil); resp.StatusCode != 404 {
		t.Errorf("glyphs under /static/: %d, want them only at /fonts/", resp.StatusCode)
	}
}

// TestModules follows the page's ES modules from index.html's module
// script over HTTP: every module imported, directly or not, is served as
// JavaScript under /static/ and preloaded by index.html (rel=modulepreload),
// so that the browser fetches them all at once rather than one level of
// imports after another; index.html preloads nothing the page does not
// import, and every file in static/js is imported.
func TestModules(t *testing.T) {
	srv, _ := pageServer(t, web.PageConfig{})
	_, page := fetch(t, srv.URL+"/", nil)
	preloaded := map[string]bool{}
	for _, m := range regexp.MustCompile(`<link rel="modulepreload" href="([^"]+)"[^>]*>`).FindAllStringSubmatch(string(page), -1) {
		preloaded[m[1]] = true
	}
	entry := regexp.MustCompile(`<script type="module" src="([^"]+)">`).FindStringSubmatch(string(page))
	if entry == nil {
		t.Fatal("index.html has no module script")
	}
	// Static imports (the page has no dynamic ones), single- or multi-line.
	imports := regexp.MustCompile(`(?m)^import\s+(?:[^;'"]*?\sfrom\s+)?'([^']+)';`)
	seen := map[string]bool{}
	for queue := []string{entry[1]}; len(queue) > 0; queue = queue[1:] {
		u := queue[0]
		if seen[u] {
			continue
		}
		seen[u] = true
		if u != entry[1] && !preloaded[u] {
			t.Errorf("%s is imported but index.html does not preload it", u)
		}
		resp, body := fetch(t, srv.URL+u, nil)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
			t.Errorf("%s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		if strings.HasPrefix(u, "/static/vendor/") {
			continue // MapLibre's bundle: its worker is started by URL, not imported
		}
		base, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range imports.FindAllStringSubmatch(string(body), -1) {
			if !strings.HasPrefix(m[1], "./") && !strings.HasPrefix(m[1], "../") {
				t.Errorf("%s imports %q: only relative imports load without a build step or an import map", u, m[1])
				continue
			}
			ref, err := url.Parse(m[1])
			if err != nil {
				t.Fatalf("%s imports %q: %v", u, m[1], err)
			}
			queue = append(queue, base.ResolveReference(ref).Path)
		}
	}
	for u := range preloaded {
		if !seen[u] {
			t.Errorf("index.html preloads %s, which the page does not import", u)
		}
	}
	files, err := os.ReadDir("static/js")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if u := path.Join("/static/js", f.Name()); !seen[u] {
			t.Errorf("%s is not imported by the page", u)
		}
	}
	if len(files) < 10 || len(seen) < len(files)+2 {
		t.Errorf("followed %d modules from %s for %d files in static/js: is the import pattern still right?", len(seen), entry[1], len(files))
	}
}

// TestVendoredMapLibre checks the vendored files against each other: the
// recorded version is the one in the bundle's banner, and its licence is there.
func TestVendoredMapLibre(t *testing.T) {
	version, err := os.ReadFile("static/vendor/maplibre-gl/VERSION")
	if err != nil {
		t.Fatal(err)
	}
	v := strings.TrimSpace(string(version))
	for _, f := range []string{"maplibre-gl.mjs", "maplibre-gl-worker.mjs"} {
		b, err := os.ReadFile("static/vendor/maplibre-gl/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b[:min(len(b), 400)], []byte("/v"+v+"/LICENSE.txt")) {
			t.Errorf("%s is not MapLibre %s", f, v)
		}
		if bytes.Contains(b, []byte("sourceMappingURL")) {
			t.Errorf("%s points at a source map onemap does not serve", f)
		}
	}
	lic, err := os.ReadFile("static/vendor/maplibre-gl/LICENSE.txt")
	if err != nil || !bytes.Contains(lic, []byte("BSD")) && !bytes.Contains(lic, []byte("Redistribution and use")) {
		t.Errorf("MapLibre's licence is missing (%v)", err)
	}
}
