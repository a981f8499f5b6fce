package web

import (
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/cql"
	"github.com/onemap/onemap/spatial/crs"
)

// FeaturesConfig is what the OGC API is served with.
type FeaturesConfig struct {
	// Title names the service on its landing page.
	Title string
	// Editor writes the features of layers served from onemap's PostGIS
	// tables (Part 4); nil serves every collection read-only.
	Editor layers.Editor
	// CORS is the cross-origin policy of the API's routes.
	CORS CORS
}

// Features serves OGC API – Features over every layer of a catalog: Part 1
// (core, GeoJSON, HTML, OpenAPI 3.0), Part 2 (crs, bbox-crs), Part 3
// (queryables, CQL2 text and JSON filters), Part 4 (create, replace,
// update, delete of PostGIS layers) and sortby and properties.
type Features struct {
	c        *layers.Catalog
	cfg      FeaturesConfig
	maxLimit int
	writes   writeLock
}

// NewFeatures serves c's layers with cfg.
func NewFeatures(c *layers.Catalog, cfg FeaturesConfig) *Features {
	if cfg.Title == "" {
		cfg.Title = "onemap"
	}
	return &Features{c: c, cfg: cfg, maxLimit: 10000}
}

// Register adds the OGC API routes (the table ogcRoutes, from which /api
// is generated too) to mux.
func (a *Features) Register(mux *http.ServeMux, log *slog.Logger, tokens Tokens) {
	for _, rt := range a.routes() {
		h := rt.handle
		if rt.role != "" {
			h = tokens.Require(rt.role, h)
		}
		mux.Handle(rt.method+" "+muxPath(rt.path), a.cfg.CORS.wrap(Handle(log, h)))
	}
	pre := http.HandlerFunc(a.cfg.CORS.preflight)
	for _, p := range []string{"/api", "/conformance", "/collections", "/collections/{rest...}"} {
		mux.Handle("OPTIONS "+p, pre)
	}
}

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// BaseURL is the scheme and host the client used to reach us.
func BaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// Landing answers the OGC API landing page (the JSON of / and, for HTML,
// a small page of links).
func (a *Features) Landing(w http.ResponseWriter, r *http.Request) error {
	base := BaseURL(r)
	doc := map[string]any{
		"title":       a.cfg.Title,
		"description": "onemap: the district's one shared map — vector tiles, OGC API Features and decision models",
		"links": []link{
			{Href: base + "/?f=json", Rel: "self", Type: mediaJSON, Title: "this document"},
			{Href: base + "/", Rel: "alternate", Type: "text/html", Title: "the one-map page"},
			{Href: base + "/api", Rel: "service-desc", Type: mediaOpenAPI, Title: "the API definition (OpenAPI 3.0)"},
			{Href: base + "/api.html", Rel: "service-doc", Type: "text/html", Title: "the API documentation"},
			{Href: base + "/conformance", Rel: "conformance", Type: mediaJSON, Title: "conformance classes"},
			{Href: base + "/collections", Rel: "data", Type: mediaJSON, Title: "feature collections"},
			{Href: base + "/style.json", Rel: "stylesheet", Type: mediaJSON, Title: "MapLibre style"},
			{Href: base + "/tileMatrixSets", Rel: "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", Type: mediaJSON, Title: "tile matrix sets"},
		},
	}
	if html, err := wantsHTML(r); err != nil {
		return err
	} else if html {
		return writeHTML(w, r, "landing", doc)
	}
	return writeOGC(w, r, http.StatusOK, mediaJSON, doc)
}

func (a *Features) conformance(w http.ResponseWriter, r *http.Request) error {
	doc := map[string]any{"conformsTo": conformsTo}
	if html, err := wantsHTML(r); err != nil {
		return err
	} else if html {
		return writeHTML(w, r, "conformance", doc)
	}
	return writeOGC(w, r, http.StatusOK, mediaJSON, doc)
}

