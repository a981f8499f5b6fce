// Package school projects school-place demand against supply, catchment by
// catchment, street by street and for the whole district, 1–10 years ahead,
// and warns where places will run short (the model behind Futian's
// school-place supply–demand early-warning system).
//
// # Model
//
// For each level (primary: grades 1–6, junior: grades 7–9 by default;
// Policy.Grades sets other spans, e.g. K–5 with grade 0 for kindergarten)
// and catchment c, with A the admission age (the age entering grade 1; the
// first grade F admits children of age A+F−1), f the floating enrolment
// rate and y a year:
//
//	entry (grade F):  E_F(c,y) = r(c)·B(c, y−A−F+1) + f·F(c, y)
//	later grades:     E_g(c,y) = p_g(c)·E_{g−1}(c, y−1)
//	junior entry:     E_J(J,y) = p_J(J)·Σ_P M(P,J)·E_last(P, y−1)
//	new housing:      H(c,y)  = Σ_projects Σ_types dwellings·(Y(y−completion) − Y(base−completion))
//	demand:           D(c,y)  = Σ_g E_g(c,y) + H(c,y);  gap = D − seats;  pressure = D / seats
//
// B(c,y) is the births of year y in the catchment's grids (births given
// for an area are apportioned to its grids, see BirthRow), F(c,y) the
// floating children of entry age living there in year y (the population
// table's floating counts aged forward or back from PopulationYear),
// M(P,J) the share of primary catchment P's school-age children who live
// in junior catchment J. How the birth-to-intake ratio r and the
// grade-progression (cohort-survival) ratios p are estimated from the
// enrolment history is Policy.Method (see Methods): by default
// (MethodCohort) they are recency-weighted means (gonum stat.Mean) of the
// yearly ratios, the most recent year weighted Policy.HistoryWeights[0];
// MethodShrink pools a catchment's grades into one migration factor shrunk
// toward the district (empirical Bayes); MethodAuto lets a rolling-origin
// backtest choose. A catchment without history takes the district's ratio;
// a ratio the projection needs that no history fits is refused (a
// *scenario.FieldError), never assumed. Housing pupils are an overlay on
// the cohort projection: Y is the pupil yield per dwelling of the
// project's type Y years after completion (Policy.Yields), and only the
// part beyond what the history already holds (Y at the base year) is added;
// yields of a level are spread evenly over its grades. Births after the
// last recorded year are held at the recency-weighted mean of the recorded
// years. Catchment-line moves apply to admissions from their year on:
// pupils already enrolled stay at their school; a closed catchment's
// pupils all move (School.ReassignTo).
//
// Street figures allocate each catchment's cohort demand to its grids in
// proportion to their children of the level's ages (housing pupils go to
// the project's grid); street seats are those of the schools located there.
//
// # Accuracy
//
// RunRolling backtests the model from every origin of its history against
// the baselines (persistence, textbook cohort survival), per catchment and
// district, and Calibrate turns its errors into empirical prediction
// intervals (Options.Intervals).
//
// # Input
//
// Input is also a JSON document (field names are its tags), so a planner can
// run the model offline: testdata/example_input.json is a small complete
// example and testdata/example_scenario.json a scenario for it:
//
//	onemap model school --input example_input.json --years 5 --scenario example_scenario.json
//
// A district's own tables can also be given as CSV files (see LoadCSV);
// testdata/planner holds K–5 headcounts, district births, four schools of
// which one closed, and housing:
//
//	onemap model school --input testdata/planner --years 5
//	onemap model school --input testdata/planner --rolling
package school

import (
	"fmt"
	"math"
	"sort"

	"github.com/onemap/onemap/models/scenario"
)

// Levels of schooling.
const (
	Primary = "primary"
	Junior  = "junior"
)

// Grades returns the default first and last grade of a level (1–6
// primary, 7–9 junior); Policy.Grades sets other spans.
func Grades(level string) (first, last int) {
	if level == Junior {
		return 7, 9
	}
	return 1, 6
}

