package web

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/crs"
)

// replacer is an Editor that can replace a whole feature (geometry and
// every property): postgis.Editor.
type replacer interface {
	Replace(ctx context.Context, layer string, id int64, g orb.Geometry, props map[string]any) (uint64, error)
}

// writeLock serialises this server's OGC writes, so an If-Match check and
// the write it guards see the same feature.
type writeLock struct{ mu sync.Mutex }

// writable says why l cannot be written through the OGC API (nil: it can).
func (a *Features) writable(l *layers.Layer) *Error {
	s := l.Schema
	why := ""
	switch {
	case s.Derived:
		why = fmt.Sprintf("collection %s is derived by the %s model from other layers; edit its inputs instead", s.Name, s.Owner)
	case s.Owner != layers.OwnerPostGIS:
		why = fmt.Sprintf("collection %s is read from %s, not from onemap's PostGIS tables; only those are written through this API", s.Name, ownerName(s.Owner))
	case a.cfg.Editor == nil:
		why = "this server has no editor for its PostGIS tables"
	default:
		if _, ok := a.cfg.Editor.(replacer); !ok {
			why = "this server's editor cannot replace whole features"
		}
	}
	if why == "" {
		return nil
	}
	return &Error{Status: http.StatusMethodNotAllowed, Field: "id", Message: why}
}

func ownerName(o string) string {
	switch o {
	case layers.OwnerDemo:
		return "the generated demo district (in memory)"
	case layers.OwnerOSM:
		return "an OSM extract (in memory)"
	case "":
		return "memory"
	}
	return o
}

// writeTarget resolves the collection of a write and checks it may be
// written.
func (a *Features) writeTarget(w http.ResponseWriter, r *http.Request) (*layers.Layer, error) {
	l, err := a.layer(r)
	if err != nil {
		return nil, err
	}
	if e := a.writable(l); e != nil {
		w.Header().Set("Allow", "GET, HEAD")
		return nil, e
	}
	return l, nil
}

// inFeature is a GeoJSON feature of a request body.
type inFeature struct {
	Type       string            `json:"type"`
	ID         any               `json:"id,omitempty"`
	Geometry   *geojson.Geometry `json:"geometry"`
	Properties map[string]any    `json:"properties"`
	Links      any               `json:"links,omitempty"`
	BBox       any               `json:"bbox,omitempty"`
}

// decodeFeature reads a feature body, its geometry in the Content-Crs
// header's CRS (CRS84 when absent), and checks its properties against s.
// partial allows a body without geometry (PATCH).
func decodeFeature(r *http.Request, s layers.Schema, partial bool) (orb.Geometry, map[string]any, error) {
	var f inFeature
	if err := DecodeJSON(r, &f); err != nil {
		return nil, nil, err
	}
	if f.Type != "Feature" && !(partial && f.Type == "") {
		return nil, nil, BadRequest("type", "want a GeoJSON Feature, got type %q", f.Type)
	}
	var g orb.Geometry
	if f.Geometry != nil && f.Geometry.Coordinates != nil {
		g = f.Geometry.Coordinates
		if h := r.Header.Get("Content-Crs"); h != "" {
			c, err := crs.Parse(strings.Trim(strings.TrimSpace(h), "<>"))
			if err != nil {
				return nil, nil, BadRequest("Content-Crs", "%v", err)
			}
			g = c.ToWGS84(g)
		}
		if t := layers.GeomType(g.GeoJSONType()); s.Geometry != layers.Geometry && t != s.Geometry &&
			strings.TrimPrefix(string(s.Geometry), "Multi") != string(t) && string(s.Geometry) != "Multi"+string(t) {
			return nil, nil, BadRequest("geometry", "collection %s holds %s, got %s", s.Name, s.Geometry, t)
		}
	} else if !partial {
		return nil, nil, BadRequest("geometry", "required")
	}
	props := map[string]any{}
	for k, v := range f.Properties {
		fd, ok := s.Field(k)
		if !ok {
			return nil, nil, BadRequest("properties."+k, "collection %s has no property %q", s.Name, k)
		}
		cv, err := fieldValue(v, fd.Type)
		if err != nil {
			return nil, nil, BadRequest("properties."+k, "%v", err)
		}
		props[k] = cv
	}
	return g, props, nil
}

// fieldValue converts a JSON value to a field's type (nil stays nil).
func fieldValue(v any, t layers.FieldType) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t {
	case layers.Int:
		if f, ok := v.(float64); ok && f == float64(int64(f)) {
			return int64(f), nil
		}
		return nil, fmt.Errorf("want an integer, got %v", v)
	case layers.Float:
		if f, ok := v.(float64); ok {
			return f, nil
		}
		return nil, fmt.Errorf("want a number, got %v", v)
	case layers.Bool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return nil, fmt.Errorf("want true or false, got %v", v)
	}
	if s, ok := v.(string); ok {
		return s, nil
	}
	return nil, fmt.Errorf("want a string, got %v", v)
}

