package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/tiles"
)

// ogcCatalog holds 40 hazards (points with a name, class and risk level,
// some without a class) and 9 blocks (squares), owned by the demo.
func ogcCatalog() *layers.Catalog {
	c := layers.NewCatalog()
	var hz []layers.Feature
	for i := 0; i < 40; i++ {
		p := map[string]any{"name": fmt.Sprintf("危险源 %02d", i), "risk_level": int64(1 + i%4)}
		if i%5 != 0 {
			p["class"] = []string{"industrial", "crowded", "storage"}[i%3]
		}
		hz = append(hz, layers.Feature{ID: int64(i + 1), Geometry: orb.Point{114.0 + float64(i%8)*0.01, 22.5 + float64(i/8)*0.01}, Properties: p})
	}
	must := func(_ *layers.Layer, err error) {
		if err != nil {
			panic(err)
		}
	}
	must(c.Put(layers.Schema{Name: "hazards", TitleEN: "Hazards", Geometry: layers.Point, MinZoom: 10, MaxZoom: 18, Owner: layers.OwnerDemo,
		Fields: []layers.Field{{Name: "name", Type: layers.String}, {Name: "class", Type: layers.String}, {Name: "risk_level", Type: layers.Int}}}, hz))
	var bl []layers.Feature
	for i := 0; i < 9; i++ {
		x, y := 114.0+float64(i%3)*0.03, 22.5+float64(i/3)*0.02
		bl = append(bl, layers.Feature{ID: int64(i + 1), Geometry: orb.Polygon{{{x, y}, {x + 0.02, y}, {x + 0.02, y + 0.015}, {x, y + 0.015}, {x, y}}},
			Properties: map[string]any{"floors": int64(i + 1)}})
	}
	must(c.Put(layers.Schema{Name: "blocks", TitleEN: "Blocks", Geometry: layers.Polygon, MinZoom: 12, MaxZoom: 18, Owner: layers.OwnerDemo,
		Fields: []layers.Field{{Name: "floors", Type: layers.Int}}}, bl))
	return c
}

func ogcServer(t *testing.T) (*httptest.Server, *layers.Catalog) {
	t.Helper()
	c := ogcCatalog()
	mux := http.NewServeMux()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tokens := Tokens{"plan": Planner}
	f := NewFeatures(c, FeaturesConfig{Title: "test", CORS: CORS{Origins: []string{"https://gis.example"}}})
	tl := NewTiles(c, tiles.NewCache(16<<20, tiles.DefaultOptions()))
	for _, r := range []Registrar{f, tl, NewOGCTiles(tl, []string{"https://gis.example"}), NewPage(c, PageConfig{Landing: f.Landing})} {
		r.Register(mux, log, tokens)
	}
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s, c
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %.200s", a.status, a.body)
	}
	return m
}