// GradeSpan is the first and last grade of level under the policy: the
// policy's span (e.g. [0,5] for K–5, grade 0 being kindergarten) or
// Grades(level).
func (p Policy) GradeSpan(level string) (first, last int) {
	if s, ok := p.Grades[level]; ok {
		return s[0], s[1]
	}
	if s, ok := p.Grades[Primary]; ok && level == Junior {
		return s[1] + 1, s[1] + 3
	}
	return Grades(level)
}

// GradeName is "K" for grade 0 and the number otherwise.
func GradeName(g int) string {
	if g == 0 {
		return "K"
	}
	return fmt.Sprint(g)
}

// Input is everything the model needs, as one JSON document a planner can
// keep and run offline (onemap model school --input FILE). Field names in
// the JSON are the tags below.
type Input struct {
	// District names the district (for titles only).
	District string `json:"district,omitempty"`
	// Year is the base year: the last year of enrolment history. Projections
	// are for Year+1 … Year+10.
	Year int `json:"year"`
	// PopulationYear is the year the population table is as of (default Year).
	PopulationYear int `json:"population_year,omitempty"`
	// Grids lists the base grids with the street each belongs to.
	Grids []Grid `json:"grids"`
	// Population is the children per grid and single year of age 0–17.
	Population []AgeRow `json:"population"`
	// Births is the births per grid (or per area) and year; at least the
	// admission age plus a few years of history is needed (≥ 10 years
	// recommended). See BirthRow for how an area's births are apportioned.
	Births []BirthRow `json:"births"`
	// Areas are named groups of grids births may be recorded for (e.g. a
	// hospital's area); streets, catchments and "district" need no entry.
	Areas []Area `json:"areas,omitempty"`
	// Schools are the schools with their seats and catchment.
	Schools []School `json:"schools"`
	// Catchments of one level partition the grids: a grid is in at most one
	// catchment per level.
	Catchments []Catchment `json:"catchments"`
	// Enrolment is the pupils per school, grade and past year.
	Enrolment []EnrolmentRow `json:"enrolment"`
	// Housing lists housing projects, completed or planned.
	Housing []Housing `json:"housing"`
	// Moves are catchment-line changes taking effect after the base year.
	Moves []Move `json:"moves,omitempty"`
	// Policy holds the rates and parameters: DefaultPolicy when omitted;
	// fields left out of a given policy take their defaults, except
	// floating_enrolment_rate (0 is a rate).
	Policy Policy `json:"policy"`
}

// Grid is a base grid and its street.
type Grid struct {
	Code   string `json:"code"`
	Street string `json:"street"`
}

// AgeRow is the children of one single year of age in one grid.
type AgeRow struct {
	Grid      string `json:"grid"`
	Age       int    `json:"age"`
	Residents int    `json:"residents"`
	Floating  int    `json:"floating"`
}

// BirthRow is the births recorded in one year in one grid, or in an area:
// a grid, an entry of Input.Areas, a street, a catchment, or "district"
// (every grid), looked up in that order.
//
// An area's births are apportioned to its grids by a fixed rule: in
// proportion to the grids' children aged 0 in the population table
// (residents and floating); where the area's grids have none recorded, in
// proportion to their primary catchment's first-grade pupils over the last
// three recorded years (shared equally by the catchment's grids in the
// area); where there are none either, equally.
type BirthRow struct {
	Grid   string `json:"grid,omitempty"`
	Area   string `json:"area,omitempty"`
	Year   int    `json:"year"`
	Births int    `json:"births"`
}

// Area is a named group of grids.
type Area struct {
	Code  string   `json:"code"`
	Grids []string `json:"grids"`
}

// DistrictArea is the area of every grid.
const DistrictArea = "district"

// School is one school. Seats are its places over all grades; it is open
// in the years Opens ≤ y < Closes (0: no limit).
//
// When the last open school of a catchment closes and ReassignTo names
// another catchment of the level, the closed catchment's grids and pupils
// go to it from the closing year: a closure in a projected year moves the
// enrolled pupils of every grade and all later admissions; a closure by the
// base year (a past closure) merges the closed catchment into ReassignTo
// over the whole history, so the ratios are fitted on one continuous
// series. A past closure must name ReassignTo.
type School struct {
	ID         int64       `json:"id"`
	Name       string      `json:"name"`
	Level      string      `json:"level"`
	Seats      int         `json:"seats"`
	Catchment  string      `json:"catchment"`
	Grid       string      `json:"grid,omitempty"`
	Opens      int         `json:"opens,omitempty"`
	Closes     int         `json:"closes,omitempty"`
	ReassignTo string      `json:"reassign_to,omitempty"`
	Expansions []Expansion `json:"expansions,omitempty"`
}

