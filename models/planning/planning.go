// Package planning builds the resource models' problems from the live
// catalog — demand and supply points from layers, cost matrices on the
// road network or by straight line, accessibility and siting problems —
// solves them, and publishes the derived resource_access layer. The web
// handlers and the command line call it alike; bad input is a
// *field.Error naming the request field.
package planning

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/access"
	"github.com/onemap/onemap/models/demand"
	"github.com/onemap/onemap/models/field"
	"github.com/onemap/onemap/models/scenario"
	"github.com/onemap/onemap/models/siting"
	"github.com/onemap/onemap/spatial/network"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
	"gonum.org/v1/gonum/mat"
)

// Planner answers the planners' resource questions over the live layers.
type Planner struct {
	cfg Config

	mu    sync.Mutex
	shown *layerArgs // what the resource_access layer shows, once put
}

// layerArgs are the arguments of the last PutLayer.
type layerArgs struct{ resource, scenario, method string }

// inputLayers are the layers the demand inputs and supply points come from.
var inputLayers = []string{layers.Grids, layers.Communities, layers.Streets, layers.ElderlyCare, layers.Hospitals, demand.ParkingLayer}

// Follow recomputes the resource_access layer, once put, whenever one of
// its input layers changes, until ctx ends: it is a derived layer.
func (m *Planner) Follow(ctx context.Context) {
	f := m.cfg.Catalog.Follow(inputLayers, func([]layers.Event) {
		m.mu.Lock()
		a := m.shown
		m.mu.Unlock()
		if a == nil {
			return
		}
		if _, err := m.PutLayer(ctx, a.resource, a.scenario, a.method); err != nil && ctx.Err() == nil && m.cfg.Log != nil {
			m.cfg.Log.Error("planning: recomputing resource_access (it keeps its last content)", "err", err)
		}
	})
	context.AfterFunc(ctx, f.Stop)
}

// Config is what the models read.
type Config struct {
	// Catalog holds the live layers (grids, facilities, units).
	Catalog *layers.Catalog
	// District supplies the non-spatial tables (population groups).
	District *data.District
	// Graph returns the current road network, or nil: costs are then
	// straight-line minutes at SpeedKmh.
	Graph func() *network.Graph
	// Scenarios, when set, gets the demand model added (as demand.Name).
	Scenarios *scenario.Service
	// Standards are the baseline planning ratios (DefaultStandards when zero).
	Standards demand.Standards
	// SpeedKmh turns straight-line metres into minutes (access.DefaultKmh when 0).
	SpeedKmh float64
	// Log, when set, hears of failed recomputations of the derived layer.
	Log *slog.Logger
}

// New returns a planner over cfg, registering the demand scenario model
// with cfg.Scenarios.
func New(cfg Config) *Planner {
	if cfg.Standards == (demand.Standards{}) {
		cfg.Standards = demand.DefaultStandards()
	}
	if cfg.SpeedKmh <= 0 {
		cfg.SpeedKmh = access.DefaultKmh
	}
	m := &Planner{cfg: cfg}
	if cfg.Scenarios != nil {
		if cfg.Scenarios.Models == nil {
			cfg.Scenarios.Models = map[string]scenario.Model{}
		}
		cfg.Scenarios.Models[demand.Name] = demand.Scenarios{Baseline: m.inputs, Standards: cfg.Standards}
	}
	return m
}

// PutLayer puts the resource_access layer for a resource (elderly_care,
// hospital_beds, …) under a demand scenario ("" for the baseline) into the
// catalog: each grid's demand, supply and gap by standard and its
// accessibility score by method ("e2sfca" with the Luo & Qi steps when
// empty), on road minutes when a network is loaded. It returns the
// features put; the lead may call it at start-up so the page has the layer.
func (m *Planner) PutLayer(ctx context.Context, resource, scenarioID, method string) (int, error) {
	r, err := demand.ParseResource(resource)
	if err != nil {
		return 0, field.Errorf("resource", "%v", err)
	}
	if method == "" {
		method = string(access.Enhanced)
	}
	in, st, err := m.scenarioInputs(ctx, scenarioID)
	if err != nil {
		return 0, err
	}
	t, err := demand.Compute(in, r, st, demand.GridLevel)
	if err != nil {
		return 0, err
	}
	var scores []float64
	var reach []bool
	if dem, sup, err := m.resourcePoints(ctx, resource, scenarioID); err == nil {
		costs, _, _, err := m.costs(LayerForm{}, dem.pts, sup.pts)
		if err != nil {
			return 0, err
		}
		opt := access.Options{Method: access.Method(method)}
		if opt.Method == access.TwoStep {
			opt.MaxCost = 15
		}
		res, err := access.Compute(dem.values, sup.values, costs, opt)
		if err != nil {
			return 0, err // a *field.Error becomes a 400 in writeError
		}
		scores, reach = res.Scores, res.Reachable
	} else if fe := (*field.Error)(nil); !errors.As(err, &fe) {
		return 0, err
	}
	l, ok := m.cfg.Catalog.Layer(layers.Grids)
	if !ok {
		return 0, field.Unusablef("resource", "the catalog has no %s layer", layers.Grids)
	}
	var grids []layers.Feature
	l.Snapshot().All(func(f *layers.Feature) bool {
		grids = append(grids, *f)
		return true
	})
	name := scenarioID
	if name == "" {
		name = scenario.Baseline
	}
	fs := demand.LayerFeatures(in, t, scores, reach, method, name, grids)
	if _, err := m.cfg.Catalog.Put(demand.LayerSchema(m.cfg.District != nil && m.cfg.District.Synthetic), fs); err != nil {
		return 0, err
	}
	m.mu.Lock()
	m.shown = &layerArgs{resource, scenarioID, method}
	m.mu.Unlock()
	return len(fs), nil
}

