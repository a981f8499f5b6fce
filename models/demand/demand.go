// Package demand computes demand by planning standard — population group ×
// ratio — for elderly-care beds, hospital beds, parking and jobs, sets it
// against the supply in the facility layers, and reports demand, supply and
// gap (demand − supply; positive is a shortage) per grid, community, street
// and district. Scenarios (add a planned facility, change a ratio, add
// population) run through models/scenario.
package demand

import (
	"fmt"
	"math"
	"sort"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Level is an aggregation level.
type Level string

// The levels.
const (
	GridLevel      Level = "grid"
	CommunityLevel Level = "community"
	StreetLevel    Level = "street"
	DistrictLevel  Level = "district"
)

// ParseLevel checks a level name ("" means grid).
func ParseLevel(s string) (Level, error) {
	switch Level(s) {
	case "":
		return GridLevel, nil
	case GridLevel, CommunityLevel, StreetLevel, DistrictLevel:
		return Level(s), nil
	}
	return "", fmt.Errorf("unknown level %q (grid, community, street, district)", s)
}

// ParkingLayer and ParkingField are where parking supply is read from when
// a source provides it: the thematic layers have no parking layer, so
// parking supply is unknown (and its gap not reported) unless a layer of
// this name with an int or float field of this name is present.
const (
	ParkingLayer = "parking"
	ParkingField = "spaces"
)

// Grid is one base grid's population groups.
type Grid struct {
	Code, Name string
	Community  string // parent community code
	Street     string // the community's parent street code
	Point      orb.Point
	Shape      orb.Geometry `json:"-"`
	Residents  float64
	Floating   float64
	Aged60Plus float64
	WorkingAge float64
	Dwellings  float64
	Jobs       float64 // jobs located in the grid: the supply of jobs
}

// Unit is a community or street: its code, name and parent code.
type Unit struct{ Code, Name, Parent string }

// Facility is one supply point: beds of an elderly-care home or hospital,
// spaces of a car park.
type Facility struct {
	ID       int64
	Name     string
	Grid     string
	Point    orb.Point
	Capacity float64
	Planned  bool // added by a scenario
}

// Inputs is everything the model reads. Treat it as immutable: scenarios
// copy what they change.
type Inputs struct {
	Grids        []Grid
	Communities  map[string]Unit
	Streets      map[string]Unit
	Facilities   map[Resource][]Facility
	ParkingKnown bool // a parking layer was present
	byCode       map[string]int
}

// Layer names the supply layer and field of a facility resource.
func Layer(r Resource) (layer, field string) {
	switch r {
	case ElderlyCare:
		return layers.ElderlyCare, "beds"
	case HospitalBeds:
		return layers.Hospitals, "beds"
	case Parking:
		return ParkingLayer, ParkingField
	}
	return "", ""
}

// FromDistrict builds the inputs from a district's layers and group table.
func FromDistrict(d *data.District) (*Inputs, error) { return Build(d.Layers, d.Groups) }

// Build assembles the inputs from features by layer name (grids,
// communities, streets and the supply layers) and the per-grid groups.
func Build(feats map[string][]layers.Feature, groups []data.GroupRow) (*Inputs, error) {
	in := &Inputs{Communities: map[string]Unit{}, Streets: map[string]Unit{}, Facilities: map[Resource][]Facility{}, byCode: map[string]int{}}
	for _, f := range feats[layers.Streets] {
		u := unitOf(f)
		in.Streets[u.Code] = u
	}
	for _, f := range feats[layers.Communities] {
		u := unitOf(f)
		in.Communities[u.Code] = u
	}
	for _, f := range feats[layers.Grids] {
		u := unitOf(f)
		if u.Code == "" {
			return nil, fmt.Errorf("demand: grid feature %d has no code", f.ID)
		}
		g := Grid{Code: u.Code, Name: u.Name, Community: u.Parent, Street: in.Communities[u.Parent].Parent,
			Shape: f.Geometry, Residents: num(f.Properties["residents"]), Floating: num(f.Properties["floating"])}
		if f.Geometry != nil {
			g.Point, _ = planar.CentroidArea(f.Geometry)
		}
		in.byCode[g.Code] = len(in.Grids)
		in.Grids = append(in.Grids, g)
	}
	if len(in.Grids) == 0 {
		return nil, fmt.Errorf("demand: no grids")
	}
	for _, r := range groups {
		k, ok := in.byCode[r.Grid]
		if !ok {
			return nil, fmt.Errorf("demand: groups row for unknown grid %q", r.Grid)
		}
		g := &in.Grids[k]
		g.Aged60Plus, g.WorkingAge, g.Dwellings, g.Jobs = float64(r.Aged60Plus), float64(r.WorkingAge), float64(r.Dwellings), float64(r.Jobs)
	}
	for _, r := range []Resource{ElderlyCare, HospitalBeds, Parking} {
		layer, field := Layer(r)
		fs, ok := feats[layer]
		if r == Parking {
			in.ParkingKnown = ok
		}
		for _, f := range fs {
			pt, ok := f.Geometry.(orb.Point)
			if !ok && f.Geometry != nil {
				pt, _ = planar.CentroidArea(f.Geometry)
			}
			fc := Facility{ID: f.ID, Name: str(f.Properties["name"]), Grid: str(f.Properties["grid_code"]), Point: pt, Capacity: num(f.Properties[field])}
			if _, ok := in.byCode[fc.Grid]; !ok {
				fc.Grid = in.Locate(pt)
			}
			in.Facilities[r] = append(in.Facilities[r], fc)
		}
	}
	return in, nil
}

func unitOf(f layers.Feature) Unit {
	return Unit{Code: str(f.Properties["code"]), Name: str(f.Properties["name"]), Parent: str(f.Properties["parent_code"])}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case int:
		return float64(x)
	}
	return 0
}