// Expansion adds seats to a school from a year on.
type Expansion struct {
	Year  int `json:"year"`
	Seats int `json:"seats"`
}

// SeatsIn is the school's seats in year y.
func (s School) SeatsIn(y int) int {
	if (s.Opens != 0 && y < s.Opens) || (s.Closes != 0 && y >= s.Closes) {
		return 0
	}
	n := s.Seats
	for _, e := range s.Expansions {
		if e.Year <= y {
			n += e.Seats
		}
	}
	return n
}

// Catchment is a school catchment: the grids whose children it admits.
type Catchment struct {
	Code  string   `json:"code"`
	Name  string   `json:"name,omitempty"`
	Level string   `json:"level"`
	Grids []string `json:"grids"`
}

// EnrolmentRow is the pupils of one grade of one school in one year.
type EnrolmentRow struct {
	School int64 `json:"school_id"`
	Year   int   `json:"year"`
	Grade  int   `json:"grade"`
	Pupils int   `json:"pupils"`
}

// Housing is a housing project: dwellings by type, completed (or to be) in
// a year.
type Housing struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name,omitempty"`
	Grid       string         `json:"grid"`
	Dwellings  map[string]int `json:"dwellings"`
	Completion int            `json:"completion_year"`
}

// Move takes a grid into catchment To (of To's level) for admissions from
// Year on.
type Move struct {
	Grid string `json:"grid"`
	To   string `json:"to"`
	Year int    `json:"year"`
}

// Policy holds the model's rates and parameters.
type Policy struct {
	// AdmissionAge is the age at which children enter grade 1 (6 in China).
	AdmissionAge int `json:"admission_age"`
	// FloatingRate is the share of floating children of admission age who
	// enrol in the public school of their catchment.
	FloatingRate float64 `json:"floating_enrolment_rate"`
	// HistoryWeights weight the yearly ratios of the history, most recent
	// year first; years beyond the list are not used.
	HistoryWeights []float64 `json:"history_weights"`
	// Yields[level][dwelling type][s] is pupils of the level per dwelling s
	// years after completion (s = 0 the completion year); the last value
	// holds for later years.
	Yields map[string]map[string][]float64 `json:"yields"`
	// EntryFactor multiplies the fitted birth-to-intake ratio of every
	// catchment (1 = as fitted); EntryFactors overrides it per catchment.
	EntryFactor  float64            `json:"entry_ratio_factor,omitempty"`
	EntryFactors map[string]float64 `json:"entry_ratio_factors,omitempty"`
	// Thresholds turn pressure (demand/seats) into a warning level.
	Thresholds Thresholds `json:"thresholds"`
	// Grades sets a level's first and last grade, e.g. {"primary":[0,5]}
	// for K–5 (grade 0 is kindergarten); a level left out keeps Grades.
	// AdmissionAge stays the age of entry to grade 1, so grade 0 admits
	// children a year younger.
	Grades map[string][2]int `json:"grades,omitempty"`
	// Method is how the ratios are estimated (see Methods); "" is
	// MethodCohort.
	Method string `json:"method,omitempty"`
}

// Thresholds are the pressure ratios at or above which a catchment is red,
// orange or yellow; below Yellow it is green.
type Thresholds struct {
	Red    float64 `json:"red"`
	Orange float64 `json:"orange"`
	Yellow float64 `json:"yellow"`
}

// Warning levels.
const (
	Red    = "red"
	Orange = "orange"
	Yellow = "yellow"
	Green  = "green"
)

// Warning classifies a pressure ratio.
func (t Thresholds) Warning(pressure float64) string {
	switch {
	case pressure >= t.Red:
		return Red
	case pressure >= t.Orange:
		return Orange
	case pressure >= t.Yellow:
		return Yellow
	}
	return Green
}

