package web

import (
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/onemap/onemap/models/dispatch"
	"github.com/onemap/onemap/spatial/network"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Dispatch serves the fire desk: nearest teams, team status, isochrones,
// coverage and road closures, over a dispatch.Desk.
type Dispatch struct {
	desk *dispatch.Desk
	// answers are route and JSON buffers (*answerBuf) for nearest and
	// isochrone answers, reused once a response is written, so that an
	// answer allocates little.
	answers sync.Pool
}

// NewDispatch serves desk.
func NewDispatch(desk *dispatch.Desk) *Dispatch { return &Dispatch{desk: desk} }

// Register adds the dispatch routes; writes need the dispatcher role.
func (a *Dispatch) Register(mux *http.ServeMux, log *slog.Logger, tokens Tokens) {
	mux.Handle("GET /api/dispatch/nearest", Handle(log, a.nearest))
	mux.Handle("PUT /api/units/{id}/status", Handle(log, tokens.Require(Dispatcher, a.status)))
	mux.Handle("GET /api/isochrone", Handle(log, a.isochrone))
	mux.Handle("GET /api/coverage", Handle(log, a.coverage))
	mux.Handle("GET /api/network/closures", Handle(log, a.closures))
	mux.Handle("POST /api/network/closures", Handle(log, tokens.Require(Dispatcher, a.addClosure)))
	mux.Handle("DELETE /api/network/closures/{id}", Handle(log, tokens.Require(Dispatcher, a.removeClosure)))
}

// UnitJSON is one ranked team in a nearest answer.
type UnitJSON struct {
	Rank      int                `json:"rank"`
	ID        int64              `json:"id"`
	Name      string             `json:"name"`
	ETA       float64            `json:"eta_s"`
	DistanceM float64            `json:"distance_m"`
	Route     geojson.LineString `json:"route"`
	Snapped   geojson.Point      `json:"snapped"`
}

// NearestJSON is the answer of GET /api/dispatch/nearest.
type NearestJSON struct {
	Alarm         [2]float64    `json:"alarm"`
	Snapped       geojson.Point `json:"snapped"`
	SnapDistanceM float64       `json:"snap_distance_m"`
	RoadID        int64         `json:"road_id"`
	Metric        string        `json:"metric"`
	K             int           `json:"k"`
	Available     int           `json:"available"`
	Stations      int           `json:"stations"`
	Units         []UnitJSON    `json:"units"`
}

// round1 rounds to one decimal (tenths of a second or metre).
func round1(v float64) float64 { return math.Round(v*10) / 10 }

func (a *Dispatch) nearest(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	pt, err := ParseLonLat(q)
	if err != nil {
		return err
	}
	k, err := ParseInt(q, "k", 0, 1, 100000)
	if err != nil {
		return err
	}
	m, err := network.ParseMetric(q.Get("metric"))
	if err != nil {
		return BadRequest("metric", "want time or distance, got %q", q.Get("metric"))
	}
	routes := true
	if v := q.Get("routes"); v != "" {
		if routes, err = strconv.ParseBool(v); err != nil {
			return BadRequest("routes", "want true or false, got %q", v)
		}
	}
	buf, _ := a.answers.Get().(*answerBuf)
	if buf == nil {
		buf = &answerBuf{}
	}
	defer a.answers.Put(buf) // after the response, which reads it, is written
	ans, err := a.desk.NearestInto(&buf.ans, pt, k, m)
	if err != nil {
		return err
	}
	buf.out = appendNearest(buf.out[:0], pt, ans, k, m, routes)
	err = writeAnswer(w, "application/json", buf.out)
	if cap(buf.out) > maxKeptAnswer {
		buf.out = nil
	}
	return err
}

func pathID(r *http.Request) (int64, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, BadRequest("id", "%q is not an integer id", s)
	}
	return id, nil
}

func (a *Dispatch) status(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var body struct {
		Available *bool `json:"available"`
	}
	if err := DecodeJSON(r, &body); err != nil {
		return err
	}
	if body.Available == nil {
		return BadRequest("available", "required (true or false)")
	}
	if err := a.desk.SetAvailable(r.Context(), id, *body.Available); err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, "", map[string]any{"id": id, "available": *body.Available})
}

func parseMinutes(r *http.Request, max float64) (float64, error) {
	s := r.URL.Query().Get("minutes")
	if s == "" {
		return 5, nil
	}
	m, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(m) || m <= 0 || m > max {
		return 0, BadRequest("minutes", "want a number of minutes in (0, %g], got %q", max, s)
	}
	return m, nil
}

func (a *Dispatch) isochrone(w http.ResponseWriter, r *http.Request) error {
	pt, err := ParseLonLat(r.URL.Query())
	if err != nil {
		return err
	}
	minutes, err := parseMinutes(r, 60)
	if err != nil {
		return err
	}
	iso, err := a.desk.Isochrone(pt, minutes)
	if err != nil {
		return err
	}
	buf, _ := a.answers.Get().(*answerBuf)
	if buf == nil {
		buf = &answerBuf{}
	}
	defer a.answers.Put(buf)
	buf.out = appendIsochrone(buf.out[:0], iso, minutes)
	err = writeAnswer(w, "application/geo+json", buf.out)
	if cap(buf.out) > maxKeptAnswer {
		buf.out = nil
	}
	return err
}

