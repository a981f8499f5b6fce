package school

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/onemap/onemap/models/scenario"
)

// The changes a school scenario may make (scenario.Change.Op) and their
// params:
//
//	add_housing    {"id","name","grid","dwellings":{"commodity":3000},"completion_year"}
//	delay_housing  {"id", "years"} or {"id", "completion_year"}
//	add_school     {"id","name","level","seats","catchment","grid","opens",
//	                "new_catchment":{"code","name","grids":[…]}}  (with new_catchment
//	                the grids join it for admissions from the opening year)
//	expand_school  {"id","seats","year"}   (seats added from year; negative shrinks)
//	close_school   {"id","year"[,"reassign_to"]}  (reassign_to: the catchment that
//	                takes the closed catchment's grids and pupils, see School)
//	move_grid      {"grid","to","year"}     (catchment line: grid joins catchment to)
//	set_rate       {"rate":"floating_enrolment_rate","value"}
//	               {"rate":"entry_ratio_factor","value"[,"catchment"]}
//	               {"rate":"yield","level","type","values":[…]}
//	               {"rate":"thresholds","thresholds":{"red","orange","yellow"}}
const (
	OpAddHousing   = "add_housing"
	OpDelayHousing = "delay_housing"
	OpAddSchool    = "add_school"
	OpExpandSchool = "expand_school"
	OpCloseSchool  = "close_school"
	OpMoveGrid     = "move_grid"
	OpSetRate      = "set_rate"
)

// Ops lists the change operations.
func Ops() []string {
	return []string{OpAddHousing, OpDelayHousing, OpAddSchool, OpExpandSchool, OpCloseSchool, OpMoveGrid, OpSetRate}
}

type delayParams struct {
	ID         int64 `json:"id"`
	Years      int   `json:"years"`
	Completion int   `json:"completion_year"`
}

type addSchoolParams struct {
	School
	NewCatchment *Catchment `json:"new_catchment,omitempty"`
}

type expandParams struct {
	ID    int64 `json:"id"`
	Seats int   `json:"seats"`
	Year  int   `json:"year"`
}

type closeParams struct {
	ID         int64  `json:"id"`
	Year       int    `json:"year"`
	ReassignTo string `json:"reassign_to,omitempty"`
}

type rateParams struct {
	Rate       string      `json:"rate"`
	Value      *float64    `json:"value,omitempty"`
	Catchment  string      `json:"catchment,omitempty"`
	Level      string      `json:"level,omitempty"`
	Type       string      `json:"type,omitempty"`
	Values     []float64   `json:"values,omitempty"`
	Thresholds *Thresholds `json:"thresholds,omitempty"`
}

// decode reads params strictly, naming the field at fault.
func decode(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return bad("params", "missing params")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.Decode(new(json.RawMessage)) != io.EOF {
			return bad("params", "trailing data after the params object")
		}
		return nil
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return bad("params."+ute.Field, "expected %s, got %s", ute.Type, ute.Value)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return bad("params."+strings.Trim(f, `"`), "unknown field")
	}
	return bad("params", "invalid JSON: %v", err)
}

// Apply returns base with the changes applied, copy-on-write: base and
// every slice or map it holds are left as they were, and the result shares
// what no change touched. The first invalid change is reported as a
// *scenario.FieldError whose field starts with its index ("[2].params.seats");
// the changed input as a whole is then validated.
func Apply(base *Input, changes []scenario.Change) (*Input, error) {
	in, _, err := apply(base, nil, changes)
	return in, err
}