// DefaultPolicy returns the defaults: admission at 6; 80% of floating
// children enrol; the last five years' ratios weighted 5:4:3:2:1; warnings
// at 100% (red), 95% (orange) and 85% (yellow) of seats. The yields are
// illustrative (pupils per dwelling rising over the first years after
// completion as families move in); set them from local surveys.
func DefaultPolicy() Policy {
	return Policy{
		AdmissionAge:   6,
		FloatingRate:   0.8,
		HistoryWeights: []float64{5, 4, 3, 2, 1},
		Yields: map[string]map[string][]float64{
			Primary: {
				"commodity":  {0.04, 0.08, 0.11, 0.13, 0.14, 0.15},
				"affordable": {0.06, 0.11, 0.15, 0.17, 0.18, 0.19},
				"rental":     {0.03, 0.05, 0.06, 0.07},
			},
			Junior: {
				"commodity":  {0.01, 0.03, 0.04, 0.05, 0.06, 0.07},
				"affordable": {0.02, 0.04, 0.06, 0.07, 0.08, 0.09},
				"rental":     {0.01, 0.02, 0.03, 0.03},
			},
		},
		EntryFactor: 1,
		Thresholds:  Thresholds{Red: 1.0, Orange: 0.95, Yellow: 0.85},
	}
}

// withDefaults is DefaultPolicy for a zero (omitted) policy; otherwise it
// fills p's zero fields from DefaultPolicy, except the floating enrolment
// rate, for which 0 is a rate.
func (p Policy) withDefaults() Policy {
	d := DefaultPolicy()
	if p.AdmissionAge == 0 && p.FloatingRate == 0 && p.HistoryWeights == nil && p.Yields == nil &&
		p.EntryFactor == 0 && p.EntryFactors == nil && p.Thresholds == (Thresholds{}) {
		d.Grades, d.Method = p.Grades, p.Method
		return d
	}
	if p.AdmissionAge == 0 {
		p.AdmissionAge = d.AdmissionAge
	}
	if p.HistoryWeights == nil {
		p.HistoryWeights = d.HistoryWeights
	}
	if p.Yields == nil {
		p.Yields = d.Yields
	}
	if p.EntryFactor == 0 {
		p.EntryFactor = 1
	}
	if p.Thresholds == (Thresholds{}) {
		p.Thresholds = d.Thresholds
	}
	return p
}

// Yield is pupils of the level per dwelling of type typ, s years after
// completion (0 before completion).
func (p Policy) Yield(level, typ string, s int) float64 {
	ys := p.Yields[level][typ]
	if s < 0 || len(ys) == 0 {
		return 0
	}
	if s >= len(ys) {
		s = len(ys) - 1
	}
	return ys[s]
}

func bad(field, format string, args ...any) error { return scenario.Invalid(field, format, args...) }

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate checks the input, naming the first field at fault in a
// *scenario.FieldError: unknown grids, schools or catchments, negative
// counts or seats, a grid in two catchments of one level, a bad policy.
func (in *Input) Validate() error {
	_, err := in.check()
	return err
}

// at names field of the i-th row of a table; called on the error path only.
func at(table string, i int, field string) string { return fmt.Sprintf("%s[%d].%s", table, i, field) }

// index is what validation learns and compile reuses.
type index struct {
	grid      map[string]int // code → position in Grids
	popGrid   []int32        // Population[i] → grid position
	birthGrid []int32        // Births[i] → grid position, or −1−k for areas[k]
	areas     [][]int        // grid positions of the areas births are given for
}

// check validates the input and returns its index.
func (in *Input) check() (*index, error) { return in.checkFrom(nil, nil) }

// sameRows reports whether two slices are the same rows (one shared array).
func sameRows[T any](a, b []T) bool { return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0]) }