// checkIfMatch refuses a write whose If-Match names another version of
// the feature (412), per Part 4's optimistic locking.
func checkIfMatch(r *http.Request, f *layers.Feature) error {
	h := r.Header.Get("If-Match")
	if h == "" || strings.TrimSpace(h) == "*" {
		return nil
	}
	etag := featureETag(f)
	for _, t := range strings.Split(h, ",") {
		if strings.TrimSpace(t) == etag {
			return nil
		}
	}
	return &Error{Status: http.StatusPreconditionFailed, Field: "If-Match",
		Message: fmt.Sprintf("feature %d has changed: its ETag is now %s", f.ID, etag)}
}

func (a *Features) create(w http.ResponseWriter, r *http.Request) error {
	l, err := a.writeTarget(w, r)
	if err != nil {
		return err
	}
	g, props, err := decodeFeature(r, l.Schema, false)
	if err != nil {
		return err
	}
	a.writes.mu.Lock()
	defer a.writes.mu.Unlock()
	id, _, err := a.cfg.Editor.Insert(r.Context(), l.Schema.Name, g, props)
	if err != nil {
		return err
	}
	return a.written(w, r, l, id, http.StatusCreated)
}

// written answers a successful create or replace with the feature's
// location and ETag.
func (a *Features) written(w http.ResponseWriter, r *http.Request, l *layers.Layer, id int64, status int) error {
	loc := BaseURL(r) + "/collections/" + l.Schema.Name + "/items/" + strconv.FormatInt(id, 10)
	w.Header().Set("Location", loc)
	f, ok := l.Snapshot().Get(id)
	if !ok {
		w.WriteHeader(status)
		return nil
	}
	w.Header().Set("ETag", featureETag(f))
	return writeOGC(w, r, status, mediaGeoJSON, GeoJSON(f))
}

func (a *Features) current(l *layers.Layer, r *http.Request) (*layers.Feature, error) {
	fid, err := parseFID(r)
	if err != nil {
		return nil, err
	}
	f, ok := l.Snapshot().Get(fid)
	if !ok {
		return nil, NotFound("fid", "no feature %d in %s", fid, l.Schema.Name)
	}
	return f, nil
}

func (a *Features) replace(w http.ResponseWriter, r *http.Request) error {
	l, err := a.writeTarget(w, r)
	if err != nil {
		return err
	}
	g, props, err := decodeFeature(r, l.Schema, false)
	if err != nil {
		return err
	}
	a.writes.mu.Lock()
	defer a.writes.mu.Unlock()
	f, err := a.current(l, r)
	if err != nil {
		return err
	}
	if err := checkIfMatch(r, f); err != nil {
		return err
	}
	if _, err := a.cfg.Editor.(replacer).Replace(r.Context(), l.Schema.Name, f.ID, g, props); err != nil {
		return err
	}
	return a.written(w, r, l, f.ID, http.StatusOK)
}

func (a *Features) update(w http.ResponseWriter, r *http.Request) error {
	l, err := a.writeTarget(w, r)
	if err != nil {
		return err
	}
	g, props, err := decodeFeature(r, l.Schema, true)
	if err != nil {
		return err
	}
	a.writes.mu.Lock()
	defer a.writes.mu.Unlock()
	f, err := a.current(l, r)
	if err != nil {
		return err
	}
	if err := checkIfMatch(r, f); err != nil {
		return err
	}
	if g == nil {
		_, err = a.cfg.Editor.Update(r.Context(), l.Schema.Name, f.ID, props)
	} else {
		merged := maps.Clone(f.Properties)
		if merged == nil {
			merged = map[string]any{}
		}
		maps.Copy(merged, props)
		_, err = a.cfg.Editor.(replacer).Replace(r.Context(), l.Schema.Name, f.ID, g, merged)
	}
	if err != nil {
		return err
	}
	return a.written(w, r, l, f.ID, http.StatusOK)
}

func (a *Features) remove(w http.ResponseWriter, r *http.Request) error {
	l, err := a.writeTarget(w, r)
	if err != nil {
		return err
	}
	a.writes.mu.Lock()
	defer a.writes.mu.Unlock()
	f, err := a.current(l, r)
	if err != nil {
		return err
	}
	if err := checkIfMatch(r, f); err != nil {
		return err
	}
	if _, err := a.cfg.Editor.Delete(r.Context(), l.Schema.Name, f.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