// inputs builds the demand model's inputs from the live layers and the
// district's group table.
func (m *Planner) inputs(ctx context.Context) (*demand.Inputs, error) {
	feats := map[string][]layers.Feature{}
	for _, name := range inputLayers {
		l, ok := m.cfg.Catalog.Layer(name)
		if !ok {
			continue
		}
		snap := l.Snapshot()
		fs := make([]layers.Feature, 0, snap.Len())
		snap.All(func(f *layers.Feature) bool {
			fs = append(fs, *f)
			return true
		})
		feats[name] = fs
	}
	var groups []data.GroupRow
	if m.cfg.District != nil {
		groups = m.cfg.District.Groups
	}
	in, err := demand.Build(feats, groups)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	return in, ctx.Err()
}

// WeightSpec is the JSON form of a distance-decay weight.
type WeightSpec struct {
	Type    string      `json:"type"`
	Steps   [][]float64 `json:"steps,omitempty"`
	Scale   *float64    `json:"scale,omitempty"`
	Alpha   *float64    `json:"alpha,omitempty"`
	Sigma   *float64    `json:"sigma,omitempty"`
	MinCost float64     `json:"min_cost,omitempty"`
}

func (ws *WeightSpec) weight() (access.Weight, error) {
	if ws == nil {
		return nil, nil
	}
	switch ws.Type {
	case "step":
		if len(ws.Steps) == 0 {
			return nil, field.Errorf("weight.steps", "give [[cost, weight], …]")
		}
		bs := make([]access.Break, len(ws.Steps))
		for i, s := range ws.Steps {
			if len(s) != 2 {
				return nil, field.Errorf(fmt.Sprintf("weight.steps[%d]", i), "want [cost, weight], got %d numbers", len(s))
			}
			bs[i] = access.Break{Upto: s[0], Weight: s[1]}
		}
		st, err := access.NewStep(bs)
		if err != nil {
			return nil, field.Errorf("weight.steps", "%v", err)
		}
		return st, nil
	case "gravity":
		scale, alpha := 1.0, -1.0
		if ws.Scale != nil {
			scale = *ws.Scale
		}
		if ws.Alpha != nil {
			alpha = *ws.Alpha
		}
		g, err := access.NewGravity(scale, alpha, ws.MinCost)
		if err != nil {
			return nil, field.Errorf("weight", "%v", err)
		}
		return g, nil
	case "gaussian":
		if ws.Sigma == nil {
			return nil, field.Errorf("weight.sigma", "required for a gaussian weight")
		}
		g, err := access.NewGaussian(*ws.Sigma)
		if err != nil {
			return nil, field.Errorf("weight.sigma", "%v", err)
		}
		return g, nil
	}
	return nil, field.Errorf("weight.type", "unknown weight %q (step, gravity, gaussian)", ws.Type)
}

// LayerForm names the layers a request may use instead of a matrix.
type LayerForm struct {
	DemandLayer string `json:"demand_layer,omitempty"`
	DemandField string `json:"demand_field,omitempty"`
	SupplyLayer string `json:"supply_layer,omitempty"`
	SupplyField string `json:"supply_field,omitempty"`
	// Resource takes the demand by standard per grid and the resource's
	// supply layer (elderly_care, hospital_beds, parking).
	Resource string `json:"resource,omitempty"`
	// Cost is "network" (road minutes; the default when a network is
	// loaded) or "line" (straight-line minutes at speed_kmh).
	Cost     string  `json:"cost,omitempty"`
	SpeedKmh float64 `json:"speed_kmh,omitempty"`
	// Scenario applies a demand scenario (planned facilities, ratios,
	// population) to the resource form.
	Scenario string `json:"scenario,omitempty"`
}