// checkFrom is check, trusting the grid, population and birth tables it
// shares with prev (already checked into pidx), as a scenario does.
func (in *Input) checkFrom(prev *Input, pidx *index) (*index, error) {
	reuse := prev != nil && pidx != nil && prev.Year == in.Year && sameRows(prev.Grids, in.Grids)
	if in.Year < 1900 || in.Year > 2200 {
		return nil, bad("year", "base year %d out of range", in.Year)
	}
	if in.PopulationYear != 0 && (in.PopulationYear < in.Year-20 || in.PopulationYear > in.Year+20) {
		return nil, bad("population_year", "%d is more than 20 years from the base year %d", in.PopulationYear, in.Year)
	}
	if len(in.Grids) == 0 {
		return nil, bad("grids", "no grids")
	}
	gridIdx := make(map[string]int, len(in.Grids))
	if reuse {
		gridIdx = pidx.grid
	}
	for i, g := range in.Grids {
		if reuse {
			break
		}
		if g.Code == "" {
			return nil, bad(fmt.Sprintf("grids[%d].code", i), "missing code")
		}
		if _, dup := gridIdx[g.Code]; dup {
			return nil, bad(fmt.Sprintf("grids[%d].code", i), "grid %s listed twice", g.Code)
		}
		gridIdx[g.Code] = i
	}
	known := func(code string) bool { _, ok := gridIdx[code]; return ok }
	var popGrid []int32
	reusePop := reuse && sameRows(prev.Population, in.Population)
	if reusePop {
		popGrid = pidx.popGrid
	} else {
		popGrid = make([]int32, len(in.Population))
	}
	lastCode, lastG, lastOK := "", 0, false // rows come grouped by grid
	lookup := func(code string) (int, bool) {
		if code != lastCode || code == "" {
			lastG, lastOK = gridIdx[code]
			lastCode = code
		}
		return lastG, lastOK
	}
	for i, r := range in.Population {
		if reusePop {
			break
		}
		f := "population"
		g, ok := lookup(r.Grid)
		popGrid[i] = int32(g)
		switch {
		case !ok:
			return nil, bad(at(f, i, "grid"), "unknown grid %q", r.Grid)
		case r.Age < 0 || r.Age > 17:
			return nil, bad(at(f, i, "age"), "age %d outside 0–17", r.Age)
		case r.Residents < 0:
			return nil, bad(at(f, i, "residents"), "negative count %d", r.Residents)
		case r.Floating < 0:
			return nil, bad(at(f, i, "floating"), "negative count %d", r.Floating)
		}
	}
	var birthGrid []int32
	reuseBirths := reuse && sameRows(prev.Births, in.Births)
	if reuseBirths {
		birthGrid = pidx.birthGrid
	} else {
		birthGrid = make([]int32, len(in.Births))
	}
	var pendingArea []int // births rows given by area, resolved once catchments are known
	for i, r := range in.Births {
		if reuseBirths {
			break
		}
		f := "births"
		switch {
		case r.Grid != "" && r.Area != "":
			return nil, bad(at(f, i, "area"), "give a grid or an area, not both")
		case r.Grid == "" && r.Area == "":
			return nil, bad(at(f, i, "grid"), "missing grid or area")
		case r.Births < 0:
			return nil, bad(at(f, i, "births"), "negative births %d", r.Births)
		case r.Year > in.Year || r.Year < in.Year-60:
			return nil, bad(at(f, i, "year"), "year %d is not a past year of base year %d", r.Year, in.Year)
		}
		if r.Grid == "" {
			pendingArea = append(pendingArea, i)
			continue
		}
		g, ok := lookup(r.Grid)
		if !ok {
			return nil, bad(at(f, i, "grid"), "unknown grid %q", r.Grid)
		}
		birthGrid[i] = int32(g)
	}
	catch := make(map[string]string, len(in.Catchments)) // code → level
	// owner[level][grid] is 1 + the index of the catchment holding the grid.
	owner := map[string][]int32{Primary: make([]int32, len(in.Grids)), Junior: make([]int32, len(in.Grids))}
	for i, c := range in.Catchments {
		f := "catchments"
		if c.Code == "" {
			return nil, bad(at(f, i, "code"), "missing code")
		}
		if _, dup := catch[c.Code]; dup {
			return nil, bad(at(f, i, "code"), "catchment %s listed twice", c.Code)
		}
		if c.Level != Primary && c.Level != Junior {
			return nil, bad(at(f, i, "level"), "level %q is not primary or junior", c.Level)
		}
		catch[c.Code] = c.Level
		own := owner[c.Level]
		for j, g := range c.Grids {
			gi, ok := gridIdx[g]
			if !ok {
				return nil, bad(at(f, i, fmt.Sprintf("grids[%d]", j)), "unknown grid %q", g)
			}
			if o := own[gi]; o != 0 {
				return nil, bad(at(f, i, fmt.Sprintf("grids[%d]", j)), "grid %s is already in %s catchment %s: catchments of one level must not overlap", g, c.Level, in.Catchments[o-1].Code)
			}
			own[gi] = int32(i + 1)
		}
	}
	var areas [][]int
	if reuseBirths {
		areas = pidx.areas
	} else if len(pendingArea) > 0 {
		var err error
		if areas, err = in.resolveAreas(pendingArea, birthGrid, gridIdx); err != nil {
			return nil, err
		}
	}
	pol := in.Policy.withDefaults()
	if err := pol.validate(); err != nil {
		return nil, err
	}
	schools := make(map[int64]string, len(in.Schools)) // id → level
	for i, s := range in.Schools {
		f := "schools"
		if _, dup := schools[s.ID]; dup {
			return nil, bad(at(f, i, "id"), "school %d listed twice", s.ID)
		}
		if s.Level != Primary && s.Level != Junior {
			return nil, bad(at(f, i, "level"), "level %q is not primary or junior", s.Level)
		}
		if s.Seats < 0 {
			return nil, bad(at(f, i, "seats"), "negative seats %d", s.Seats)
		}
		lv, ok := catch[s.Catchment]
		if !ok {
			return nil, bad(at(f, i, "catchment"), "unknown catchment %q", s.Catchment)
		}
		if lv != s.Level {
			return nil, bad(at(f, i, "catchment"), "catchment %s is %s, the school %s", s.Catchment, lv, s.Level)
		}
		if s.Grid != "" && !known(s.Grid) {
			return nil, bad(at(f, i, "grid"), "unknown grid %q", s.Grid)
		}
		if s.Closes != 0 && s.Opens != 0 && s.Closes <= s.Opens {
			return nil, bad(at(f, i, "closes"), "closes %d before it opens %d", s.Closes, s.Opens)
		}
		if s.ReassignTo != "" {
			switch lv, ok := catch[s.ReassignTo]; {
			case !ok:
				return nil, bad(at(f, i, "reassign_to"), "unknown catchment %q", s.ReassignTo)
			case lv != s.Level:
				return nil, bad(at(f, i, "reassign_to"), "catchment %s is %s, the school %s", s.ReassignTo, lv, s.Level)
			case s.ReassignTo == s.Catchment:
				return nil, bad(at(f, i, "reassign_to"), "a school's catchment cannot be reassigned to itself")
			case s.Closes == 0:
				return nil, bad(at(f, i, "reassign_to"), "school %d does not close", s.ID)
			}
		}
		seats := s.Seats
		for j, e := range s.Expansions {
			seats += e.Seats
			if seats < 0 {
				return nil, bad(at(f, i, fmt.Sprintf("expansions[%d].seats", j)), "seats would fall below zero")
			}
		}
		schools[s.ID] = s.Level
	}
	for i, r := range in.Enrolment {
		f := "enrolment"
		lv, ok := schools[r.School]
		if !ok {
			return nil, bad(at(f, i, "school_id"), "unknown school %d", r.School)
		}
		if lo, hi := pol.GradeSpan(lv); r.Grade < lo || r.Grade > hi {
			return nil, bad(at(f, i, "grade"), "grade %s is not a %s grade (%s–%s)", GradeName(r.Grade), lv, GradeName(lo), GradeName(hi))
		}
		if r.Pupils < 0 {
			return nil, bad(at(f, i, "pupils"), "negative pupils %d", r.Pupils)
		}
		if r.Year > in.Year || r.Year < in.Year-60 {
			return nil, bad(at(f, i, "year"), "year %d is not a past year of base year %d", r.Year, in.Year)
		}
	}
	if _, err := in.closures(); err != nil {
		return nil, err
	}
	for i, h := range in.Housing {
		f := "housing"
		if !known(h.Grid) {
			return nil, bad(at(f, i, "grid"), "unknown grid %q", h.Grid)
		}
		if h.Completion < in.Year-60 || h.Completion > in.Year+60 {
			return nil, bad(at(f, i, "completion_year"), "completion year %d out of range", h.Completion)
		}
		types := make([]string, 0, len(h.Dwellings))
		for t := range h.Dwellings {
			types = append(types, t)
		}
		sort.Strings(types)
		for _, t := range types {
			if h.Dwellings[t] < 0 {
				return nil, bad(at(f, i, "dwellings."+t), "negative dwellings %d", h.Dwellings[t])
			}
			if _, ok := pol.Yields[Primary][t]; !ok {
				if _, ok := pol.Yields[Junior][t]; !ok {
					return nil, bad(at(f, i, "dwellings."+t), "no pupil yield for dwelling type %q", t)
				}
			}
		}
	}
	for i, m := range in.Moves {
		f := "moves"
		if !known(m.Grid) {
			return nil, bad(at(f, i, "grid"), "unknown grid %q", m.Grid)
		}
		if _, ok := catch[m.To]; !ok {
			return nil, bad(at(f, i, "to"), "unknown catchment %q", m.To)
		}
		if m.Year <= in.Year || m.Year > in.Year+10 {
			return nil, bad(at(f, i, "year"), "a catchment line moves in a projected year (%d–%d), not %d", in.Year+1, in.Year+10, m.Year)
		}
	}
	for c := range pol.EntryFactors {
		if _, ok := catch[c]; !ok {
			return nil, bad("policy.entry_ratio_factors."+c, "unknown catchment %q", c)
		}
	}
	return &index{grid: gridIdx, popGrid: popGrid, birthGrid: birthGrid, areas: areas}, nil
}