// Grid returns the grid with the code.
func (in *Inputs) Grid(code string) (Grid, bool) {
	k, ok := in.byCode[code]
	if !ok {
		return Grid{}, false
	}
	return in.Grids[k], true
}

// Locate returns the code of the grid containing pt ("" when none).
func (in *Inputs) Locate(pt orb.Point) string {
	for _, g := range in.Grids {
		if g.Shape == nil || !g.Shape.Bound().Contains(pt) {
			continue
		}
		switch s := g.Shape.(type) {
		case orb.Polygon:
			if planar.PolygonContains(s, pt) {
				return g.Code
			}
		case orb.MultiPolygon:
			if planar.MultiPolygonContains(s, pt) {
				return g.Code
			}
		}
	}
	return ""
}

// clone copies the grid list and the facility map (the slices stay
// shared until a change replaces them).
func (in *Inputs) clone() *Inputs {
	c := *in
	c.Grids = append([]Grid(nil), in.Grids...)
	c.Facilities = make(map[Resource][]Facility, len(in.Facilities))
	for r, fs := range in.Facilities {
		c.Facilities[r] = fs
	}
	return &c
}

// Population is the resource's population base in a grid.
func (st Standards) Population(r Resource, g Grid) float64 {
	switch r {
	case ElderlyCare:
		return g.Aged60Plus
	case HospitalBeds:
		if st.HospitalIncludesFloating {
			return g.Residents + g.Floating
		}
		return g.Residents
	case Parking:
		return g.Dwellings
	case Jobs:
		return g.WorkingAge
	}
	return 0
}

// Row is one unit's demand, supply and gap.
type Row struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	Parent     string  `json:"parent,omitempty"`
	Population float64 `json:"population"`
	Demand     float64 `json:"demand"`
	Supply     float64 `json:"supply"`
	// Gap is Demand − Supply: positive is a shortage.
	Gap float64 `json:"gap"`
}

// Table is a resource's demand and supply at one level.
type Table struct {
	Resource Resource `json:"resource"`
	Level    Level    `json:"level"`
	// Base is the population group the ratio multiplies.
	Base  string  `json:"base"`
	Ratio float64 `json:"ratio"`
	// SupplyKnown is false when no layer holds the resource's supply
	// (parking without a parking layer): Supply is then 0 and Gap equals
	// Demand, and callers should not show it as a shortage.
	SupplyKnown bool  `json:"supply_known"`
	Rows        []Row `json:"rows"`
	Total       Row   `json:"total"`
	// Unplaced is supply whose location fell in no grid (counted in Total only).
	Unplaced float64 `json:"unplaced,omitempty"`
}

// Compute returns the resource's demand, supply and gap at the level,
// rows sorted by code.
func Compute(in *Inputs, r Resource, st Standards, level Level) (Table, error) {
	if _, err := ParseResource(string(r)); err != nil {
		return Table{}, err
	}
	if _, err := ParseLevel(string(level)); err != nil {
		return Table{}, err
	}
	if err := st.Check(); err != nil {
		return Table{}, err
	}
	ratio := st.Ratio(r)
	t := Table{Resource: r, Level: level, Base: Base(r), Ratio: ratio, SupplyKnown: r != Parking || in.ParkingKnown}
	pop := make([]float64, len(in.Grids))
	supply := make([]float64, len(in.Grids))
	for k, g := range in.Grids {
		pop[k] = st.Population(r, g)
		if r == Jobs {
			supply[k] = g.Jobs
		}
	}
	for _, f := range in.Facilities[r] {
		if k, ok := in.byCode[f.Grid]; ok {
			supply[k] += f.Capacity
		} else {
			t.Unplaced += f.Capacity
		}
	}
	key := func(g Grid) (code, name, parent string) {
		switch level {
		case CommunityLevel:
			return g.Community, in.Communities[g.Community].Name, g.Street
		case StreetLevel:
			return g.Street, in.Streets[g.Street].Name, ""
		case DistrictLevel:
			return "district", "district", ""
		}
		return g.Code, g.Name, g.Community
	}
	idx := map[string]int{}
	for k, g := range in.Grids {
		code, name, parent := key(g)
		i, ok := idx[code]
		if !ok {
			i = len(t.Rows)
			idx[code] = i
			t.Rows = append(t.Rows, Row{Code: code, Name: name, Parent: parent})
		}
		t.Rows[i].Population += pop[k]
		t.Rows[i].Supply += supply[k]
	}
	t.Total = Row{Code: "total", Name: "total", Supply: t.Unplaced}
	for i := range t.Rows {
		row := &t.Rows[i]
		row.Demand = row.Population * ratio
		row.Gap = row.Demand - row.Supply
		t.Total.Population += row.Population
		t.Total.Supply += row.Supply
	}
	t.Total.Demand = t.Total.Population * ratio
	t.Total.Gap = t.Total.Demand - t.Total.Supply
	sort.Slice(t.Rows, func(i, j int) bool { return t.Rows[i].Code < t.Rows[j].Code })
	return t, nil
}

// DemandPoints returns each grid's centroid and demand for the resource,
// in grid order: the demand side of an accessibility run.
func DemandPoints(in *Inputs, r Resource, st Standards) ([]orb.Point, []float64) {
	pts := make([]orb.Point, len(in.Grids))
	d := make([]float64, len(in.Grids))
	ratio := st.Ratio(r)
	for k, g := range in.Grids {
		pts[k] = g.Point
		d[k] = st.Population(r, g) * ratio
		if math.IsNaN(d[k]) {
			d[k] = 0
		}
	}
	return pts, d
}
