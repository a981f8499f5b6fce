package web

import (
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
)

// API serves the one-map's own queries: config, locate, nearest, search and
// the statistics behind the KPI panels.
type API struct {
	c        *layers.Catalog
	locators *spatial.Locators
	cfg      APIConfig
}

// APIConfig is what the page needs to know about this deployment.
type APIConfig struct {
	BasemapURL string
}

// NewAPI serves queries over c.
func NewAPI(c *layers.Catalog, cfg APIConfig) *API {
	return &API{c: c, locators: spatial.NewLocators(c), cfg: cfg}
}

// Register adds the API routes to mux.
func (a *API) Register(mux *http.ServeMux, log *slog.Logger, _ Tokens) {
	mux.Handle("GET /api/config", Handle(log, a.config))
	mux.Handle("GET /api/locate", Handle(log, a.locate))
	mux.Handle("GET /api/nearest", Handle(log, a.nearest))
	mux.Handle("GET /api/search", Handle(log, a.search))
	mux.Handle("GET /api/stats", Handle(log, a.stats))
}

// needHierarchy is a 503 saying so when there is no grid hierarchy to
// locate in or count by (an OSM extract, a database without a grids role).
func (a *API) needHierarchy() error {
	if l, ok := a.c.Layer(layers.Grids); ok && l.Snapshot().Len() > 0 {
		return nil
	}
	return &Error{Status: http.StatusServiceUnavailable, Message: "no grid hierarchy: locate and stats need a grids layer " +
		"(a table with role = \"grids\" in onemap.toml, or onemap's grids table)"}
}

func (a *API) district() *layers.Feature {
	if l, ok := a.c.Layer(layers.Districts); ok && l.Snapshot().Len() > 0 {
		return l.Snapshot().At(0)
	}
	return nil
}

func (a *API) config(w http.ResponseWriter, r *http.Request) error {
	var schemas []layers.Schema
	synthetic := false
	for _, l := range a.c.Layers() {
		schemas = append(schemas, l.Schema)
		synthetic = synthetic || l.Schema.Synthetic
	}
	out := map[string]any{"synthetic": synthetic, "basemap_url": a.cfg.BasemapURL, "layers": schemas}
	var b orb.Bound
	if d := a.district(); d != nil {
		b = d.Geometry.Bound()
		out["name"], out["name_en"] = d.Properties["name"], d.Properties["name_en"]
	} else {
		// No admin layers (an OSM extract): frame everything there is.
		first := true
		for _, l := range a.c.Layers() {
			if s := l.Snapshot(); s.Len() > 0 {
				if first {
					b, first = s.Bound(), false
				} else {
					b = b.Union(s.Bound())
				}
			}
		}
		if first {
			return WriteJSON(w, http.StatusOK, "", out)
		}
	}
	out["bounds"] = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	out["center"] = b.Center()
	return WriteJSON(w, http.StatusOK, "", out)
}

// unit is the JSON of an admin unit.
func unit(f *layers.Feature) map[string]any {
	if f == nil {
		return nil
	}
	out := map[string]any{"id": f.ID}
	for _, k := range []string{"code", "name", "name_en", "level", "parent_code", "residents", "floating", "area_km2"} {
		if v, ok := f.Properties[k]; ok {
			out[k] = v
		}
	}
	return out
}

// point reads lon/lat and refuses points outside the district.
func (a *API) point(r *http.Request) (orb.Point, *spatial.Locator, spatial.Hierarchy, error) {
	p, err := ParseLonLat(r.URL.Query())
	if err != nil {
		return p, nil, spatial.Hierarchy{}, err
	}
	if err := a.needHierarchy(); err != nil {
		return p, nil, spatial.Hierarchy{}, err
	}
	loc, err := a.locators.Get()
	if err != nil {
		return p, nil, spatial.Hierarchy{}, err
	}
	h, err := loc.Locate(p)
	return p, loc, h, err
}

func (a *API) locate(w http.ResponseWriter, r *http.Request) error {
	_, _, h, err := a.point(r)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, "", map[string]any{
		"district": unit(h.District), "street": unit(h.Street), "community": unit(h.Community), "grid": unit(h.Grid),
	})
}

func (a *API) nearest(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	name := q.Get("layer")
	if name == "" {
		return BadRequest("layer", "required")
	}
	l, ok := a.c.Layer(name)
	if !ok {
		return NotFound("layer", "no layer %q", name)
	}
	k, err := ParseInt(q, "k", 5, 1, 1000)
	if err != nil {
		return err
	}
	p, _, _, err := a.point(r)
	if err != nil {
		return err
	}
	fc := geojson.NewFeatureCollection()
	for _, h := range spatial.Nearest(l.Snapshot(), p, k) {
		g := GeoJSON(h.Feature)
		g.Properties["distance_m"] = h.Distance
		fc.Append(g)
	}
	return WriteJSON(w, http.StatusOK, "application/geo+json", fc)
}

// searchable are the layers whose names and codes search looks through.
var searchable = []string{layers.Districts, layers.Streets, layers.Communities, layers.Grids,
	layers.FireStations, layers.Schools, layers.Hospitals, layers.ElderlyCare, layers.Hazards, layers.FloodPoints}

type searchHit struct {
	Layer string     `json:"layer"`
	ID    int64      `json:"id"`
	Name  string     `json:"name"`
	Code  string     `json:"code,omitempty"`
	Lon   float64    `json:"lon"`
	Lat   float64    `json:"lat"`
	BBox  [4]float64 `json:"bbox"`
	rank  int
}