// apply is Apply; bidx, when not nil, is base's index, whose checks of the
// tables the changes leave alone are reused.
func apply(base *Input, bidx *index, changes []scenario.Change) (*Input, *index, error) {
	out := *base
	out.Policy = base.Policy.withDefaults()
	grids := make(map[string]bool, len(base.Grids))
	for _, g := range base.Grids {
		grids[g.Code] = true
	}
	catchLevel := map[string]string{}
	for _, c := range base.Catchments {
		catchLevel[c.Code] = c.Level
	}
	claimed := map[[2]string]string{} // (level, grid) → new catchment claiming it
	owned := struct{ housing, schools, catchments, moves, yields, factors bool }{}
	for i, ch := range changes {
		field := fmt.Sprintf("[%d].", i)
		err := func() error {
			switch ch.Op {
			case OpAddHousing:
				var h Housing
				if err := decode(ch.Params, &h); err != nil {
					return err
				}
				if !grids[h.Grid] {
					return bad("params.grid", "unknown grid %q", h.Grid)
				}
				if len(h.Dwellings) == 0 {
					return bad("params.dwellings", "no dwellings")
				}
				for t, n := range h.Dwellings {
					if n < 0 {
						return bad("params.dwellings."+t, "negative dwellings %d", n)
					}
					if out.Policy.Yields[Primary][t] == nil && out.Policy.Yields[Junior][t] == nil {
						return bad("params.dwellings."+t, "no pupil yield for dwelling type %q", t)
					}
				}
				if h.Completion < out.Year-60 || h.Completion > out.Year+60 {
					return bad("params.completion_year", "completion year %d out of range", h.Completion)
				}
				var ok bool
				if h.ID, ok = newID(out.Housing, func(x Housing) int64 { return x.ID }, h.ID); !ok {
					return bad("params.id", "housing project %d exists", h.ID)
				}
				out.Housing = append(cow(&owned.housing, out.Housing), h)
			case OpDelayHousing:
				var p delayParams
				if err := decode(ch.Params, &p); err != nil {
					return err
				}
				k := -1
				for j, x := range out.Housing {
					if x.ID == p.ID {
						k = j
					}
				}
				if k < 0 {
					return bad("params.id", "unknown housing project %d", p.ID)
				}
				if (p.Years == 0) == (p.Completion == 0) {
					return bad("params.years", "give either years (a delay) or completion_year")
				}
				out.Housing = cow(&owned.housing, out.Housing)
				h := out.Housing[k]
				if p.Years != 0 {
					h.Completion += p.Years
				} else {
					h.Completion = p.Completion
				}
				if h.Completion < out.Year-60 || h.Completion > out.Year+60 {
					return bad("params.completion_year", "completion year %d out of range", h.Completion)
				}
				out.Housing[k] = h
			case OpAddSchool:
				var p addSchoolParams
				if err := decode(ch.Params, &p); err != nil {
					return err
				}
				s := p.School
				if s.Level != Primary && s.Level != Junior {
					return bad("params.level", "level %q is not primary or junior", s.Level)
				}
				if s.Seats < 0 {
					return bad("params.seats", "negative seats %d", s.Seats)
				}
				if s.Opens == 0 {
					s.Opens = out.Year + 1
				}
				if s.Opens <= out.Year || s.Opens > out.Year+MaxYears {
					return bad("params.opens", "a new school opens in %d–%d, not %d", out.Year+1, out.Year+MaxYears, s.Opens)
				}
				if s.Grid != "" && !grids[s.Grid] {
					return bad("params.grid", "unknown grid %q", s.Grid)
				}
				var ok bool
				if s.ID, ok = newID(out.Schools, func(x School) int64 { return x.ID }, s.ID); !ok {
					return bad("params.id", "school %d exists", s.ID)
				}
				if nc := p.NewCatchment; nc != nil {
					if s.Catchment != "" && s.Catchment != nc.Code {
						return bad("params.catchment", "give catchment or new_catchment, not both")
					}
					if nc.Code == "" {
						return bad("params.new_catchment.code", "missing code")
					}
					if _, ok := catchLevel[nc.Code]; ok {
						return bad("params.new_catchment.code", "catchment %s exists", nc.Code)
					}
					if len(nc.Grids) == 0 {
						return bad("params.new_catchment.grids", "a new catchment needs grids")
					}
					out.Moves = cow(&owned.moves, out.Moves)
					for j, g := range nc.Grids {
						f := fmt.Sprintf("params.new_catchment.grids[%d]", j)
						if !grids[g] {
							return bad(f, "unknown grid %q", g)
						}
						k := [2]string{s.Level, g}
						if o, ok := claimed[k]; ok {
							return bad(f, "grid %s is already claimed by new catchment %s: catchments of one level must not overlap", g, o)
						}
						claimed[k] = nc.Code
						out.Moves = append(out.Moves, Move{Grid: g, To: nc.Code, Year: s.Opens})
					}
					catchLevel[nc.Code] = s.Level
					out.Catchments = append(cow(&owned.catchments, out.Catchments), Catchment{Code: nc.Code, Name: nc.Name, Level: s.Level, Grids: []string{}})
					s.Catchment = nc.Code
				}
				lv, ok := catchLevel[s.Catchment]
				if !ok {
					return bad("params.catchment", "unknown catchment %q", s.Catchment)
				}
				if lv != s.Level {
					return bad("params.catchment", "catchment %s is %s, the school %s", s.Catchment, lv, s.Level)
				}
				out.Schools = append(cow(&owned.schools, out.Schools), s)
			case OpExpandSchool, OpCloseSchool:
				var id int64
				var year, seats int
				var reassign string
				if ch.Op == OpExpandSchool {
					var p expandParams
					if err := decode(ch.Params, &p); err != nil {
						return err
					}
					id, year, seats = p.ID, p.Year, p.Seats
					if seats == 0 {
						return bad("params.seats", "an expansion adds (or removes) seats")
					}
				} else {
					var p closeParams
					if err := decode(ch.Params, &p); err != nil {
						return err
					}
					id, year, reassign = p.ID, p.Year, p.ReassignTo
				}
				if year <= out.Year || year > out.Year+MaxYears {
					return bad("params.year", "year %d outside the projected years %d–%d", year, out.Year+1, out.Year+MaxYears)
				}
				k := -1
				for j, x := range out.Schools {
					if x.ID == id {
						k = j
					}
				}
				if k < 0 {
					return bad("params.id", "unknown school %d", id)
				}
				out.Schools = cow(&owned.schools, out.Schools)
				s := out.Schools[k]
				if ch.Op == OpCloseSchool {
					if s.Closes != 0 && s.Closes <= year {
						return bad("params.year", "school %d already closes in %d", id, s.Closes)
					}
					s.Closes = year
					if reassign != "" {
						switch lv, ok := catchLevel[reassign]; {
						case !ok:
							return bad("params.reassign_to", "unknown catchment %q", reassign)
						case lv != s.Level || reassign == s.Catchment:
							return bad("params.reassign_to", "catchment %s cannot take school %d's pupils (%s, its own %s)", reassign, id, lv, s.Catchment)
						}
						s.ReassignTo = reassign
					}
				} else {
					if s.SeatsIn(year)+seats < 0 {
						return bad("params.seats", "school %d has %d seats in %d; it cannot lose %d", id, s.SeatsIn(year), year, -seats)
					}
					s.Expansions = append(append([]Expansion(nil), s.Expansions...), Expansion{Year: year, Seats: seats})
				}
				out.Schools[k] = s
			case OpMoveGrid:
				var mv Move
				if err := decode(ch.Params, &mv); err != nil {
					return err
				}
				if !grids[mv.Grid] {
					return bad("params.grid", "unknown grid %q", mv.Grid)
				}
				if _, ok := catchLevel[mv.To]; !ok {
					return bad("params.to", "unknown catchment %q", mv.To)
				}
				if mv.Year <= out.Year || mv.Year > out.Year+MaxYears {
					return bad("params.year", "year %d outside the projected years %d–%d", mv.Year, out.Year+1, out.Year+MaxYears)
				}
				out.Moves = append(cow(&owned.moves, out.Moves), mv)
			case OpSetRate:
				var p rateParams
				if err := decode(ch.Params, &p); err != nil {
					return err
				}
				return setRate(&out, p, catchLevel, &owned.yields, &owned.factors)
			default:
				return bad("op", "unknown op %q (known: %s)", ch.Op, strings.Join(Ops(), ", "))
			}
			return nil
		}()
		if err != nil {
			return nil, nil, scenario.Prefix(strings.TrimSuffix(field, "."), err)
		}
	}
	idx, err := out.checkFrom(base, bidx)
	if err != nil {
		return nil, nil, err
	}
	return &out, idx, nil
}