func (a *Features) describe(base string, l *layers.Layer) map[string]any {
	s := l.Schema
	snap := l.Snapshot()
	b := snap.Bound()
	self := base + "/collections/" + s.Name
	return map[string]any{
		"id":          s.Name,
		"title":       schemaTitle(s),
		"description": s.Description,
		"itemType":    "feature",
		"extent": map[string]any{"spatial": map[string]any{
			"bbox": [][4]float64{{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}},
			"crs":  crs.CRS84.URI,
		}},
		"crs":        crs.URIs(),
		"storageCrs": crs.CRS84.URI,
		"schema":     s,
		"version":    snap.Version(),
		"writable":   a.writable(l) == nil,
		"links": []link{
			{Href: self, Rel: "self", Type: mediaJSON},
			{Href: self + "?f=html", Rel: "alternate", Type: "text/html"},
			{Href: self + "/items", Rel: "items", Type: mediaGeoJSON},
			{Href: self + "/items?f=html", Rel: "items", Type: "text/html"},
			{Href: self + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: mediaSchema, Title: "queryables"},
			{Href: self + "/tiles", Rel: "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", Type: mediaJSON, Title: "vector tilesets"},
			{Href: base + "/tiles/" + s.Name + ".json", Rel: "describedby", Type: mediaTileJSON, Title: "TileJSON"},
		},
	}
}

func (a *Features) layer(r *http.Request) (*layers.Layer, error) {
	id := r.PathValue("id")
	l, ok := a.c.Layer(id)
	if !ok {
		return nil, NotFound("id", "no collection %q", id)
	}
	return l, nil
}

func (a *Features) collections(w http.ResponseWriter, r *http.Request) error {
	base := BaseURL(r)
	cs := []map[string]any{}
	for _, l := range a.c.Layers() {
		cs = append(cs, a.describe(base, l))
	}
	doc := map[string]any{
		"collections": cs,
		"crs":         crs.URIs(),
		"links": []link{{Href: base + "/collections", Rel: "self", Type: mediaJSON},
			{Href: base + "/collections?f=html", Rel: "alternate", Type: "text/html"}},
	}
	if html, err := wantsHTML(r); err != nil {
		return err
	} else if html {
		return writeHTML(w, r, "collections", doc)
	}
	return writeOGC(w, r, http.StatusOK, mediaJSON, doc)
}

func (a *Features) collection(w http.ResponseWriter, r *http.Request) error {
	l, err := a.layer(r)
	if err != nil {
		return err
	}
	doc := a.describe(BaseURL(r), l)
	if html, err := wantsHTML(r); err != nil {
		return err
	} else if html {
		return writeHTML(w, r, "collection", doc)
	}
	return writeOGC(w, r, http.StatusOK, mediaJSON, doc)
}

// geometryQueryable is the name filters use for a feature's geometry.
const geometryQueryable = "geometry"

// queryables types the layer's fields for CQL2.
func queryables(s layers.Schema) cql.Queryables {
	q := cql.Queryables{geometryQueryable: cql.Geometry}
	for _, f := range s.Fields {
		switch f.Type {
		case layers.Int, layers.Float:
			q[f.Name] = cql.Number
		case layers.Bool:
			q[f.Name] = cql.Boolean
		default:
			q[f.Name] = cql.String
		}
	}
	return q
}

func (a *Features) queryables(w http.ResponseWriter, r *http.Request) error {
	l, err := a.layer(r)
	if err != nil {
		return err
	}
	s := l.Schema
	props := map[string]any{geometryQueryable: map[string]any{
		"title":      "geometry",
		"format":     "geometry-" + strings.ToLower(string(s.Geometry)),
		"x-ogc-role": "primary-geometry",
	}}
	for _, f := range s.Fields {
		t := map[layers.FieldType]string{layers.Int: "integer", layers.Float: "number", layers.Bool: "boolean"}[f.Type]
		if t == "" {
			t = "string"
		}
		p := map[string]any{"type": t}
		if title := strings.TrimSpace(f.TitleEN + " " + f.TitleZH); title != "" {
			p["title"] = title
		}
		props[f.Name] = p
	}
	doc := map[string]any{
		"$schema":              "https://json-schema.org/draft/2019-09/schema",
		"$id":                  BaseURL(r) + "/collections/" + s.Name + "/queryables",
		"type":                 "object",
		"title":                schemaTitle(s),
		"properties":           props,
		"additionalProperties": false,
	}
	if html, err := wantsHTML(r); err != nil {
		return err
	} else if html {
		return writeHTML(w, r, "queryables", doc)
	}
	return writeOGC(w, r, http.StatusOK, mediaSchema, doc)
}