func (f LayerForm) used() bool {
	return f.Scenario != "" || f.DemandLayer != "" || f.SupplyLayer != "" || f.Resource != "" || f.DemandField != "" || f.SupplyField != ""
}

// points are one side of a layer-form problem.
type points struct {
	layer  string
	ids    []int64
	pts    []orb.Point
	values []float64
	geoms  []orb.Geometry
	props  []map[string]any
}

// readPoints reads a layer's features as points (polygon centroids) with a
// numeric field's values (1 each when field is empty).
func (m *Planner) readPoints(layerField, name, fieldField, fieldName string) (points, error) {
	l, ok := m.cfg.Catalog.Layer(name)
	if !ok {
		return points{}, field.Missingf(layerField, "no layer %q", name)
	}
	if fieldName != "" {
		fd, ok := l.Schema.Field(fieldName)
		if !ok {
			return points{}, field.Errorf(fieldField, "layer %s has no field %q", name, fieldName)
		}
		if fd.Type != layers.Int && fd.Type != layers.Float {
			return points{}, field.Errorf(fieldField, "field %s.%s is %s, not a number", name, fieldName, fd.Type)
		}
	}
	p := points{layer: name}
	var err error
	l.Snapshot().All(func(f *layers.Feature) bool {
		v := 1.0
		if fieldName != "" {
			switch x := f.Properties[fieldName].(type) {
			case int64:
				v = float64(x)
			case float64:
				v = x
			default:
				v = 0
			}
		}
		if !(v >= 0) || math.IsInf(v, 0) {
			err = field.Errorf(fieldField, "feature %d of %s has %s = %v; values must be finite and ≥ 0", f.ID, name, fieldName, v)
			return false
		}
		pt, ok := f.Geometry.(orb.Point)
		if !ok && f.Geometry != nil {
			pt, _ = planar.CentroidArea(f.Geometry)
		}
		p.ids = append(p.ids, f.ID)
		p.pts = append(p.pts, pt)
		p.values = append(p.values, v)
		p.geoms = append(p.geoms, f.Geometry)
		p.props = append(p.props, f.Properties)
		return true
	})
	if err != nil {
		return points{}, err
	}
	if len(p.ids) == 0 {
		return points{}, field.Unusablef(layerField, "layer %q is empty", name)
	}
	return p, nil
}

// scenarioInputs returns the demand inputs and standards, with the demand
// scenario id applied (none for "" or "baseline").
func (m *Planner) scenarioInputs(ctx context.Context, id string) (*demand.Inputs, demand.Standards, error) {
	st := m.cfg.Standards
	in, err := m.inputs(ctx)
	if err != nil || id == "" || id == scenario.Baseline {
		return in, st, err
	}
	if m.cfg.Scenarios == nil {
		return nil, st, field.Missingf("scenario", "scenarios are not served here")
	}
	sc, err := m.cfg.Scenarios.Get(ctx, demand.Name, id)
	if errors.Is(err, scenario.ErrNotFound) {
		return nil, st, field.Missingf("scenario", "%v", err)
	}
	if err != nil {
		return nil, st, err
	}
	in, st, err = demand.Apply(in, st, sc.Changes)
	if err != nil {
		var fe *scenario.FieldError
		if errors.As(err, &fe) {
			return nil, st, field.Unusablef("scenario", "stored scenario no longer applies: %v", fe)
		}
		return nil, st, err
	}
	return in, st, nil
}

// resourcePoints gives the demand-by-standard grid points and the
// resource's facilities (planned ones of the scenario included) as supply.
func (m *Planner) resourcePoints(ctx context.Context, res, scenarioID string) (points, points, error) {
	r, err := demand.ParseResource(res)
	if err != nil {
		return points{}, points{}, field.Errorf("resource", "%v", err)
	}
	layer, _ := demand.Layer(r)
	in, st, err := m.scenarioInputs(ctx, scenarioID)
	if err != nil {
		return points{}, points{}, err
	}
	pts, vals := demand.DemandPoints(in, r, st)
	d := points{layer: layers.Grids, pts: pts, values: vals}
	byCode := map[string]*layers.Feature{}
	if l, ok := m.cfg.Catalog.Layer(layers.Grids); ok {
		l.Snapshot().All(func(f *layers.Feature) bool {
			if c, ok := f.Properties["code"].(string); ok {
				byCode[c] = f
			}
			return true
		})
	}
	for _, g := range in.Grids {
		if f := byCode[g.Code]; f != nil {
			d.ids, d.geoms, d.props = append(d.ids, f.ID), append(d.geoms, f.Geometry), append(d.props, f.Properties)
		} else {
			d.ids, d.geoms, d.props = append(d.ids, 0), append(d.geoms, g.Point), append(d.props, map[string]any{"code": g.Code})
		}
	}
	fs := in.Facilities[r]
	if r == demand.Jobs {
		// Jobs sit in the grids: each grid with jobs is a supply point.
		layer = layers.Grids
		fs = nil
		for _, g := range in.Grids {
			if g.Jobs > 0 {
				fs = append(fs, demand.Facility{Name: g.Code, Grid: g.Code, Point: g.Point, Capacity: g.Jobs})
			}
		}
	}
	if len(fs) == 0 {
		return points{}, points{}, field.Unusablef("resource", "no %s facilities (layer %q)", r, layer)
	}
	sp := points{layer: layer}
	for _, f := range fs {
		sp.ids = append(sp.ids, f.ID)
		sp.pts = append(sp.pts, f.Point)
		sp.values = append(sp.values, f.Capacity)
		sp.geoms = append(sp.geoms, f.Point)
		sp.props = append(sp.props, map[string]any{"name": f.Name, "planned": f.Planned})
	}
	return d, sp, nil
}