// cow returns s itself once owned, else a copy it then owns.
func cow[T any](owned *bool, s []T) []T {
	if *owned {
		return s
	}
	*owned = true
	return append(make([]T, 0, len(s)+1), s...)
}

func setRate(in *Input, p rateParams, catchLevel map[string]string, ownYields, ownFactors *bool) error {
	need := func() (float64, error) {
		if p.Value == nil {
			return 0, bad("params.value", "missing value")
		}
		return *p.Value, nil
	}
	switch p.Rate {
	case "floating_enrolment_rate":
		v, err := need()
		if err != nil {
			return err
		}
		if !finite(v) || v < 0 || v > 1 {
			return bad("params.value", "%v outside 0–1", v)
		}
		in.Policy.FloatingRate = v
	case "entry_ratio_factor":
		v, err := need()
		if err != nil {
			return err
		}
		if !finite(v) || v < 0 || v > 10 {
			return bad("params.value", "%v outside 0–10", v)
		}
		if p.Catchment == "" {
			in.Policy.EntryFactor = v
			return nil
		}
		if _, ok := catchLevel[p.Catchment]; !ok {
			return bad("params.catchment", "unknown catchment %q", p.Catchment)
		}
		if !*ownFactors {
			m := make(map[string]float64, len(in.Policy.EntryFactors)+1)
			for k, x := range in.Policy.EntryFactors {
				m[k] = x
			}
			in.Policy.EntryFactors = m
			*ownFactors = true
		}
		in.Policy.EntryFactors[p.Catchment] = v
	case "yield":
		if p.Level != Primary && p.Level != Junior {
			return bad("params.level", "level %q is not primary or junior", p.Level)
		}
		if p.Type == "" {
			return bad("params.type", "missing dwelling type")
		}
		if len(p.Values) == 0 {
			return bad("params.values", "missing yields")
		}
		for i, y := range p.Values {
			if !finite(y) || y < 0 || y > 10 {
				return bad(fmt.Sprintf("params.values[%d]", i), "yield %v outside 0–10 pupils per dwelling", y)
			}
		}
		if !*ownYields {
			m := make(map[string]map[string][]float64, 2)
			for lv, byType := range in.Policy.Yields {
				mm := make(map[string][]float64, len(byType))
				for t, ys := range byType {
					mm[t] = ys // slices are replaced, never written
				}
				m[lv] = mm
			}
			in.Policy.Yields = m
			*ownYields = true
		}
		if in.Policy.Yields[p.Level] == nil {
			in.Policy.Yields[p.Level] = map[string][]float64{}
		}
		in.Policy.Yields[p.Level][p.Type] = append([]float64(nil), p.Values...)
	case "thresholds":
		if p.Thresholds == nil {
			return bad("params.thresholds", "missing thresholds")
		}
		in.Policy.Thresholds = *p.Thresholds
		if err := in.Policy.validate(); err != nil {
			return bad("params.thresholds", "%s", err.(*scenario.FieldError).Message)
		}
	default:
		return bad("params.rate", "unknown rate %q (floating_enrolment_rate, entry_ratio_factor, yield, thresholds)", p.Rate)
	}
	return nil
}