// GeoJSON converts a layer feature to a GeoJSON feature.
func GeoJSON(f *layers.Feature) *geojson.Feature {
	g := geojson.NewFeature(f.Geometry)
	g.ID = f.ID
	for k, v := range f.Properties {
		g.Properties[k] = v
	}
	return g
}

// itemsQuery is a parsed items request.
type itemsQuery struct {
	limit, offset int
	bbox          *orb.Bound // lon/lat
	filter        *cql.Filter
	sortby        []sortKey
	properties    []string // nil: all
	crs           crs.CRS
}

type sortKey struct {
	name string
	desc bool
}

func (a *Features) parseItems(r *http.Request, l *layers.Layer) (*itemsQuery, error) {
	q := r.URL.Query()
	var iq itemsQuery
	var err error
	if iq.limit, err = ParseInt(q, "limit", 10, 1, 1<<30); err != nil {
		return nil, err
	}
	iq.limit = min(iq.limit, a.maxLimit) // the standard says clamp, not refuse
	if iq.offset, err = ParseInt(q, "offset", 0, 0, 1<<30); err != nil {
		return nil, err
	}
	iq.crs = crs.CRS84
	if s := q.Get("crs"); s != "" {
		if iq.crs, err = crs.Parse(s); err != nil {
			return nil, BadRequest("crs", "%v", err)
		}
	}
	if s := q.Get("bbox"); s != "" {
		bc := crs.CRS84
		if c := q.Get("bbox-crs"); c != "" {
			if bc, err = crs.Parse(c); err != nil {
				return nil, BadRequest("bbox-crs", "%v", err)
			}
		}
		b, err := parseBBoxIn(s, bc)
		if err != nil {
			return nil, err
		}
		iq.bbox = &b
	} else if q.Get("bbox-crs") != "" {
		return nil, BadRequest("bbox-crs", "given without bbox")
	}
	if q.Has("datetime") {
		return nil, BadRequest("datetime", "collection %s has no temporal property to filter on", l.Schema.Name)
	}
	if s := q.Get("filter"); s != "" {
		if iq.filter, err = parseFilter(s, q.Get("filter-lang"), q.Get("filter-crs"), l.Schema); err != nil {
			return nil, err
		}
	} else if q.Get("filter-lang") != "" || q.Get("filter-crs") != "" {
		return nil, BadRequest("filter", "filter-lang or filter-crs given without filter")
	}
	if eq, err := propertyParams(q, l.Schema); err != nil {
		return nil, err
	} else if eq != nil {
		if iq.filter != nil {
			eq = append(eq, iq.filter.Expr())
		}
		var e cql.Expr = cql.And{Args: eq}
		if len(eq) == 1 {
			e = eq[0]
		}
		if iq.filter, err = cql.Compile(e, queryables(l.Schema)); err != nil {
			return nil, BadRequest("filter", "%v", err)
		}
	}
	if s := q.Get("sortby"); s != "" {
		for _, part := range strings.Split(s, ",") {
			part = strings.TrimSpace(part)
			k := sortKey{name: strings.TrimLeft(part, "+-"), desc: strings.HasPrefix(part, "-")}
			if strings.HasSuffix(strings.ToUpper(k.name), " DESC") || strings.HasSuffix(strings.ToUpper(k.name), " ASC") {
				k.desc = strings.HasSuffix(strings.ToUpper(k.name), " DESC")
				k.name = strings.TrimSpace(k.name[:strings.LastIndex(k.name, " ")])
			}
			if _, ok := l.Schema.Field(k.name); !ok && k.name != "id" {
				return nil, BadRequest("sortby", "collection %s has no property %q to sort by", l.Schema.Name, k.name)
			}
			iq.sortby = append(iq.sortby, k)
		}
	}
	if q.Has("properties") {
		iq.properties = []string{}
		for _, p := range strings.Split(q.Get("properties"), ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			if _, ok := l.Schema.Field(p); !ok {
				return nil, BadRequest("properties", "collection %s has no property %q", l.Schema.Name, p)
			}
			iq.properties = append(iq.properties, p)
		}
	}
	return &iq, nil
}