func (a *API) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	term := strings.ToLower(strings.TrimSpace(q.Get("q")))
	if term == "" {
		return BadRequest("q", "required")
	}
	limit, err := ParseInt(q, "limit", 20, 1, 200)
	if err != nil {
		return err
	}
	var hits []searchHit
	for _, name := range searchable {
		l, ok := a.c.Layer(name)
		if !ok {
			continue
		}
		l.Snapshot().All(func(f *layers.Feature) bool {
			best := -1
			for i, key := range []string{"code", "name", "name_en"} {
				v, _ := f.Properties[key].(string)
				v = strings.ToLower(v)
				switch {
				case v == "":
				case v == term:
					best = pick(best, i)
				case strings.HasPrefix(v, term):
					best = pick(best, 10+i)
				case strings.Contains(v, term):
					best = pick(best, 20+i)
				}
			}
			if best >= 0 {
				b := f.Geometry.Bound()
				c := b.Center()
				if _, ok := f.Geometry.(orb.Point); !ok {
					c, _ = planar.CentroidArea(f.Geometry)
				}
				name, _ := f.Properties["name"].(string)
				code, _ := f.Properties["code"].(string)
				hits = append(hits, searchHit{Layer: l.Schema.Name, ID: f.ID, Name: name, Code: code, Lon: c[0], Lat: c[1],
					BBox: [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}, rank: best})
			}
			return true
		})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].rank < hits[j].rank })
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return WriteJSON(w, http.StatusOK, "", map[string]any{"results": hits})
}

// count is the number of point features of layer inside the admin unit.
func (a *API) count(loc *spatial.Locator, layer string, unit *layers.Feature) int {
	l, ok := a.c.Layer(layer)
	if !ok {
		return 0
	}
	n := 0
	l.Snapshot().Search(unit.Geometry.Bound(), func(f *layers.Feature) bool {
		if p, ok := f.Geometry.(orb.Point); ok && loc.Within(unit, p) {
			n++
		}
		return true
	})
	return n
}

func pick(best, r int) int {
	if best < 0 || r < best {
		return r
	}
	return best
}

// pointLayers are counted inside a unit by the stats endpoint.
var pointLayers = []string{layers.Hazards, layers.FloodPoints, layers.FireStations, layers.Schools,
	layers.Hospitals, layers.ElderlyCare, layers.Cameras}

func (a *API) stats(w http.ResponseWriter, r *http.Request) error {
	if err := a.needHierarchy(); err != nil {
		return err
	}
	loc, err := a.locators.Get()
	if err != nil {
		return err
	}
	code := r.URL.Query().Get("code")
	var u *layers.Feature
	if code == "" {
		u = a.district()
		if u == nil {
			return NotFound("code", "no district layer")
		}
		code, _ = u.Properties["code"].(string)
	} else if f, ok := loc.Unit(code); ok {
		u = f
	} else {
		return NotFound("code", "no district, street, community or grid with code %q", code)
	}
	b := u.Geometry.Bound()
	out := unit(u)
	out["bbox"] = [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
	hazards := map[string]any{}
	byClass, byLevel := map[string]int{}, map[string]int{}
	flood := map[string]int{"normal": 0, "warning": 0, "alarm": 0}
	fire := map[string]int{"total": 0, "available": 0}
	for _, name := range pointLayers {
		l, ok := a.c.Layer(name)
		if !ok {
			continue
		}
		n := 0
		l.Snapshot().Search(b, func(f *layers.Feature) bool {
			p, ok := f.Geometry.(orb.Point)
			if !ok || !loc.Within(u, p) {
				return true
			}
			n++
			switch name {
			case layers.Hazards:
				if c, ok := f.Properties["class"].(string); ok {
					byClass[c]++
				}
				if lv, ok := f.Properties["risk_level"].(int64); ok {
					byLevel[strconv.FormatInt(lv, 10)]++
				}
			case layers.FloodPoints:
				if s, ok := f.Properties["state"].(string); ok {
					flood[s]++
				}
			case layers.FireStations:
				fire["total"]++
				if av, _ := f.Properties["available"].(bool); av {
					fire["available"]++
				}
			}
			return true
		})
		switch name {
		case layers.Hazards:
			hazards["total"] = n
		case layers.FloodPoints, layers.FireStations:
		default:
			out[name] = n
		}
	}
	hazards["by_class"], hazards["by_level"] = byClass, byLevel
	out["hazards"], out["flood_points"], out["fire_stations"] = hazards, flood, fire
	out["children"] = a.children(loc, code)
	return WriteJSON(w, http.StatusOK, "", out)
}

// children lists the units one level below code, by code.
func (a *API) children(loc *spatial.Locator, code string) []map[string]any {
	kids := []map[string]any{}
	admin := spatial.AdminLayers()
	for _, name := range admin[1:] {
		l, ok := a.c.Layer(name)
		if !ok {
			continue
		}
		l.Snapshot().All(func(f *layers.Feature) bool {
			if f.Properties["parent_code"] == code {
				b := f.Geometry.Bound()
				kids = append(kids, map[string]any{"code": f.Properties["code"], "name": f.Properties["name"],
					"name_en": f.Properties["name_en"], "level": f.Properties["level"], "id": f.ID,
					"residents": f.Properties["residents"], "floating": f.Properties["floating"],
					"hazards": a.count(loc, layers.Hazards, f),
					"bbox":    [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}})
			}
			return true
		})
		if len(kids) > 0 {
			break
		}
	}
	sort.Slice(kids, func(i, j int) bool { return kids[i]["code"].(string) < kids[j]["code"].(string) })
	return kids
}