// costs computes the matrix between two point sets.
func (m *Planner) costs(f LayerForm, from, to []orb.Point) (*mat.Dense, string, int, error) {
	kmh := f.SpeedKmh
	if kmh < 0 || math.IsNaN(kmh) || math.IsInf(kmh, 0) {
		return nil, "", 0, field.Errorf("speed_kmh", "must be finite and > 0")
	}
	if kmh == 0 {
		kmh = m.cfg.SpeedKmh
	}
	var g *network.Graph
	if m.cfg.Graph != nil {
		g = m.cfg.Graph()
	}
	switch f.Cost {
	case "", "network":
		if g != nil {
			c, unsnapped := access.NetworkMinutes(g, from, to, kmh, 0)
			return c, "network", unsnapped, nil
		}
		if f.Cost == "network" {
			return nil, "", 0, field.Unusablef("cost", "no road network is loaded; use \"line\"")
		}
		return access.LineMinutes(from, to, kmh), "line", 0, nil
	case "line":
		return access.LineMinutes(from, to, kmh), "line", 0, nil
	}
	return nil, "", 0, field.Errorf("cost", "unknown cost %q (network, line)", f.Cost)
}

// matrix checks a JSON cost matrix: rows × cols, no missing pair.
func matrix(rows [][]*float64, nRows, nCols int, rowsField, colsField string) (*mat.Dense, error) {
	if len(rows) == 0 {
		return nil, field.Errorf("costs", "required: a matrix with a row per %s and a column per %s (or layer names)", rowsField, colsField)
	}
	if nRows >= 0 && len(rows) != nRows {
		return nil, field.Errorf("costs", "%d rows but %d %s values", len(rows), nRows, rowsField)
	}
	cols := len(rows[0])
	if nCols >= 0 {
		cols = nCols
	}
	if cols == 0 {
		return nil, field.Errorf("costs[0]", "empty row")
	}
	out := mat.NewDense(len(rows), cols, nil)
	for i, r := range rows {
		if len(r) != cols {
			return nil, field.Errorf(fmt.Sprintf("costs[%d]", i), "row has %d costs, want %d (one per %s): missing pairs are not allowed", len(r), cols, colsField)
		}
		row := out.RawRowView(i)
		for j, v := range r {
			if v == nil {
				return nil, field.Errorf(fmt.Sprintf("costs[%d][%d]", i, j), "missing pair: every cost must be given")
			}
			if !(*v >= 0) || math.IsInf(*v, 0) {
				return nil, field.Errorf(fmt.Sprintf("costs[%d][%d]", i, j), "cost %v must be finite and ≥ 0", *v)
			}
			row[j] = *v
		}
	}
	return out, nil
}

type AccessRequest struct {
	Method  string       `json:"method"`
	Costs   [][]*float64 `json:"costs,omitempty"`
	Demand  []float64    `json:"demand,omitempty"`
	Weights []float64    `json:"weights,omitempty"`
	Supply  []float64    `json:"supply,omitempty"`
	Weight  *WeightSpec  `json:"weight,omitempty"`
	MaxCost float64      `json:"max_cost,omitempty"`
	Format  string       `json:"format,omitempty"`
	LayerForm
}

type AccessResponse struct {
	Method        string    `json:"method"`
	Scores        []float64 `json:"scores"`
	Reachable     []bool    `json:"reachable"`
	Unreachable   int       `json:"unreachable"`
	Ratios        []float64 `json:"ratios"`
	ReachedSupply float64   `json:"reached_supply"`
	CostSource    string    `json:"cost_source"`
	Unsnapped     int       `json:"unsnapped,omitempty"`
	DemandLayer   string    `json:"demand_layer,omitempty"`
	DemandIDs     []int64   `json:"demand_ids,omitempty"`
	SupplyLayer   string    `json:"supply_layer,omitempty"`
	SupplyIDs     []int64   `json:"supply_ids,omitempty"`
	Seconds       float64   `json:"seconds"`
}