// Scenarios is the school model as scenarios see it (scenario.Model):
// changes are checked against, and compared with, the current baseline.
type Scenarios struct {
	// Baseline returns the current baseline input.
	Baseline func(ctx context.Context) (*Input, error)
	// Years compared (default MaxYears).
	Years int
}

// Name is the model name scenarios of this model carry.
const Name = "school"

// Validate implements scenario.Model.
func (s Scenarios) Validate(ctx context.Context, changes []scenario.Change) error {
	base, err := s.Baseline(ctx)
	if err != nil {
		return err
	}
	_, err = Apply(base, changes)
	return err
}

// Compare implements scenario.Model: demand, seats and gap per catchment
// (and "district/<level>") and year.
func (s Scenarios) Compare(ctx context.Context, changes []scenario.Change) ([]scenario.Delta, error) {
	base, err := s.Baseline(ctx)
	if err != nil {
		return nil, err
	}
	years := s.Years
	if years == 0 {
		years = MaxYears
	}
	b, a, err := RunPair(base, changes, Options{Years: years})
	if err != nil {
		return nil, err
	}
	return scenario.Compare(Values(b), Values(a)), nil
}

// RunPair projects the baseline and the baseline with changes.
func RunPair(base *Input, changes []scenario.Change, opt Options) (baseline, alt *Result, err error) {
	if opt.Years < 1 || opt.Years > MaxYears {
		return nil, nil, bad("years", "%d outside 1–%d", opt.Years, MaxYears)
	}
	bidx, err := base.check()
	if err != nil {
		return nil, nil, err
	}
	in, idx, err := apply(base, bidx, changes)
	if err != nil {
		return nil, nil, err
	}
	bopt := opt
	bopt.Scenario = scenario.Baseline
	if opt.Scenario == "" {
		opt.Scenario = "scenario"
	}
	b, err := project(base, bidx, bopt)
	if err != nil {
		return nil, nil, err
	}
	a, err := project(in, idx, opt)
	if err != nil {
		return nil, nil, err
	}
	return b, a, nil
}

// Values flattens a result's catchment and district points into keyed
// figures for scenario.Compare.
func Values(r *Result) []scenario.Value {
	out := make([]scenario.Value, 0, (len(r.Catchments)+len(r.District))*len(r.Years)*3)
	add := func(key string, ss []Series) {
		for _, s := range ss {
			k := s.Code
			if key != "" {
				k = key + "/" + s.Level
			}
			for _, p := range s.Points {
				out = append(out,
					scenario.Value{Key: k, Year: p.Year, Metric: "demand", Value: p.Demand},
					scenario.Value{Key: k, Year: p.Year, Metric: "seats", Value: float64(p.Seats)},
					scenario.Value{Key: k, Year: p.Year, Metric: "gap", Value: p.Gap})
			}
		}
	}
	add("", r.Catchments)
	add("district", r.District)
	return out
}

// newID is the id a new item of xs takes: id itself, or one past the
// largest id in xs when id is 0; ok is false when id is already taken.
func newID[T any](xs []T, idOf func(T) int64, id int64) (_ int64, ok bool) {
	maxID := int64(0)
	for _, x := range xs {
		if idOf(x) == id && id != 0 {
			return id, false
		}
		maxID = max(maxID, idOf(x))
	}
	if id == 0 {
		id = maxID + 1
	}
	return id, true
}
