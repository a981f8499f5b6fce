package demand

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/onemap/onemap/models/scenario"
	"github.com/paulmach/orb"
)

// Name is the model's name in models/scenario.
const Name = "demand"

// The scenario operations.
const (
	// OpAddFacility adds a planned facility:
	// {"resource":"elderly_care","name":"…","capacity":300,"grid":"…"} or
	// with "lon"/"lat" instead of "grid". For jobs it adds jobs to the grid.
	OpAddFacility = "add_facility"
	// OpCloseFacility removes a facility: {"resource":"hospital_beds","id":12}.
	OpCloseFacility = "close_facility"
	// OpSetRatio changes a standard: {"resource":"parking","value":1.2} in
	// the resource's unit (per 1,000 for beds).
	OpSetRatio = "set_ratio"
	// OpAddPopulation adds people to a grid: {"grid":"…","residents":…,
	// "floating":…,"aged_60_plus":…,"working_age":…,"dwellings":…,"jobs":…};
	// negative values remove, but no group may fall below zero.
	OpAddPopulation = "add_population"
)

type facilityParams struct {
	Resource Resource `json:"resource"`
	Name     string   `json:"name"`
	Capacity float64  `json:"capacity"`
	Grid     string   `json:"grid"`
	Lon      *float64 `json:"lon"`
	Lat      *float64 `json:"lat"`
	ID       int64    `json:"id"`
}

type ratioParams struct {
	Resource Resource `json:"resource"`
	Value    *float64 `json:"value"`
}

type populationParams struct {
	Grid       string  `json:"grid"`
	Residents  float64 `json:"residents"`
	Floating   float64 `json:"floating"`
	Aged60Plus float64 `json:"aged_60_plus"`
	WorkingAge float64 `json:"working_age"`
	Dwellings  float64 `json:"dwellings"`
	Jobs       float64 `json:"jobs"`
}

func decode(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return scenario.Invalid("params", "%v", err)
	}
	return nil
}

func finite(field string, v float64) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return scenario.Invalid(field, "must be finite")
	}
	return nil
}

// Apply returns the inputs and standards with the changes applied in
// order; base and st are not modified. A bad change is a
// *scenario.FieldError whose field is relative to the list ("[2].params.grid").
func Apply(base *Inputs, st Standards, changes []scenario.Change) (*Inputs, Standards, error) {
	in := base.clone()
	nextID := int64(-1) // planned facilities get negative ids
	for k, ch := range changes {
		at := func(err error) error { return scenario.Prefix(fmt.Sprintf("[%d]", k), err) }
		switch ch.Op {
		case OpAddFacility:
			var p facilityParams
			if err := decode(ch.Params, &p); err != nil {
				return nil, st, at(err)
			}
			if _, err := ParseResource(string(p.Resource)); err != nil {
				return nil, st, at(scenario.Invalid("params.resource", "%v", err))
			}
			if !(p.Capacity > 0) || math.IsInf(p.Capacity, 0) {
				return nil, st, at(scenario.Invalid("params.capacity", "must be finite and > 0, got %v", p.Capacity))
			}
			f := Facility{ID: nextID, Name: p.Name, Capacity: p.Capacity, Planned: true}
			nextID--
			switch {
			case p.Grid != "":
				g, ok := in.Grid(p.Grid)
				if !ok {
					return nil, st, at(scenario.Invalid("params.grid", "unknown grid %q", p.Grid))
				}
				f.Grid, f.Point = g.Code, g.Point
			case p.Lon != nil && p.Lat != nil:
				f.Point = orb.Point{*p.Lon, *p.Lat}
				if f.Grid = in.Locate(f.Point); f.Grid == "" {
					return nil, st, at(scenario.Invalid("params.lon", "point %v lies in no grid", f.Point))
				}
			default:
				return nil, st, at(scenario.Invalid("params.grid", "give a grid code or lon and lat"))
			}
			if p.Resource == Jobs {
				g := &in.Grids[in.byCode[f.Grid]]
				g.Jobs += p.Capacity
				continue
			}
			if p.Resource == Parking {
				in.ParkingKnown = true
			}
			in.Facilities[p.Resource] = append(append([]Facility(nil), in.Facilities[p.Resource]...), f)
		case OpCloseFacility:
			var p facilityParams
			if err := decode(ch.Params, &p); err != nil {
				return nil, st, at(err)
			}
			if _, err := ParseResource(string(p.Resource)); err != nil || p.Resource == Jobs {
				return nil, st, at(scenario.Invalid("params.resource", "a facility resource: elderly_care, hospital_beds or parking"))
			}
			fs := in.Facilities[p.Resource]
			found := -1
			for i, f := range fs {
				if f.ID == p.ID {
					found = i
				}
			}
			if found < 0 {
				return nil, st, at(scenario.Invalid("params.id", "no %s facility with id %d", p.Resource, p.ID))
			}
			next := append([]Facility(nil), fs[:found]...)
			in.Facilities[p.Resource] = append(next, fs[found+1:]...)
		case OpSetRatio:
			var p ratioParams
			if err := decode(ch.Params, &p); err != nil {
				return nil, st, at(err)
			}
			if _, err := ParseResource(string(p.Resource)); err != nil {
				return nil, st, at(scenario.Invalid("params.resource", "%v", err))
			}
			if p.Value == nil {
				return nil, st, at(scenario.Invalid("params.value", "missing"))
			}
			if err := st.SetRatio(p.Resource, *p.Value); err != nil {
				return nil, st, at(scenario.Invalid("params.value", "%v", err))
			}
		case OpAddPopulation:
			var p populationParams
			if err := decode(ch.Params, &p); err != nil {
				return nil, st, at(err)
			}
			k, ok := in.byCode[p.Grid]
			if !ok {
				return nil, st, at(scenario.Invalid("params.grid", "unknown grid %q", p.Grid))
			}
			g := &in.Grids[k]
			for _, x := range []struct {
				field string
				dst   *float64
				add   float64
			}{
				{"residents", &g.Residents, p.Residents}, {"floating", &g.Floating, p.Floating},
				{"aged_60_plus", &g.Aged60Plus, p.Aged60Plus}, {"working_age", &g.WorkingAge, p.WorkingAge},
				{"dwellings", &g.Dwellings, p.Dwellings}, {"jobs", &g.Jobs, p.Jobs},
			} {
				if err := finite("params."+x.field, x.add); err != nil {
					return nil, st, at(err)
				}
				if *x.dst+x.add < 0 {
					return nil, st, at(scenario.Invalid("params."+x.field, "would leave %v in grid %s", *x.dst+x.add, p.Grid))
				}
				*x.dst += x.add
			}
		default:
			return nil, st, at(scenario.Invalid("op", "unknown op %q (%s, %s, %s, %s)", ch.Op, OpAddFacility, OpCloseFacility, OpSetRatio, OpAddPopulation))
		}
	}
	return in, st, nil
}