// propertyParams turns query parameters named after a field (Part 1's
// name=value, as GDAL sends for an OGR equality) into equality filters.
func propertyParams(q url.Values, s layers.Schema) ([]cql.Expr, error) {
	var out []cql.Expr
	for _, f := range s.Fields {
		if !q.Has(f.Name) {
			continue
		}
		v := q.Get(f.Name)
		var lit any = v
		switch f.Type {
		case layers.Int, layers.Float:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n-n != 0 {
				return nil, BadRequest(f.Name, "%q is not a number", v)
			}
			lit = n
		case layers.Bool:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, BadRequest(f.Name, "%q is not true or false", v)
			}
			lit = b
		}
		out = append(out, cql.Compare{Op: "=", L: cql.Property{Name: f.Name}, R: cql.Literal{Value: lit}})
	}
	return out, nil
}

// parseBBoxIn parses a bbox in c and returns it in lon/lat.
func parseBBoxIn(s string, c crs.CRS) (orb.Bound, error) {
	if c == crs.CRS84 {
		return ParseBBox(s)
	}
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return orb.Bound{}, BadRequest("bbox", "want 4 numbers in %s, got %d", c.URI, len(parts))
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f-f != 0 {
			return orb.Bound{}, BadRequest("bbox", "%q is not a number", p)
		}
		v[i] = f
	}
	if v[0] > v[2] || v[1] > v[3] {
		return orb.Bound{}, BadRequest("bbox", "min is greater than max")
	}
	return c.BoundToWGS84(orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}), nil
}

// parseFilter parses and checks a filter in lang (cql2-text, the default,
// or cql2-json) against s's queryables; geometry literals in filterCRS are
// brought to lon/lat.
func parseFilter(s, lang, filterCRS string, schema layers.Schema) (*cql.Filter, error) {
	var e cql.Expr
	var err error
	switch lang {
	case "", "cql2-text", "cql-text": // cql-text: the draft's name, which GDAL 3.6 sends
		e, err = cql.ParseText(s)
	case "cql2-json":
		e, err = cql.ParseJSON([]byte(s))
	default:
		return nil, BadRequest("filter-lang", "unsupported %q; want cql2-text or cql2-json", lang)
	}
	if err != nil {
		return nil, BadRequest("filter", "%v", err)
	}
	if filterCRS != "" {
		c, err := crs.Parse(filterCRS)
		if err != nil {
			return nil, BadRequest("filter-crs", "%v", err)
		}
		e = cql.MapGeometries(e, c.ToWGS84)
	}
	f, err := cql.Compile(e, queryables(schema))
	if err != nil {
		return nil, BadRequest("filter", "%v", err)
	}
	return f, nil
}

