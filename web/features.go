package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/onemap/onemap/layers"
)

// Features serves OGC API – Features (Part 1: Core, GeoJSON) over every
// layer of a catalog.
type Features struct {
	c        *layers.Catalog
	title    string
	maxLimit int
}

// NewFeatures serves c's layers; title names the service on its landing page.
func NewFeatures(c *layers.Catalog, title string) *Features {
	return &Features{c: c, title: title, maxLimit: 10000}
}

// Register adds the OGC API routes to mux.
func (a *Features) Register(mux *http.ServeMux, log *slog.Logger, _ Tokens) {
	mux.Handle("GET /api", Handle(log, a.landing))
	mux.Handle("GET /conformance", Handle(log, a.conformance))
	mux.Handle("GET /collections", Handle(log, a.collections))
	mux.Handle("GET /collections/{id}", Handle(log, a.collection))
	mux.Handle("GET /collections/{id}/items", Handle(log, a.items))
	mux.Handle("GET /collections/{id}/items/{fid}", Handle(log, a.item))
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

func (a *Features) landing(w http.ResponseWriter, r *http.Request) error {
	// "/" is the one-map page; the OGC landing page lives at /api.
	base := BaseURL(r)
	return WriteJSON(w, http.StatusOK, "", map[string]any{
		"title":       a.title,
		"description": "onemap: the district's one shared map — vector tiles, OGC API Features and decision models",
		"links": []link{
			{Href: base + "/api", Rel: "self", Type: "application/json", Title: "this document"},
			{Href: base + "/conformance", Rel: "conformance", Type: "application/json", Title: "conformance classes"},
			{Href: base + "/collections", Rel: "data", Type: "application/json", Title: "feature collections"},
			{Href: base + "/style.json", Rel: "stylesheet", Type: "application/json", Title: "MapLibre style"},
		},
	})
}

func (a *Features) conformance(w http.ResponseWriter, r *http.Request) error {
	return WriteJSON(w, http.StatusOK, "", map[string]any{"conformsTo": []string{
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
		"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	}})
}

func (a *Features) describe(base string, l *layers.Layer) map[string]any {
	s := l.Schema
	snap := l.Snapshot()
	b := snap.Bound()
	self := base + "/collections/" + s.Name
	desc := s.Description
	return map[string]any{
		"id":          s.Name,
		"title":       s.TitleZH + " / " + s.TitleEN,
		"description": desc,
		"itemType":    "feature",
		"extent": map[string]any{"spatial": map[string]any{
			"bbox": [][4]float64{{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}},
			"crs":  "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
		}},
		"crs":     []string{"http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
		"schema":  s,
		"version": snap.Version(),
		"links": []link{
			{Href: self, Rel: "self", Type: "application/json"},
			{Href: self + "/items", Rel: "items", Type: "application/geo+json"},
			{Href: base + "/tiles/" + s.Name + ".json", Rel: "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", Type: "application/json", Title: "TileJSON"},
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
	var cs []map[string]any
	for _, l := range a.c.Layers() {
		cs = append(cs, a.describe(base, l))
	}
	return WriteJSON(w, http.StatusOK, "", map[string]any{
		"collections": cs,
		"links":       []link{{Href: base + "/collections", Rel: "self", Type: "application/json"}},
	})
}

func (a *Features) collection(w http.ResponseWriter, r *http.Request) error {
	l, err := a.layer(r)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, "", a.describe(BaseURL(r), l))
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

func (a *Features) items(w http.ResponseWriter, r *http.Request) error {
	l, err := a.layer(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit, err := ParseInt(q, "limit", 10, 1, 1<<30)
	if err != nil {
		return err
	}
	if limit > a.maxLimit {
		limit = a.maxLimit // the standard says clamp, not refuse
	}
	offset, err := ParseInt(q, "offset", 0, 0, 1<<30)
	if err != nil {
		return err
	}
	snap := l.Snapshot()
	var page []*layers.Feature
	matched := snap.Len()
	if s := q.Get("bbox"); s != "" {
		b, err := ParseBBox(s)
		if err != nil {
			return err
		}
		var hits []*layers.Feature
		snap.Search(b, func(f *layers.Feature) bool {
			if intersects(f.Geometry, b) {
				hits = append(hits, f)
			}
			return true
		})
		sort.Slice(hits, func(i, j int) bool { return hits[i].ID < hits[j].ID })
		matched = len(hits)
		if offset < len(hits) {
			page = hits[offset:min(offset+limit, len(hits))]
		}
	} else {
		for i := offset; i < min(offset+limit, matched); i++ {
			page = append(page, snap.At(i))
		}
	}
	fc := geojson.NewFeatureCollection()
	for _, f := range page {
		fc.Append(GeoJSON(f))
	}
	self := *r.URL
	base := BaseURL(r)
	links := []link{{Href: base + self.RequestURI(), Rel: "self", Type: "application/geo+json"}}
	if offset+len(page) < matched {
		next := self.Query()
		next.Set("offset", strconv.Itoa(offset+len(page)))
		next.Set("limit", strconv.Itoa(limit))
		links = append(links, link{Href: base + self.Path + "?" + next.Encode(), Rel: "next", Type: "application/geo+json"})
	}
	if offset > 0 {
		prev := self.Query()
		prev.Set("offset", strconv.Itoa(max(0, offset-limit)))
		links = append(links, link{Href: base + self.Path + "?" + prev.Encode(), Rel: "prev", Type: "application/geo+json"})
	}
	fc.ExtraMembers = geojson.Properties{
		"numberMatched":  matched,
		"numberReturned": len(page),
		"timeStamp":      time.Now().UTC().Format(time.RFC3339),
		"links":          links,
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", fmt.Sprintf(`W/"%s-%d"`, l.Schema.Name, snap.Version()))
	return WriteJSON(w, http.StatusOK, "application/geo+json", fc)
}

func (a *Features) item(w http.ResponseWriter, r *http.Request) error {
	l, err := a.layer(r)
	if err != nil {
		return err
	}
	fid, err := strconv.ParseInt(r.PathValue("fid"), 10, 64)
	if err != nil {
		return BadRequest("fid", "%q is not a feature id (an integer)", r.PathValue("fid"))
	}
	f, ok := l.Snapshot().Get(fid)
	if !ok {
		return NotFound("fid", "no feature %d in %s", fid, l.Schema.Name)
	}
	g := GeoJSON(f)
	return WriteJSON(w, http.StatusOK, "application/geo+json", map[string]any{
		"type": "Feature", "id": g.ID, "geometry": geojson.NewGeometry(g.Geometry), "properties": g.Properties,
		"links": []link{
			{Href: BaseURL(r) + r.URL.Path, Rel: "self", Type: "application/geo+json"},
			{Href: BaseURL(r) + "/collections/" + l.Schema.Name, Rel: "collection", Type: "application/json"},
		},
	})
}

// intersects refines an R-tree bounds hit: points must lie in b; other
// geometries are kept when their bounds intersect b.
func intersects(g orb.Geometry, b orb.Bound) bool {
	if p, ok := g.(orb.Point); ok {
		return b.Contains(p)
	}
	return g.Bound().Intersects(b)
}