// Scenarios is the demand model as models/scenario sees it.
type Scenarios struct {
	// Baseline returns the current inputs.
	Baseline func(ctx context.Context) (*Inputs, error)
	// Standards are the baseline ratios (DefaultStandards when zero).
	Standards Standards
}

func (s Scenarios) standards() Standards {
	if s.Standards == (Standards{}) {
		return DefaultStandards()
	}
	return s.Standards
}

// Validate implements scenario.Model.
func (s Scenarios) Validate(ctx context.Context, changes []scenario.Change) error {
	base, err := s.Baseline(ctx)
	if err != nil {
		return err
	}
	_, _, err = Apply(base, s.standards(), changes)
	return err
}

// Compare implements scenario.Model: demand, supply and gap of every
// resource per street and community and for the district, keyed by unit
// code ("district" for the whole), metric "<resource>.<demand|supply|gap>".
func (s Scenarios) Compare(ctx context.Context, changes []scenario.Change) ([]scenario.Delta, error) {
	base, err := s.Baseline(ctx)
	if err != nil {
		return nil, err
	}
	st := s.standards()
	alt, altSt, err := Apply(base, st, changes)
	if err != nil {
		return nil, err
	}
	a, err := Values(base, st)
	if err != nil {
		return nil, err
	}
	b, err := Values(alt, altSt)
	if err != nil {
		return nil, err
	}
	return scenario.Compare(a, b), nil
}

// Values lists every resource's demand, supply and gap per street,
// community and the district as scenario values.
func Values(in *Inputs, st Standards) ([]scenario.Value, error) {
	var out []scenario.Value
	for _, r := range Resources() {
		for _, lv := range []Level{StreetLevel, CommunityLevel, DistrictLevel} {
			t, err := Compute(in, r, st, lv)
			if err != nil {
				return nil, err
			}
			for _, row := range t.Rows {
				out = append(out,
					scenario.Value{Key: row.Code, Metric: string(r) + ".demand", Value: row.Demand},
					scenario.Value{Key: row.Code, Metric: string(r) + ".supply", Value: row.Supply},
					scenario.Value{Key: row.Code, Metric: string(r) + ".gap", Value: row.Gap})
			}
		}
	}
	return out, nil
}