// match returns the features of snap iq selects, in id order (or sortby's),
// and whether they were all gathered (false: paging reads snap directly).
func (iq *itemsQuery) match(snap *layers.Snapshot) ([]*layers.Feature, bool) {
	if iq.bbox == nil && iq.filter == nil && iq.sortby == nil {
		return nil, false
	}
	var box orb.Geometry
	if iq.bbox != nil {
		box = iq.bbox.ToPolygon()
	}
	keep := func(f *layers.Feature) bool {
		if box != nil && !cql.Intersects(f.Geometry, box) {
			return false
		}
		return iq.filter == nil || iq.filter.Match(f.Properties, f.Geometry)
	}
	var hits []*layers.Feature
	search := iq.bbox
	if iq.filter != nil {
		if fb, ok := iq.filter.Bound(); ok {
			if search == nil {
				search = &fb
			} else if !search.Intersects(fb) {
				return hits, true
			}
		}
	}
	if search != nil {
		snap.Search(*search, func(f *layers.Feature) bool {
			if keep(f) {
				hits = append(hits, f)
			}
			return true
		})
		sort.Slice(hits, func(i, j int) bool { return hits[i].ID < hits[j].ID })
	} else {
		snap.All(func(f *layers.Feature) bool {
			if keep(f) {
				hits = append(hits, f)
			}
			return true
		})
	}
	if len(iq.sortby) > 0 {
		sort.SliceStable(hits, func(i, j int) bool {
			for _, k := range iq.sortby {
				c := compareValues(sortValue(hits[i], k.name), sortValue(hits[j], k.name))
				if c != 0 {
					return (c < 0) != k.desc
				}
			}
			return false
		})
	}
	return hits, true
}

func sortValue(f *layers.Feature, name string) any {
	if name == "id" {
		return float64(f.ID)
	}
	return cqlNormalize(f.Properties[name])
}

func cqlNormalize(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	}
	return v
}