func (p Policy) validate() error {
	if p.AdmissionAge < 3 || p.AdmissionAge > 9 {
		return bad("policy.admission_age", "%d outside 3–9", p.AdmissionAge)
	}
	if !finite(p.FloatingRate) || p.FloatingRate < 0 || p.FloatingRate > 1 {
		return bad("policy.floating_enrolment_rate", "%v outside 0–1", p.FloatingRate)
	}
	sum := 0.0
	for i, w := range p.HistoryWeights {
		if !finite(w) || w < 0 {
			return bad(fmt.Sprintf("policy.history_weights[%d]", i), "weight %v is negative", w)
		}
		sum += w
	}
	if sum <= 0 {
		return bad("policy.history_weights", "weights must have a positive sum")
	}
	for lv, m := range p.Yields {
		if lv != Primary && lv != Junior {
			return bad("policy.yields."+lv, "level %q is not primary or junior", lv)
		}
		for t, ys := range m {
			for i, y := range ys {
				if !finite(y) || y < 0 || y > 10 {
					return bad(fmt.Sprintf("policy.yields.%s.%s[%d]", lv, t, i), "yield %v outside 0–10 pupils per dwelling", y)
				}
			}
		}
	}
	if !finite(p.EntryFactor) || p.EntryFactor < 0 || p.EntryFactor > 10 {
		return bad("policy.entry_ratio_factor", "%v outside 0–10", p.EntryFactor)
	}
	for c, x := range p.EntryFactors {
		if !finite(x) || x < 0 || x > 10 {
			return bad("policy.entry_ratio_factors."+c, "%v outside 0–10", x)
		}
	}
	for _, lv := range []string{Primary, Junior} {
		if s, ok := p.Grades[lv]; ok && (s[0] < 0 || s[1] < s[0] || s[1] > 13) {
			return bad("policy.grades."+lv, "span %d–%d: want 0 ≤ first ≤ last ≤ 13", s[0], s[1])
		}
	}
	for lv := range p.Grades {
		if lv != Primary && lv != Junior {
			return bad("policy.grades."+lv, "level %q is not primary or junior", lv)
		}
	}
	if _, pl := p.GradeSpan(Primary); true {
		if jf, _ := p.GradeSpan(Junior); jf != pl+1 {
			return bad("policy.grades", "junior must start the grade after primary ends (primary ends at %s, junior starts at %s)", GradeName(pl), GradeName(jf))
		}
	}
	if !validMethod(p.Method) {
		return bad("policy.method", "%q: want one of %v", p.Method, Methods())
	}
	t := p.Thresholds
	if !(t.Yellow > 0 && t.Yellow <= t.Orange && t.Orange <= t.Red) || !finite(t.Red) {
		return bad("policy.thresholds", "want 0 < yellow ≤ orange ≤ red, got %v/%v/%v", t.Yellow, t.Orange, t.Red)
	}
	return nil
}