// Access computes floating-catchment accessibility for req: from its
// matrix, or from the layers it names. With format "geojson" the answer is
// the demand points' features with their scores instead.
func (m *Planner) Access(ctx context.Context, req AccessRequest) (*AccessResponse, *geojson.FeatureCollection, error) {
	start := time.Now()
	if req.Method == "" {
		req.Method = string(access.TwoStep)
	}
	wt, err := req.Weight.weight()
	if err != nil {
		return nil, nil, err
	}
	if req.Format != "" && req.Format != "json" && req.Format != "geojson" {
		return nil, nil, field.Errorf("format", "unknown format %q (json, geojson)", req.Format)
	}
	resp := AccessResponse{Method: req.Method, CostSource: "matrix"}
	var dem, sup points
	var costs *mat.Dense
	demandVals := req.Demand
	if req.Weights != nil {
		if req.Demand != nil {
			return nil, nil, field.Errorf("weights", "give demand or weights, not both")
		}
		demandVals = req.Weights
	}
	if req.LayerForm.used() {
		if req.Costs != nil || demandVals != nil || req.Supply != nil {
			return nil, nil, field.Errorf("costs", "give either a matrix with demand and supply, or layer names, not both")
		}
		if req.Scenario != "" && req.Resource == "" {
			return nil, nil, field.Errorf("scenario", "a demand scenario applies to the resource form: give resource")
		}
		if req.Resource != "" {
			dem, sup, err = m.resourcePoints(ctx, req.Resource, req.Scenario)
		} else {
			if req.DemandLayer == "" {
				return nil, nil, field.Errorf("demand_layer", "required with supply_layer")
			}
			if req.SupplyLayer == "" {
				return nil, nil, field.Errorf("supply_layer", "required with demand_layer")
			}
			dem, err = m.readPoints("demand_layer", req.DemandLayer, "demand_field", req.DemandField)
			if err == nil {
				sup, err = m.readPoints("supply_layer", req.SupplyLayer, "supply_field", req.SupplyField)
			}
		}
		if err != nil {
			return nil, nil, err
		}
		costs, resp.CostSource, resp.Unsnapped, err = m.costs(req.LayerForm, dem.pts, sup.pts)
		if err != nil {
			return nil, nil, err
		}
		demandVals = dem.values
		req.Supply = sup.values
		resp.DemandLayer, resp.DemandIDs, resp.SupplyLayer, resp.SupplyIDs = dem.layer, dem.ids, sup.layer, sup.ids
	} else {
		if demandVals == nil {
			return nil, nil, field.Errorf("demand", "required (one value per cost row), or give layer names")
		}
		if req.Supply == nil {
			return nil, nil, field.Errorf("supply", "required (one value per cost column), or give layer names")
		}
		costs, err = matrix(req.Costs, len(demandVals), len(req.Supply), "demand point", "supply point")
		if err != nil {
			return nil, nil, err
		}
	}
	res, err := access.Compute(demandVals, req.Supply, costs, access.Options{Method: access.Method(req.Method), Weight: wt, MaxCost: req.MaxCost})
	if err != nil {
		var ae *access.Error
		if req.Weights != nil && errors.As(err, &ae) && strings.HasPrefix(ae.Field, "demand") {
			ae.Field = "weights" + strings.TrimPrefix(ae.Field, "demand")
		}
		return nil, nil, err
	}
	resp.Scores, resp.Reachable, resp.Ratios, resp.ReachedSupply = res.Scores, res.Reachable, res.Ratios, res.ReachedSupply
	for _, ok := range res.Reachable {
		if !ok {
			resp.Unreachable++
		}
	}
	resp.Seconds = time.Since(start).Seconds()
	if req.Format == "geojson" {
		if dem.geoms == nil {
			return nil, nil, field.Errorf("format", "geojson needs the layer form (demand points with geometries)")
		}
		fc := geojson.NewFeatureCollection()
		for i, g := range dem.geoms {
			f := geojson.NewFeature(g)
			f.ID = dem.ids[i]
			f.Properties = geojson.Properties{"demand": demandVals[i], "score": res.Scores[i], "reachable": res.Reachable[i]}
			if c, ok := dem.props[i]["code"]; ok {
				f.Properties["code"] = c
			}
			if n, ok := dem.props[i]["name"]; ok {
				f.Properties["name"] = n
			}
			fc.Append(f)
		}
		fc.ExtraMembers = geojson.Properties{"method": req.Method, "cost_source": resp.CostSource, "reached_supply": res.ReachedSupply, "seconds": resp.Seconds}
		return &resp, fc, nil
	}
	return &resp, nil, nil
}

// maxSitingPairs bounds a siting request's matrix: the solver keeps a few
// copies of it (about 30 bytes a pair), so 6 million pairs is ~180 MB.
const maxSitingPairs = 6_000_000