// compareValues orders numbers, strings and booleans; missing values sort
// last (as PostgreSQL's NULLS LAST for ascending order).
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	switch x := a.(type) {
	case float64:
		if y, ok := b.(float64); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case bool:
		if y, ok := b.(bool); ok && x != y {
			if !x {
				return -1
			}
			return 1
		}
		return 0
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// outFeature is a feature as iq answers it: in iq's CRS with iq's
// properties.
func (iq *itemsQuery) outFeature(f *layers.Feature) *geojson.Feature {
	g := geojson.NewFeature(iq.crs.FromWGS84(f.Geometry))
	g.ID = f.ID
	if iq.properties == nil {
		for k, v := range f.Properties {
			g.Properties[k] = v
		}
	} else {
		for _, k := range iq.properties {
			if v, ok := f.Properties[k]; ok {
				g.Properties[k] = v
			}
		}
	}
	return g
}

func (a *Features) items(w http.ResponseWriter, r *http.Request) error {
	l, err := a.layer(r)
	if err != nil {
		return err
	}
	html, err := wantsHTML(r)
	if err != nil {
		return err
	}
	iq, err := a.parseItems(r, l)
	if err != nil {
		return err
	}
	snap := l.Snapshot()
	hits, gathered := iq.match(snap)
	matched := snap.Len()
	if gathered {
		matched = len(hits)
	}
	var page []*layers.Feature
	for i := iq.offset; i < min(iq.offset+iq.limit, matched); i++ {
		if gathered {
			page = append(page, hits[i])
		} else {
			page = append(page, snap.At(i))
		}
	}
	fc := geojson.NewFeatureCollection()
	self := *r.URL
	base := BaseURL(r)
	links := []link{{Href: base + self.RequestURI(), Rel: "self", Type: mediaGeoJSON}}
	alt := self.Query()
	alt.Set("f", "html")
	links = append(links, link{Href: base + self.Path + "?" + alt.Encode(), Rel: "alternate", Type: "text/html"})
	if iq.offset+len(page) < matched {
		next := self.Query()
		next.Set("offset", strconv.Itoa(iq.offset+len(page)))
		next.Set("limit", strconv.Itoa(iq.limit))
		links = append(links, link{Href: base + self.Path + "?" + next.Encode(), Rel: "next", Type: mediaGeoJSON})
	}
	if iq.offset > 0 {
		prev := self.Query()
		prev.Set("offset", strconv.Itoa(max(0, iq.offset-iq.limit)))
		links = append(links, link{Href: base + self.Path + "?" + prev.Encode(), Rel: "prev", Type: mediaGeoJSON})
	}
	fc.ExtraMembers = geojson.Properties{
		"numberMatched":  matched,
		"numberReturned": len(page),
		"timeStamp":      time.Now().UTC().Format(time.RFC3339),
		"links":          links,
	}
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", fmt.Sprintf(`W/"%s-%d"`, l.Schema.Name, snap.Version()))
	h.Set("Content-Crs", "<"+iq.crs.URI+">")
	if html {
		for _, f := range page {
			fc.Append(iq.outFeature(f))
		}
		return writeHTML(w, r, "items", map[string]any{"collection": a.describe(base, l), "features": fc, "fields": l.Schema.Fields})
	}
	// The collection by hand (appendFeature): reflection over 1,000
	// geometries would be most of the request.
	buf := make([]byte, 0, 512*len(page)+1024)
	buf = append(buf, `{"type":"FeatureCollection","features":[`...)
	for i, f := range page {
		if i > 0 {
			buf = append(buf, ',')
		}
		props := f.Properties
		if iq.properties != nil {
			props = make(map[string]any, len(iq.properties))
			for _, k := range iq.properties {
				if v, ok := f.Properties[k]; ok {
					props[k] = v
				}
			}
		}
		buf = appendFeature(buf, f.ID, iq.crs.FromWGS84(f.Geometry), props)
	}
	buf = append(buf, ']')
	for _, k := range []string{"numberMatched", "numberReturned", "timeStamp", "links"} {
		j, err := marshalPlain(fc.ExtraMembers[k])
		if err != nil {
			return err
		}
		buf = append(buf, ',')
		buf = appendString(buf, k)
		buf = append(buf, ':')
		buf = append(buf, j...)
	}
	buf = append(buf, "}\n"...)
	return writeBody(w, r, http.StatusOK, mediaGeoJSON, buf)
}

// featureETag is a strong tag of a feature's content.
func featureETag(f *layers.Feature) string {
	b, _ := GeoJSON(f).MarshalJSON()
	h := fnv.New64a()
	_, _ = h.Write(b)
	return fmt.Sprintf(`"%016x"`, h.Sum64())
}

func parseFID(r *http.Request) (int64, error) {
	fid, err := strconv.ParseInt(r.PathValue("fid"), 10, 64)
	if err != nil {
		return 0, BadRequest("fid", "%q is not a feature id (an integer)", r.PathValue("fid"))
	}
	return fid, nil
}

func (a *Features) item(w http.ResponseWriter, r *http.Request) error {
	l, err := a.layer(r)
	if err != nil {
		return err
	}
	html, err := wantsHTML(r)
	if err != nil {
		return err
	}
	fid, err := parseFID(r)
	if err != nil {
		return err
	}
	iq := &itemsQuery{crs: crs.CRS84}
	if s := r.URL.Query().Get("crs"); s != "" {
		if iq.crs, err = crs.Parse(s); err != nil {
			return BadRequest("crs", "%v", err)
		}
	}
	f, ok := l.Snapshot().Get(fid)
	if !ok {
		return NotFound("fid", "no feature %d in %s", fid, l.Schema.Name)
	}
	etag := featureETag(f)
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Crs", "<"+iq.crs.URI+">")
	if noneMatch(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	g := iq.outFeature(f)
	base := BaseURL(r)
	doc := map[string]any{
		"type": "Feature", "id": g.ID, "geometry": geojson.NewGeometry(g.Geometry), "properties": g.Properties,
		"links": []link{
			{Href: base + r.URL.Path, Rel: "self", Type: mediaGeoJSON},
			{Href: base + r.URL.Path + "?f=html", Rel: "alternate", Type: "text/html"},
			{Href: base + "/collections/" + l.Schema.Name, Rel: "collection", Type: mediaJSON},
		},
	}
	if html {
		return writeHTML(w, r, "item", map[string]any{"collection": a.describe(base, l), "feature": doc, "fields": l.Schema.Fields})
	}
	return writeOGC(w, r, http.StatusOK, mediaGeoJSON, doc)
}