func do(t *testing.T, method, u string, header map[string]string, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // no transparent gunzip
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func TestLandingNegotiates(t *testing.T) {
	s, _ := ogcServer(t)
	for _, h := range []map[string]string{{"Accept": "application/json"}, {"Accept": "application/geo+json, application/json;q=0.9"}} {
		a := do(t, "GET", s.URL+"/", h, "")
		if a.status != 200 || a.header.Get("Content-Type") != "application/json" {
			t.Fatalf("%v: %d %s", h, a.status, a.header.Get("Content-Type"))
		}
		rels := map[string]string{}
		for _, l := range a.json(t)["links"].([]any) {
			l := l.(map[string]any)
			rels[l["rel"].(string)] = l["type"].(string)
		}
		if rels["service-desc"] != "application/vnd.oai.openapi+json;version=3.0" || rels["service-doc"] != "text/html" ||
			rels["conformance"] == "" || rels["data"] == "" {
			t.Fatalf("links %v", rels)
		}
	}
	if a := do(t, "GET", s.URL+"/?f=json", nil, ""); a.status != 200 || a.json(t)["title"] != "test" {
		t.Fatalf("f=json: %d", a.status)
	}
	// A browser keeps the page; ?f=html is the landing page as HTML.
	browser := map[string]string{"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
	page := do(t, "GET", s.URL+"/", browser, "")
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") || !bytes.Contains(page.body, []byte("app.js")) {
		t.Fatalf("browser: %d %s %.200s", page.status, page.header.Get("Content-Type"), page.body)
	}
	if !slices.Contains(page.header.Values("Vary"), "Accept") {
		t.Fatalf("/ does not vary by Accept: %v", page.header)
	}
	if curl := do(t, "GET", s.URL+"/", map[string]string{"Accept": "*/*"}, ""); !bytes.Equal(curl.body, page.body) {
		t.Fatal("*/* does not get the page")
	}
	h := do(t, "GET", s.URL+"/?f=html", nil, "")
	if h.status != 200 || !bytes.Contains(h.body, []byte(`href="http://`+strings.TrimPrefix(s.URL, "http://")+`/api"`)) {
		t.Fatalf("f=html: %d %.300s", h.status, h.body)
	}
	if a := do(t, "GET", s.URL+"/collections?f=xml", nil, ""); a.status != 400 || a.json(t)["field"] != "f" {
		t.Fatalf("f=xml: %d", a.status)
	}
}

func TestOpenAPIDescribesTheRoutes(t *testing.T) {
	s, c := ogcServer(t)
	a := do(t, "GET", s.URL+"/api", map[string]string{"Accept": "application/vnd.oai.openapi+json;version=3.0"}, "")
	if a.status != 200 || a.header.Get("Content-Type") != mediaOpenAPI {
		t.Fatalf("/api: %d %s", a.status, a.header.Get("Content-Type"))
	}
	doc := a.json(t)
	if doc["openapi"] != "3.0.3" {
		t.Fatalf("openapi %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	f := NewFeatures(c, FeaturesConfig{})
	for _, rt := range f.routes() {
		if _, ok := paths[rt.path].(map[string]any)[strings.ToLower(rt.method)]; !ok {
			t.Errorf("route %s %s missing from /api", rt.method, rt.path)
		}
	}
	params := doc["components"].(map[string]any)["parameters"].(map[string]any)
	for path, p := range paths {
		for _, op := range p.(map[string]any) {
			for _, prm := range asSlice(op.(map[string]any)["parameters"]) {
				if ref, ok := prm.(map[string]any)["$ref"].(string); ok {
					if _, ok := params[strings.TrimPrefix(ref, "#/components/parameters/")]; !ok {
						t.Errorf("%s: dangling %s", path, ref)
					}
				}
			}
		}
	}
	// Each collection's items path names its fields (how GDAL finds what it may filter).
	var names []string
	for _, prm := range paths["/collections/hazards/items"].(map[string]any)["get"].(map[string]any)["parameters"].([]any) {
		if n, ok := prm.(map[string]any)["name"].(string); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if !slices.Equal(names, []string{"class", "name", "risk_level"}) {
		t.Fatalf("hazards' field parameters %v", names)
	}
	if d := do(t, "GET", s.URL+"/api.html", nil, ""); d.status != 200 || !bytes.Contains(d.body, []byte("/collections/{collectionId}/queryables")) {
		t.Fatalf("service-doc %d", d.status)
	}
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

func TestConformanceAndQueryables(t *testing.T) {
	s, _ := ogcServer(t)
	cs := do(t, "GET", s.URL+"/conformance", nil, "").json(t)["conformsTo"].([]any)
	for _, want := range []string{"ogcapi-features-1/1.0/conf/oas30", "ogcapi-features-2/1.0/conf/crs", "ogcapi-features-3/1.0/conf/features-filter",
		"cql2/1.0/conf/cql2-text", "cql2/1.0/conf/cql2-json", "ogcapi-features-4/1.0/conf/create-replace-delete"} {
		if !slices.ContainsFunc(cs, func(c any) bool { return strings.HasSuffix(c.(string), want) }) {
			t.Errorf("conformance lacks %s", want)
		}
	}
	a := do(t, "GET", s.URL+"/collections/hazards/queryables", nil, "")
	if a.status != 200 || a.header.Get("Content-Type") != mediaSchema {
		t.Fatalf("queryables %d %s", a.status, a.header.Get("Content-Type"))
	}
	props := a.json(t)["properties"].(map[string]any)
	if props["risk_level"].(map[string]any)["type"] != "integer" || props["geometry"].(map[string]any)["format"] != "geometry-point" || len(props) != 4 {
		t.Fatalf("queryables %v", props)
	}
}

// ids GETs a items URL and returns the feature ids, in order, checking
// numberMatched.
func ids(t *testing.T, s *httptest.Server, path string) []int64 {
	t.Helper()
	a := do(t, "GET", s.URL+path, nil, "")
	if a.status != 200 {
		t.Fatalf("%s: %d %s", path, a.status, a.body)
	}
	fc := a.json(t)
	var out []int64
	for _, f := range fc["features"].([]any) {
		out = append(out, int64(f.(map[string]any)["id"].(float64)))
	}
	if int(fc["numberReturned"].(float64)) != len(out) {
		t.Fatalf("%s: numberReturned %v for %d", path, fc["numberReturned"], len(out))
	}
	return out
}

func TestFiltersMatchAPlainEvaluation(t *testing.T) {
	s, c := ogcServer(t)
	l, _ := c.Layer("hazards")
	var all []*layers.Feature
	l.Snapshot().All(func(f *layers.Feature) bool { all = append(all, f); return true })
	str := func(f *layers.Feature, k string) (string, bool) { v, ok := f.Properties[k].(string); return v, ok }
	risk := func(f *layers.Feature) int64 { return f.Properties["risk_level"].(int64) }
	pt := func(f *layers.Feature) orb.Point { return f.Geometry.(orb.Point) }
	for _, tc := range []struct {
		filter, lang string
		keep         func(f *layers.Feature) bool
	}{
		{"risk_level = 2", "", func(f *layers.Feature) bool { return risk(f) == 2 }},
		{"risk_level >= 3 AND class = 'industrial'", "", func(f *layers.Feature) bool { c, _ := str(f, "class"); return risk(f) >= 3 && c == "industrial" }},
		{"class <> 'crowded'", "", func(f *layers.Feature) bool { c, ok := str(f, "class"); return ok && c != "crowded" }},
		{"class IS NULL OR risk_level IN (1, 4)", "", func(f *layers.Feature) bool { _, ok := str(f, "class"); return !ok || risk(f) == 1 || risk(f) == 4 }},
		{"name LIKE '危险源 1%'", "", func(f *layers.Feature) bool { n, _ := str(f, "name"); return strings.HasPrefix(n, "危险源 1") }},
		{"risk_level BETWEEN 2 AND 3 AND NOT class LIKE 's%'", "", func(f *layers.Feature) bool {
			c, ok := str(f, "class")
			return risk(f) >= 2 && risk(f) <= 3 && ok && !strings.HasPrefix(c, "s")
		}},
		{"S_INTERSECTS(geometry, POLYGON((114.015 22.505, 114.045 22.505, 114.045 22.535, 114.015 22.535, 114.015 22.505)))", "", func(f *layers.Feature) bool {
			p := pt(f)
			return p[0] > 114.015 && p[0] < 114.045 && p[1] > 22.505 && p[1] < 22.535
		}},
		{"S_WITHIN(geometry, BBOX(114.0, 22.5, 114.03, 22.52)) AND risk_level > 1", "", func(f *layers.Feature) bool {
			p := pt(f)
			return p[0] > 114.0 && p[0] < 114.03 && p[1] > 22.5 && p[1] < 22.52 && risk(f) > 1
		}},
		{`{"op":"and","args":[{"op":"<","args":[{"property":"risk_level"},3]},{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[114.025,22.515,114.075,22.545]}]}]}`, "cql2-json",
			func(f *layers.Feature) bool {
				p := pt(f)
				return risk(f) < 3 && p[0] >= 114.025 && p[0] <= 114.075 && p[1] >= 22.515 && p[1] <= 22.545
			}},
		{"(class = 'storage') AND (name ILIKE '%源 3%')", "cql-text", func(f *layers.Feature) bool {
			c, _ := str(f, "class")
			n, _ := str(f, "name")
			return c == "storage" && strings.Contains(n, "源 3")
		}},
	} {
		var want []int64
		for _, f := range all {
			if tc.keep(f) {
				want = append(want, f.ID)
			}
		}
		q := url.Values{"filter": {tc.filter}, "limit": {"1000"}}
		if tc.lang != "" {
			q.Set("filter-lang", tc.lang)
		}
		got := ids(t, s, "/collections/hazards/items?"+q.Encode())
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("%s: got %v want %v", tc.filter, got, want)
		}
	}
	// name=value parameters are equality filters.
	if got := ids(t, s, "/collections/hazards/items?class=storage&risk_level=3&limit=100"); len(got) == 0 || !slices.Equal(got,
		ids(t, s, "/collections/hazards/items?limit=100&filter="+url.QueryEscape("class = 'storage' AND risk_level = 3"))) {
		t.Errorf("name=value: %v", got)
	}
	// Paging over a filter.
	first := ids(t, s, "/collections/hazards/items?filter=risk_level%3E1&limit=5")
	next := ids(t, s, "/collections/hazards/items?filter=risk_level%3E1&limit=5&offset=5")
	if len(first) != 5 || len(next) != 5 || first[4] >= next[0] {
		t.Errorf("paging %v %v", first, next)
	}
}

func TestSortbyAndProperties(t *testing.T) {
	s, _ := ogcServer(t)
	a := do(t, "GET", s.URL+"/collections/hazards/items?sortby=-risk_level,name&limit=40&properties=risk_level,name", nil, "").json(t)
	var prev []any
	for i, f := range a["features"].([]any) {
		p := f.(map[string]any)["properties"].(map[string]any)
		if _, ok := p["class"]; ok || len(p) != 2 {
			t.Fatalf("properties= kept %v", p)
		}
		cur := []any{p["risk_level"], p["name"]}
		if i > 0 && (cur[0].(float64) > prev[0].(float64) || cur[0] == prev[0] && cur[1].(string) < prev[1].(string)) {
			t.Fatalf("not sorted: %v after %v", cur, prev)
		}
		prev = cur
	}
	asc := ids(t, s, "/collections/hazards/items?sortby=%2Bclass&limit=40")
	if len(asc) != 40 {
		t.Fatal(len(asc))
	}
	// Features without a class sort last (PostgreSQL's NULLS LAST).
	if last := asc[39]; (last-1)%5 != 0 {
		t.Errorf("last by class is %d, which has one", last)
	}
}

func TestCRS(t *testing.T) {
	s, _ := ogcServer(t)
	one := func(q string) (orb.Point, string) {
		a := do(t, "GET", s.URL+"/collections/hazards/items/10?"+q, nil, "")
		if a.status != 200 {
			t.Fatalf("%s: %d %s", q, a.status, a.body)
		}
		c := a.json(t)["geometry"].(map[string]any)["coordinates"].([]any)
		return orb.Point{c[0].(float64), c[1].(float64)}, a.header.Get("Content-Crs")
	}
	p, h := one("")
	if h != "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>" {
		t.Fatalf("Content-Crs %q", h)
	}
	ll, h := one("crs=http://www.opengis.net/def/crs/EPSG/0/4326")
	if ll != (orb.Point{p[1], p[0]}) || h != "<http://www.opengis.net/def/crs/EPSG/0/4326>" {
		t.Fatalf("EPSG:4326 %v for %v (%s)", ll, p, h)
	}
	cg, _ := one("crs=http://www.opengis.net/def/crs/EPSG/0/4490")
	if cg != ll {
		t.Fatalf("EPSG:4490 %v", cg)
	}
	m, _ := one("crs=http://www.opengis.net/def/crs/EPSG/0/3857")
	wantX := p[0] * math.Pi / 180 * 6378137
	if math.Abs(m[0]-wantX) > 1e-3 || m[1] < 2.5e6 || m[1] > 2.6e6 {
		t.Fatalf("EPSG:3857 %v", m)
	}
	// bbox-crs: the same box in metres selects the same features.
	bb := "114.015,22.505,114.045,22.535"
	lo := maptile.Fraction(orb.Point{114.015, 22.505}, 0)
	_ = lo
	mlo := merc(orb.Point{114.015, 22.505})
	mhi := merc(orb.Point{114.045, 22.535})
	mb := fmt.Sprintf("%f,%f,%f,%f", mlo[0], mlo[1], mhi[0], mhi[1])
	a, b := ids(t, s, "/collections/hazards/items?limit=100&bbox="+bb), ids(t, s, "/collections/hazards/items?limit=100&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857&bbox="+mb)
	if len(a) == 0 || !slices.Equal(a, b) {
		t.Fatalf("bbox-crs: %v vs %v", a, b)
	}
	latlon := ids(t, s, "/collections/hazards/items?limit=100&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326&bbox=22.505,114.015,22.535,114.045")
	if !slices.Equal(a, latlon) {
		t.Fatalf("bbox-crs 4326 (lat,lon): %v vs %v", latlon, a)
	}
}

func merc(p orb.Point) orb.Point {
	return orb.Point{p[0] * math.Pi / 180 * 6378137, math.Log(math.Tan(math.Pi/4+p[1]*math.Pi/360)) * 6378137}
}

func TestBadRequestsNameTheField(t *testing.T) {
	s, _ := ogcServer(t)
	for path, want := range map[string]string{
		"/collections/hazards/items?filter=nope%3D1":                  "nope",
		"/collections/hazards/items?filter=risk_level%3D":             "offset",
		"/collections/hazards/items?filter=risk_level%3D'x'":          "risk_level",
		"/collections/hazards/items?filter=x&filter-lang=cql3":        "cql3",
		"/collections/hazards/items?filter=%7B&filter-lang=cql2-json": "JSON",
		"/collections/hazards/items?crs=EPSG:2000":                    "EPSG:2000",
		"/collections/hazards/items?bbox-crs=EPSG:3857":               "bbox",
		"/collections/hazards/items?sortby=nope":                      "nope",
		"/collections/hazards/items?properties=nope":                  "nope",
		"/collections/hazards/items?datetime=2020-01-01":              "temporal",
		"/collections/hazards/items?risk_level=high":                  "high",
	} {
		a := do(t, "GET", s.URL+path, nil, "")
		m := a.json(t)
		if a.status != 400 || !strings.Contains(m["error"].(string), want) || m["field"] == "" {
			t.Errorf("%s: %d %v (want 400 naming %q)", path, a.status, m, want)
		}
	}
}

func TestHTMLPages(t *testing.T) {
	s, _ := ogcServer(t)
	for path, want := range map[string]string{
		"/collections?f=html":                    `href="/collections/hazards?f=html"`,
		"/collections/hazards?f=html":            "risk_level",
		"/collections/hazards/items?f=html":      "危险源 00",
		"/collections/hazards/items/3?f=html":    "危险源 02",
		"/collections/hazards/queryables?f=html": "geometry",
		"/conformance?f=html":                    "conf/core",
	} {
		a := do(t, "GET", s.URL+path, map[string]string{"Accept": "text/html"}, "")
		if a.status != 200 || a.header.Get("Content-Type") != mediaHTML || !bytes.Contains(a.body, []byte(want)) {
			t.Errorf("%s: %d %s %.300s", path, a.status, a.header.Get("Content-Type"), a.body)
		}
	}
	// A browser's Accept gets HTML from the API's pages too.
	if a := do(t, "GET", s.URL+"/collections", map[string]string{"Accept": "text/html,*/*;q=0.8"}, ""); a.header.Get("Content-Type") != mediaHTML {
		t.Errorf("browser /collections: %s", a.header.Get("Content-Type"))
	}
}

func TestCORSAndGzip(t *testing.T) {
	s, _ := ogcServer(t)
	a := do(t, "GET", s.URL+"/collections/hazards/items?limit=40", map[string]string{"Origin": "https://gis.example", "Accept-Encoding": "gzip"}, "")
	if a.header.Get("Access-Control-Allow-Origin") != "https://gis.example" || a.header.Get("Content-Encoding") != "gzip" ||
		a.header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("headers %v", a.header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	var fc map[string]any
	if err := json.Unmarshal(plain, &fc); err != nil || len(fc["features"].([]any)) != 40 {
		t.Fatalf("gunzipped: %v", err)
	}
	if o := do(t, "GET", s.URL+"/collections", map[string]string{"Origin": "https://evil.example"}, ""); o.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("a foreign origin is allowed")
	}
	pre := do(t, "OPTIONS", s.URL+"/collections/hazards/items/1", map[string]string{"Origin": "https://gis.example", "Access-Control-Request-Method": "PUT"}, "")
	if pre.status != 204 || !strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "PUT") || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "If-Match") {
		t.Fatalf("preflight %d %v", pre.status, pre.header)
	}
	item := do(t, "GET", s.URL+"/collections/hazards/items/1", nil, "")
	tag := item.header.Get("ETag")
	if tag == "" || do(t, "GET", s.URL+"/collections/hazards/items/1", map[string]string{"If-None-Match": tag}, "").status != 304 {
		t.Fatalf("item ETag %q", tag)
	}
}

func TestWritesRefusedOnLayersNotFromPostGIS(t *testing.T) {
	s, _ := ogcServer(t)
	body := `{"type":"Feature","geometry":{"type":"Point","coordinates":[114.01,22.51]},"properties":{"name":"x"}}`
	if a := do(t, "POST", s.URL+"/collections/hazards/items", map[string]string{"Content-Type": "application/geo+json"}, body); a.status != 401 {
		t.Fatalf("no token: %d", a.status)
	}
	auth := map[string]string{"Authorization": "Bearer plan", "Content-Type": "application/geo+json"}
	for _, m := range []string{"POST /collections/hazards/items", "PUT /collections/hazards/items/1", "PATCH /collections/hazards/items/1", "DELETE /collections/hazards/items/1"} {
		method, path, _ := strings.Cut(m, " ")
		a := do(t, method, s.URL+path, auth, body)
		if a.status != 405 || !strings.Contains(a.json(t)["error"].(string), "demo") || a.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d %s", m, a.status, a.body)
		}
	}
}

func TestOGCTiles(t *testing.T) {
	s, _ := ogcServer(t)
	ts := do(t, "GET", s.URL+"/collections/hazards/tiles", nil, "").json(t)
	set := ts["tilesets"].([]any)[0].(map[string]any)
	if set["dataType"] != "vector" || !strings.HasSuffix(set["tileMatrixSetURI"].(string), "WebMercatorQuad") {
		t.Fatalf("tileset %v", set)
	}
	tms := do(t, "GET", s.URL+"/tileMatrixSets/WebMercatorQuad", nil, "").json(t)
	m0 := tms["tileMatrices"].([]any)[0].(map[string]any)
	if m0["id"] != "0" || m0["matrixWidth"].(float64) != 1 || math.Abs(m0["scaleDenominator"].(float64)-559082264.0287178) > 1e-3 {
		t.Fatalf("matrix 0 %v", m0)
	}
	tile := maptile.At(orb.Point{114.031, 22.521}, 14)
	ogc := do(t, "GET", fmt.Sprintf("%s/collections/hazards/tiles/WebMercatorQuad/%d/%d/%d", s.URL, tile.Z, tile.Y, tile.X), nil, "")
	xyz := do(t, "GET", fmt.Sprintf("%s/tiles/hazards/%d/%d/%d.mvt", s.URL, tile.Z, tile.X, tile.Y), nil, "")
	if ogc.status != 200 || !bytes.Equal(ogc.body, xyz.body) || len(ogc.body) == 0 || ogc.header.Get("Content-Type") != mediaMVT {
		t.Fatalf("OGC tile %d, %d bytes vs %d", ogc.status, len(ogc.body), len(xyz.body))
	}
	// The address of the white patch: nothing there, yet a valid tile.
	empty := do(t, "GET", s.URL+"/collections/hazards/tiles/WebMercatorQuad/13/3570/6692", nil, "")
	ls, err := mvt.Unmarshal(empty.body)
	if empty.status != 200 || len(empty.body) == 0 || err != nil || len(ls) != 1 || ls[0].Name != "hazards" || len(ls[0].Features) != 0 {
		t.Fatalf("13/3570/6692: %d, %d bytes, %v %v", empty.status, len(empty.body), ls, err)
	}
	if a := do(t, "GET", s.URL+"/collections/hazards/tiles/WorldCRS84Quad/1/0/0", nil, ""); a.status != 404 {
		t.Fatalf("unknown matrix set %d", a.status)
	}
}