type SitingRequest struct {
	Model    string       `json:"model"`
	P        int          `json:"p"`
	Costs    [][]*float64 `json:"costs,omitempty"`
	Weights  []float64    `json:"weights,omitempty"`
	Demand   []float64    `json:"demand,omitempty"`
	Required []int        `json:"required,omitempty"`
	Existing []int        `json:"existing,omitempty"`
	Radius   *float64     `json:"radius,omitempty"`
	Capacity []float64    `json:"capacity,omitempty"`
	// Supply is accepted as the candidates' capacities (one per column).
	Supply []float64 `json:"supply,omitempty"`
	// SiteCapacity gives every candidate of the layer form one capacity
	// (a standard facility size) for the capacitated p-median.
	SiteCapacity float64 `json:"site_capacity,omitempty"`
	TimeLimit    float64 `json:"time_limit_s,omitempty"`
	// Layer form: candidates are supply_layer's features (capacity from
	// supply_field); existing_layer's features are appended as existing
	// columns.
	ExistingLayer string `json:"existing_layer,omitempty"`
	LayerForm
}

// Site is a chosen column described for the page.
type Site struct {
	Column   int       `json:"column"`
	Layer    string    `json:"layer,omitempty"`
	ID       int64     `json:"id,omitempty"`
	Name     string    `json:"name,omitempty"`
	Point    orb.Point `json:"point,omitempty"`
	Existing bool      `json:"existing,omitempty"`
	Clients  int       `json:"clients"`
	Demand   float64   `json:"demand"`
}

type SitingResponse struct {
	Model     string  `json:"model"`
	Chosen    []int   `json:"chosen"`
	Objective float64 `json:"objective"`
	// LowerBound bounds the optimum from below; for MCLP, a maximisation,
	// it is the objective found and UpperBound is the proven bound.
	LowerBound *float64 `json:"lower_bound,omitempty"`
	UpperBound *float64 `json:"upper_bound,omitempty"`
	Optimal    bool     `json:"optimal"`
	Assignment []int    `json:"assignment"`
	Covered    []bool   `json:"covered,omitempty"`
	Seconds    float64  `json:"seconds"`
	CostSource string   `json:"cost_source"`
	Unsnapped  int      `json:"unsnapped,omitempty"`
	Sites      []Site   `json:"sites,omitempty"`
	DemandIDs  []int64  `json:"demand_ids,omitempty"`
}