// GridJSON is one grid in a coverage answer; eta_s is null when no station
// reaches it.
type GridJSON struct {
	Code      string   `json:"code"`
	Name      string   `json:"name"`
	Residents int64    `json:"residents"`
	ETA       *float64 `json:"eta_s"`
	Covered   bool     `json:"covered"`
}

// CoverageJSON is the answer of GET /api/coverage.
type CoverageJSON struct {
	Minutes   float64                    `json:"minutes"`
	Stations  int                        `json:"stations"`
	Grids     dispatch.Share             `json:"grids"`
	Residents dispatch.Share             `json:"residents"`
	Buildings dispatch.Share             `json:"buildings"`
	Reached   dispatch.Share             `json:"reached"`
	Worst     []GridJSON                 `json:"worst"`
	Uncovered *geojson.FeatureCollection `json:"uncovered"`
}

func gridJSON(g dispatch.GridService) GridJSON {
	out := GridJSON{Code: g.Code, Name: g.Name, Residents: g.Residents, Covered: g.Covered}
	if !math.IsInf(g.Seconds, 1) {
		s := round1(g.Seconds)
		out.ETA = &s
	}
	return out
}

func (a *Dispatch) coverage(w http.ResponseWriter, r *http.Request) error {
	minutes, err := parseMinutes(r, 30)
	if err != nil {
		return err
	}
	c := a.desk.Coverage(minutes)
	out := CoverageJSON{Minutes: c.Minutes, Stations: c.Stations, Grids: c.Grids, Residents: c.Residents,
		Buildings: c.Buildings, Reached: c.Reached, Worst: make([]GridJSON, 0, len(c.Worst)), Uncovered: geojson.NewFeatureCollection()}
	for _, g := range c.Worst {
		out.Worst = append(out.Worst, gridJSON(g))
	}
	for _, g := range c.Uncovered {
		f := geojson.NewFeature(g.Feature.Geometry)
		f.ID = g.Feature.ID
		gj := gridJSON(g)
		f.Properties = geojson.Properties{"code": gj.Code, "name": gj.Name, "residents": gj.Residents, "eta_s": gj.ETA}
		out.Uncovered.Append(f)
	}
	return WriteJSON(w, http.StatusOK, "", out)
}

// ClosureJSON is one closure as the API shows it.
type ClosureJSON struct {
	ID       int64             `json:"id"`
	RoadID   int64             `json:"road_id,omitempty"`
	Polygon  *geojson.Geometry `json:"polygon,omitempty"`
	Segments int               `json:"segments"`
	Reason   string            `json:"reason,omitempty"`
	Created  time.Time         `json:"created"`
}

func closureJSON(c dispatch.ClosureEntry) ClosureJSON {
	out := ClosureJSON{ID: c.ID, RoadID: c.RoadID, Segments: c.Segments, Reason: c.Reason, Created: c.Created}
	if c.Polygon != nil {
		out.Polygon = geojson.NewGeometry(c.Polygon)
	}
	return out
}

func (a *Dispatch) closures(w http.ResponseWriter, r *http.Request) error {
	cs := a.desk.Closures()
	out := make([]ClosureJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, closureJSON(c))
	}
	return WriteJSON(w, http.StatusOK, "", map[string]any{"closures": out})
}

func (a *Dispatch) addClosure(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		RoadID  *int64          `json:"road_id"`
		Polygon json.RawMessage `json:"polygon"`
		Reason  string          `json:"reason"`
	}
	if err := DecodeJSON(r, &body); err != nil {
		return err
	}
	var c network.Closure
	switch {
	case body.RoadID != nil && body.Polygon != nil:
		return BadRequest("polygon", "give either road_id or polygon, not both")
	case body.RoadID != nil:
		c.RoadID = *body.RoadID
	case body.Polygon != nil:
		g, err := geojson.UnmarshalGeometry(body.Polygon)
		if err != nil {
			return BadRequest("polygon", "not a GeoJSON geometry: %v", err)
		}
		switch p := g.Geometry().(type) {
		case orb.Polygon:
			if len(p) == 0 || len(p[0]) < 4 || p[0][0] != p[0][len(p[0])-1] {
				return BadRequest("polygon", "the outer ring needs at least 4 positions, first equal to last")
			}
			c.Polygon = p
		case orb.MultiPolygon:
			c.Polygon = p
		default:
			return BadRequest("polygon", "is a %s, want a Polygon or MultiPolygon", g.Geometry().GeoJSONType())
		}
	default:
		return BadRequest("road_id", "give road_id or polygon")
	}
	e, err := a.desk.AddClosure(r.Context(), c, body.Reason)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusCreated, "", closureJSON(e))
}

func (a *Dispatch) removeClosure(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := a.desk.RemoveClosure(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