// Name is the district's name for titles (empty unless set by FromDistrict).
func (in *Input) Name() string { return in.District }

// closure is a catchment whose last school closes in Year, its grids and
// pupils going to catchment To ("" when no school names one).
type closure struct {
	Catchment, To string
	Year          int
	school        int // index in Schools of the school naming To (or closing last)
}

// closures lists the catchments all of whose schools close, checking the
// reassignments: a school naming reassign_to must be its catchment's last
// open school, and a catchment closed by the base year must name one.
func (in *Input) closures() ([]closure, error) {
	byCatch := map[string][]int{}
	var order []string
	for i, s := range in.Schools {
		if _, ok := byCatch[s.Catchment]; !ok {
			order = append(order, s.Catchment)
		}
		byCatch[s.Catchment] = append(byCatch[s.Catchment], i)
	}
	var out []closure
	for _, c := range order {
		ss := byCatch[c]
		cl := closure{Catchment: c, school: -1}
		open := -1
		for _, i := range ss {
			s := in.Schools[i]
			if s.Closes == 0 {
				open = i
				continue
			}
			if s.Closes > cl.Year || (s.Closes == cl.Year && cl.To == "") {
				cl.Year, cl.school = s.Closes, i
				if s.ReassignTo != "" {
					cl.To = s.ReassignTo
				}
			}
		}
		if open >= 0 {
			for _, i := range ss {
				if in.Schools[i].ReassignTo != "" {
					return nil, bad(at("schools", i, "reassign_to"), "catchment %s keeps school %d open: only its last school's closure reassigns it", c, in.Schools[open].ID)
				}
			}
			continue
		}
		if cl.school < 0 {
			continue
		}
		if in.Schools[cl.school].ReassignTo == "" && cl.To == "" && cl.Year <= in.Year {
			return nil, bad(at("schools", cl.school, "reassign_to"), "school %d closed in %d, by the base year %d: name the catchment its pupils went to", in.Schools[cl.school].ID, cl.Year, in.Year)
		}
		out = append(out, cl)
	}
	return out, nil
}