// Siting solves the location model req names (p-median, capacitated
// p-median, MCLP, LSCP, p-center) on its matrix or on the layers it names,
// and describes every open site with what it serves.
func (m *Planner) Siting(ctx context.Context, req SitingRequest) (*SitingResponse, error) {
	if req.Model == "" {
		req.Model = string(siting.PMedian)
	}
	model := siting.Model(req.Model)
	known := false
	for _, x := range siting.Models() {
		known = known || x == model
	}
	if !known {
		return nil, field.Errorf("model", "unknown model %q (p-median, capacitated-p-median, mclp, lscp, p-center)", req.Model)
	}
	limit := 10 * time.Second
	if req.TimeLimit != 0 {
		if !(req.TimeLimit > 0) || req.TimeLimit > 60 {
			return nil, field.Errorf("time_limit_s", "must be in (0, 60]")
		}
		limit = time.Duration(req.TimeLimit * float64(time.Second))
	}
	pr := siting.Problem{P: req.P, Required: req.Required, Existing: req.Existing, Capacity: req.Capacity}
	if req.Radius != nil {
		pr.Radius = *req.Radius
	}
	if (model == siting.MCLP || model == siting.LSCP) && req.Radius == nil {
		return nil, field.Errorf("radius", "required for %s", model)
	}
	resp := SitingResponse{Model: req.Model, CostSource: "matrix"}
	weights := req.Weights
	if req.Demand != nil {
		if weights != nil {
			return nil, field.Errorf("demand", "give demand or weights, not both")
		}
		weights = req.Demand
	}
	var cand points
	var existing *points // existing sites appended as columns
	var layerOf []string // per column, in the layer form
	var nCand int
	if req.LayerForm.used() || req.ExistingLayer != "" {
		if req.Costs != nil || weights != nil || req.Supply != nil {
			return nil, field.Errorf("costs", "give either a matrix with weights, or layer names, not both")
		}
		var dem points
		var err error
		if req.Scenario != "" && req.Resource == "" {
			return nil, field.Errorf("scenario", "a demand scenario applies to the resource form: give resource")
		}
		if req.Resource != "" {
			// Demand by standard per grid; candidates every grid centroid
			// (or supply_layer); the resource's facilities as existing sites.
			var have points
			dem, have, err = m.resourcePoints(ctx, req.Resource, req.Scenario)
			if err != nil {
				return nil, err
			}
			if req.SupplyLayer == "" {
				cand = points{layer: dem.layer, ids: dem.ids, pts: dem.pts, values: make([]float64, len(dem.pts)), props: dem.props}
			} else {
				cand, err = m.readPoints("supply_layer", req.SupplyLayer, "supply_field", req.SupplyField)
			}
			if req.ExistingLayer == "" && len(req.Existing) == 0 {
				existing = &have
			}
		} else {
			if req.DemandLayer == "" {
				return nil, field.Errorf("demand_layer", "required in the layer form")
			}
			if req.SupplyLayer == "" {
				return nil, field.Errorf("supply_layer", "required in the layer form (the candidate sites)")
			}
			dem, err = m.readPoints("demand_layer", req.DemandLayer, "demand_field", req.DemandField)
			if err == nil {
				cand, err = m.readPoints("supply_layer", req.SupplyLayer, "supply_field", req.SupplyField)
			}
		}
		if err != nil {
			return nil, err
		}
		nCand = len(cand.ids)
		cols := cand.pts
		layerOf = make([]string, nCand)
		for j := range layerOf {
			layerOf[j] = cand.layer
		}
		if req.ExistingLayer != "" {
			if len(req.Existing) > 0 {
				return nil, field.Errorf("existing", "give existing columns or existing_layer, not both")
			}
			ex, err := m.readPoints("existing_layer", req.ExistingLayer, "supply_field", "")
			if err != nil {
				return nil, err
			}
			existing = &ex
		}
		if existing != nil {
			ex := *existing
			cols = append(append([]orb.Point(nil), cols...), ex.pts...)
			for k := range ex.ids {
				pr.Existing = append(pr.Existing, nCand+k)
			}
			cand.ids = append(append([]int64(nil), cand.ids...), ex.ids...)
			cand.props = append(append([]map[string]any(nil), cand.props...), ex.props...)
			for range ex.ids {
				layerOf = append(layerOf, ex.layer)
			}
		}
		cand.pts = cols
		costs, src, unsnapped, err := m.costs(req.LayerForm, dem.pts, cols)
		if err != nil {
			return nil, err
		}
		pr.Costs, pr.Weights = costs, dem.values
		resp.CostSource, resp.Unsnapped, resp.DemandIDs = src, unsnapped, dem.ids
		if model == siting.CapacitatedPMedian && pr.Capacity == nil {
			// Candidates hold supply_field; the resource's own facilities
			// hold their capacity; other existing sites are not limited.
			pr.Capacity = append([]float64(nil), cand.values[:nCand]...)
			if req.SiteCapacity != 0 {
				if !(req.SiteCapacity > 0) || math.IsInf(req.SiteCapacity, 0) {
					return nil, field.Errorf("site_capacity", "must be finite and > 0")
				}
				for j := range pr.Capacity {
					pr.Capacity[j] = req.SiteCapacity
				}
			}
			total := 0.0
			for _, x := range dem.values {
				total += x
			}
			for k := nCand; k < len(cols); k++ {
				c := total
				if existing != nil && req.ExistingLayer == "" {
					c = existing.values[k-nCand]
				}
				pr.Capacity = append(pr.Capacity, c)
			}
		}
	} else {
		var err error
		pr.Costs, err = matrix(req.Costs, -1, -1, "client", "candidate site")
		if err != nil {
			return nil, err
		}
		if req.Supply != nil {
			if req.Capacity != nil {
				return nil, field.Errorf("supply", "give capacity or supply, not both")
			}
			if _, cols := pr.Costs.Dims(); len(req.Supply) != cols {
				return nil, field.Errorf("supply", "%d values for %d candidate columns", len(req.Supply), cols)
			}
			for j, x := range req.Supply {
				if !(x >= 0) || math.IsInf(x, 0) {
					return nil, field.Errorf(fmt.Sprintf("supply[%d]", j), "capacity %v must be finite and ≥ 0", x)
				}
			}
			pr.Capacity = req.Supply
		}
		if weights != nil {
			pr.Weights = weights
		}
	}
	if rows, cols := pr.Costs.Dims(); rows*cols > maxSitingPairs {
		return nil, field.Unusablef("costs", "%d×%d pairs exceed the %d a request may solve; use fewer candidate sites", rows, cols, maxSitingPairs)
	}
	sol, err := siting.Solve(ctx, model, pr, siting.Options{TimeLimit: limit})
	if err != nil {
		var se *siting.Error
		if errors.As(err, &se) {
			if req.Demand != nil && strings.HasPrefix(se.Field, "weights") {
				se.Field = "demand" + strings.TrimPrefix(se.Field, "weights")
			}
			if req.Supply != nil && strings.HasPrefix(se.Field, "capacity") {
				se.Field = "supply" + strings.TrimPrefix(se.Field, "capacity")
			}
			return nil, field.Errorf(se.Field, "%s", se.Message)
		}
		return nil, err
	}
	resp.Chosen, resp.Objective, resp.Optimal, resp.Assignment, resp.Covered, resp.Seconds =
		sol.Chosen, sol.Objective, sol.Optimal, sol.Assignment, sol.Covered, sol.Seconds
	b := sol.Bound
	if model == siting.MCLP {
		// A maximisation: the proven bound is from above, and the best
		// covered weight found is itself the lower bound.
		lb := sol.Objective
		resp.UpperBound, resp.LowerBound = &b, &lb
	} else {
		resp.LowerBound = &b
	}
	// Describe every open column (chosen and existing) with what it serves.
	open := append([]int(nil), sol.Chosen...)
	open = append(open, pr.Existing...)
	idx := map[int]int{}
	for _, j := range open {
		idx[j] = len(resp.Sites)
		resp.Sites = append(resp.Sites, Site{Column: j, Existing: len(resp.Sites) >= len(sol.Chosen)})
	}
	for i, j := range sol.Assignment {
		if k, ok := idx[j]; ok {
			resp.Sites[k].Clients++
			if pr.Weights != nil {
				resp.Sites[k].Demand += pr.Weights[i]
			} else {
				resp.Sites[k].Demand++
			}
		}
	}
	if layerOf != nil {
		for k := range resp.Sites {
			j := resp.Sites[k].Column
			resp.Sites[k].Layer, resp.Sites[k].ID, resp.Sites[k].Point = layerOf[j], cand.ids[j], cand.pts[j]
			if n, ok := cand.props[j]["name"].(string); ok {
				resp.Sites[k].Name = n
			}
		}
	}
	return &resp, nil
}

