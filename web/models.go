package web

import (
	"log/slog"
	"net/http"

	"github.com/onemap/onemap/models/demand"
	"github.com/onemap/onemap/models/planning"
)

// Models serves the resource models of a planning.Planner:
//
//	POST /api/models/access   floating-catchment accessibility (2SFCA, E2SFCA, 3SFCA, gravity)
//	POST /api/models/siting   p-median, capacitated p-median, MCLP, LSCP, p-center
//	GET  /api/models/demand   demand by standard vs supply (?resource=&level=&scenario=&ratio=&format=geojson)
//	POST /api/models/layer    put the resource_access map layer (planner; ?resource=&scenario=&method=)
//
// The access and siting forms take either a cost matrix (rows demand points/clients,
// columns supply points/candidate sites) with value arrays in the same
// order, or layer names from which the points, values and costs (road
// minutes, or straight-line minutes) are computed; they only compute.
// Demand scenarios are created, listed and compared through the generic
// /api/scenarios routes (model "demand").
//
// Examples:
//
//	POST /api/models/access
//	{"method":"e2sfca","costs":[[5,15],[25,8]],"demand":[100,200],"supply":[10,20],
//	 "weight":{"type":"step","steps":[[10,1],[20,0.68],[30,0.22]]}}
//	→ {"scores":[…],"reachable":[…],"ratios":[…],"reached_supply":30,…}
//
//	POST /api/models/access
//	{"demand_layer":"grids","demand_field":"residents","supply_layer":"hospitals",
//	 "supply_field":"beds","method":"2sfca","max_cost":15,"format":"geojson"}
//	{"resource":"elderly_care","method":"3sfca","scenario":"sc_…"}
//
//	POST /api/models/siting
//	{"model":"p-median","p":4,"costs":[[…]],"weights":[…],"required":[2],"existing":[7]}
//	→ {"chosen":[…],"objective":…,"lower_bound":…,"optimal":true,"assignment":[…],"seconds":…}
//	{"model":"mclp","p":3,"radius":10,"resource":"hospital_beds"}   (suggest 3 sites)
//
// Weights: {"type":"step","steps":[[cost,weight],…]}, {"type":"gravity",
// "scale":1,"alpha":-1,"min_cost":1}, {"type":"gaussian","sigma":…}.
// Costs in the layer form are minutes: "cost":"network" (default when a
// road network is loaded) or "line" at "speed_kmh".
type Models struct {
	planner *planning.Planner
}

// NewModels serves p.
func NewModels(p *planning.Planner) *Models { return &Models{planner: p} }

// Register adds the model routes to mux; putting the map layer needs the
// planner role, the rest only compute.
func (m *Models) Register(mux *http.ServeMux, log *slog.Logger, tokens Tokens) {
	mux.Handle("POST /api/models/access", Handle(log, m.access))
	mux.Handle("POST /api/models/siting", Handle(log, m.siting))
	mux.Handle("GET /api/models/demand", Handle(log, m.demand))
	mux.Handle("POST /api/models/layer", Handle(log, tokens.Require(Planner, m.layer)))
}

// layer serves POST /api/models/layer?resource=&scenario=&method=: it puts
// the resource_access layer into the catalog (planner role).
func (m *Models) layer(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	n, err := m.planner.PutLayer(r.Context(), q.Get("resource"), q.Get("scenario"), q.Get("method"))
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, "", map[string]any{"layer": demand.LayerName, "features": n,
		"resource": q.Get("resource"), "scenario": q.Get("scenario")})
}

func (m *Models) access(w http.ResponseWriter, r *http.Request) error {
	var req planning.AccessRequest
	if err := DecodeJSON(r, &req); err != nil {
		return err
	}
	resp, fc, err := m.planner.Access(r.Context(), req)
	if err != nil {
		return err
	}
	if fc != nil {
		return WriteJSON(w, http.StatusOK, "application/geo+json", fc)
	}
	return WriteJSON(w, http.StatusOK, "", resp)
}

func (m *Models) siting(w http.ResponseWriter, r *http.Request) error {
	var req planning.SitingRequest
	if err := DecodeJSON(r, &req); err != nil {
		return err
	}
	resp, err := m.planner.Siting(r.Context(), req)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, "", resp)
}

// demand serves GET /api/models/demand.
func (m *Models) demand(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "json" && format != "geojson" {
		return BadRequest("format", "unknown format %q (json, geojson)", format)
	}
	t, err := m.planner.Demand(r.Context(), planning.DemandQuery{Resource: q.Get("resource"), Level: q.Get("level"),
		Scenario: q.Get("scenario"), Ratio: q.Get("ratio")})
	if err != nil {
		return err
	}
	if format != "geojson" {
		return WriteJSON(w, http.StatusOK, "", t)
	}
	return WriteJSON(w, http.StatusOK, "application/geo+json", m.planner.ShortageMap(t))
}