// resolveAreas looks up the area of each births row in rows, setting
// birthGrid[i] to −1−k for the k-th distinct area, and returns the areas'
// grid positions.
func (in *Input) resolveAreas(rows []int, birthGrid []int32, gridIdx map[string]int) ([][]int, error) {
	named := map[string][]string{}
	for i, a := range in.Areas {
		if a.Code == "" {
			return nil, bad(at("areas", i, "code"), "missing code")
		}
		if _, dup := named[a.Code]; dup {
			return nil, bad(at("areas", i, "code"), "area %s listed twice", a.Code)
		}
		for j, g := range a.Grids {
			if _, ok := gridIdx[g]; !ok {
				return nil, bad(at("areas", i, fmt.Sprintf("grids[%d]", j)), "unknown grid %q", g)
			}
		}
		named[a.Code] = a.Grids
	}
	k := map[string]int{}
	var areas [][]int
	for _, i := range rows {
		code := in.Births[i].Area
		if n, ok := k[code]; ok {
			birthGrid[i] = int32(-1 - n)
			continue
		}
		var gs []int
		if g, ok := gridIdx[code]; ok {
			gs = []int{g}
		} else if list, ok := named[code]; ok {
			for _, g := range list {
				gs = append(gs, gridIdx[g])
			}
		} else {
			for gi, g := range in.Grids {
				if g.Street == code {
					gs = append(gs, gi)
				}
			}
			if gs == nil {
				for _, c := range in.Catchments {
					if c.Code == code {
						for _, g := range c.Grids {
							gs = append(gs, gridIdx[g])
						}
						break
					}
				}
			}
			if gs == nil && code == DistrictArea {
				for gi := range in.Grids {
					gs = append(gs, gi)
				}
			}
		}
		if len(gs) == 0 {
			return nil, bad(at("births", i, "area"), "unknown area %q: want a grid, an areas entry, a street, a catchment or %q", code, DistrictArea)
		}
		k[code] = len(areas)
		birthGrid[i] = int32(-1 - len(areas))
		areas = append(areas, gs)
	}
	return areas, nil
}