// DemandQuery asks for demand by planning standard against supply.
type DemandQuery struct {
	Resource, Level, Scenario string
	// Ratio, when not empty, overrides the standard's ratio.
	Ratio string
}

// Demand computes the demand table q asks for.
func (m *Planner) Demand(ctx context.Context, q DemandQuery) (demand.Table, error) {
	res, err := demand.ParseResource(q.Resource)
	if err != nil {
		return demand.Table{}, field.Errorf("resource", "%v", err)
	}
	level, err := demand.ParseLevel(q.Level)
	if err != nil {
		return demand.Table{}, field.Errorf("level", "%v", err)
	}
	in, st, err := m.scenarioInputs(ctx, q.Scenario)
	if err != nil {
		return demand.Table{}, err
	}
	if v := q.Ratio; v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err == nil {
			err = st.SetRatio(res, x)
		}
		if err != nil {
			return demand.Table{}, field.Errorf("ratio", "%q: want a number ≥ 0 in the resource's unit (per 1,000 for beds, per dwelling, per working-age resident)", v)
		}
	}
	t, err := demand.Compute(in, res, st, level)
	if err != nil {
		return demand.Table{}, field.Errorf("resource", "%v", err)
	}
	return t, nil
}

// ShortageMap is the demand table t as a map: each unit's polygon (from
// the layer of t's level) with its figures.
func (m *Planner) ShortageMap(t demand.Table) *geojson.FeatureCollection {
	level := t.Level
	layer := map[demand.Level]string{demand.GridLevel: layers.Grids, demand.CommunityLevel: layers.Communities,
		demand.StreetLevel: layers.Streets, demand.DistrictLevel: layers.Districts}[level]
	geom := map[string]*layers.Feature{}
	if l, ok := m.cfg.Catalog.Layer(layer); ok {
		l.Snapshot().All(func(f *layers.Feature) bool {
			if c, ok := f.Properties["code"].(string); ok {
				geom[c] = f
			}
			return true
		})
	}
	fc := geojson.NewFeatureCollection()
	for _, row := range t.Rows {
		f := &layers.Feature{}
		if g, ok := geom[row.Code]; ok {
			f = g
		} else if level == demand.DistrictLevel {
			for _, g := range geom {
				f = g
			}
		}
		if f.Geometry == nil {
			continue
		}
		gf := geojson.NewFeature(f.Geometry)
		gf.ID = f.ID
		gf.Properties = geojson.Properties{"code": row.Code, "name": row.Name, "population": row.Population,
			"demand": row.Demand, "supply": row.Supply, "gap": row.Gap, "supply_known": t.SupplyKnown}
		if row.Demand > 0 {
			gf.Properties["coverage"] = row.Supply / row.Demand
		}
		fc.Append(gf)
	}
	fc.ExtraMembers = geojson.Properties{"resource": t.Resource, "level": t.Level, "ratio": t.Ratio, "base": t.Base,
		"supply_known": t.SupplyKnown, "total": t.Total}
	return fc
}
