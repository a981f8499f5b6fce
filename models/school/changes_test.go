package school

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/onemap/onemap/models/scenario"
)

// three is a district of three grids (G1 in street S1, G2 and G3 in S2)
// with primary catchments P (G1) and P2 (G2, G3) and junior J over all.
func three() *Input {
	in := conserving()
	in.Grids = append(in.Grids, Grid{Code: "G2", Street: "S2"}, Grid{Code: "G3", Street: "S2"})
	in.Catchments = append(in.Catchments, Catchment{Code: "P2", Level: Primary, Grids: []string{"G2", "G3"}})
	in.Catchments[1].Grids = []string{"G1", "G2", "G3"}
	in.Schools = append(in.Schools, School{ID: 3, Level: Primary, Seats: 500, Catchment: "P2", Grid: "G2"})
	in.Population = []AgeRow{{"G1", 8, 100, 0}, {"G2", 8, 30, 0}, {"G3", 9, 10, 5}}
	in.Policy.Yields = DefaultPolicy().Yields
	for y := 2019; y <= 2024; y++ {
		in.Enrolment = append(in.Enrolment, enrol(3, y, 1, 50, 50, 50, 50, 50, 50)...)
	}
	for y := 2013; y <= 2024; y++ {
		in.Births = append(in.Births, BirthRow{Grid: "G2", Year: y, Births: 25}, BirthRow{Grid: "G3", Year: y, Births: 20 + y%4})
	}
	return in
}

func change(op string, params any) scenario.Change {
	b, err := json.Marshal(params)
	if err != nil {
		panic(err)
	}
	return scenario.Change{Op: op, Params: b}
}

func points(r *Result, code, level string) []Point {
	for _, s := range r.Catchments {
		if s.Code == code && s.Level == level {
			return s.Points
		}
	}
	return nil
}

// TestScenarioHousingAddsExactlyItsYield: 3,000 commodity dwellings
// completed in 2026 in grid G3 (catchment P2, and J). Under the default
// yields the primary demand of P2 rises by 3000 × (0.04, 0.08, 0.11, 0.13,
// 0.14, 0.15, 0.15, …) in 2026, 2027, … = 120, 240, 330, 390, 420, 450, …
// and the junior demand of J by 3000 × (0.01, 0.03, 0.04, 0.05, 0.06,
// 0.07, …) = 30, 90, 120, 150, 180, 210, …; nothing changes in 2025 or in
// catchment P.
func TestScenarioHousingAddsExactlyItsYield(t *testing.T) {
	base := three()
	before, _ := json.Marshal(base)
	ch := []scenario.Change{change(OpAddHousing, Housing{Name: "Big estate", Grid: "G3", Dwellings: map[string]int{"commodity": 3000}, Completion: 2026})}
	b, a, err := RunPair(base, ch, Options{Years: 10})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := json.Marshal(base)
	if string(before) != string(after) {
		t.Fatal("applying the scenario changed the baseline input")
	}
	primary := []float64{0, 120, 240, 330, 390, 420, 450, 450, 450, 450}
	junior := []float64{0, 30, 90, 120, 150, 180, 210, 210, 210, 210}
	for h := range 10 {
		near(t, "P2", points(a, "P2", Primary)[h].Demand-points(b, "P2", Primary)[h].Demand, primary[h])
		near(t, "J", points(a, "J", Junior)[h].Demand-points(b, "J", Junior)[h].Demand, junior[h])
		if d := points(a, "P", Primary)[h].Demand - points(b, "P", Primary)[h].Demand; d != 0 {
			t.Errorf("P changed by %v in %d", d, 2025+h)
		}
		near(t, "P2 housing", points(a, "P2", Primary)[h].Housing, primary[h])
	}
	// The comparison shows the same.
	deltas := scenario.Compare(Values(b), Values(a))
	for _, d := range deltas {
		if d.Metric != "demand" || d.Diff == 0 {
			continue
		}
		switch d.Key {
		case "P2":
			near(t, "delta P2", d.Diff, primary[d.Year-2025])
		case "J":
			near(t, "delta J", d.Diff, junior[d.Year-2025])
		case "district/primary":
			near(t, "delta district", d.Diff, primary[d.Year-2025])
		case "district/junior":
			near(t, "delta district", d.Diff, junior[d.Year-2025])
		default:
			t.Errorf("unexpected change %+v", d)
		}
	}
}

func TestScenarioSchoolsAndLines(t *testing.T) {
	base := three()
	cases := []struct {
		name  string
		ch    []scenario.Change
		check func(t *testing.T, b, a *Result)
	}{
		{"close", []scenario.Change{change(OpCloseSchool, closeParams{ID: 3, Year: 2027})}, func(t *testing.T, b, a *Result) {
			p := points(a, "P2", Primary)
			if p[1].Seats != 500 || p[2].Seats != 0 || p[2].Warning != Red {
				t.Errorf("closed school: %+v %+v", p[1], p[2])
			}
			near(t, "demand unchanged", p[5].Demand, points(b, "P2", Primary)[5].Demand)
		}},
		{"expand", []scenario.Change{change(OpExpandSchool, expandParams{ID: 1, Seats: 250, Year: 2026})}, func(t *testing.T, b, a *Result) {
			p := points(a, "P", Primary)
			if p[0].Seats != 1000 || p[1].Seats != 1250 || p[9].Seats != 1250 {
				t.Errorf("expanded: %d %d %d", p[0].Seats, p[1].Seats, p[9].Seats)
			}
		}},
		{"add to catchment", []scenario.Change{change(OpAddSchool, School{Name: "New", Level: Primary, Seats: 300, Catchment: "P", Opens: 2028})}, func(t *testing.T, b, a *Result) {
			p := points(a, "P", Primary)
			if p[2].Seats != 1000 || p[3].Seats != 1300 {
				t.Errorf("added: %d %d", p[2].Seats, p[3].Seats)
			}
		}},
		{"new catchment takes G3", []scenario.Change{change(OpAddSchool, addSchoolParams{
			School:       School{Name: "New", Level: Primary, Seats: 300, Opens: 2027},
			NewCatchment: &Catchment{Code: "P3", Grids: []string{"G3"}},
		})}, func(t *testing.T, b, a *Result) {
			p3 := points(a, "P3", Primary)
			p2a, p2b := points(a, "P2", Primary), points(b, "P2", Primary)
			if p3 == nil || p3[1].Demand != 0 || p3[2].Grades[0] == 0 || p3[2].Grades[1] != 0 || p3[2].Seats != 300 {
				t.Fatalf("P3: %+v", p3)
			}
			// Admissions from G3 (21 births in 2021) move: P2's grade 1 in
			// 2027 drops by P2's ratio × 21; P3, without history, admits the
			// district's ratio × 21; pupils already enrolled stay.
			var rP2, rP3 float64
			for _, s := range a.Catchments {
				switch s.Code {
				case "P2":
					rP2 = s.Ratios.Entry
				case "P3":
					rP3 = s.Ratios.Entry
					if !s.Ratios.Pooled {
						t.Error("P3 not pooled")
					}
				}
			}
			near(t, "intake left P2", p2b[2].Grades[0]-p2a[2].Grades[0], rP2*21)
			near(t, "intake of P3", p3[2].Grades[0], rP3*21)
			near(t, "grade 2 stays", p2a[2].Grades[1], p2b[2].Grades[1])
		}},
		{"move line", []scenario.Change{change(OpMoveGrid, Move{Grid: "G3", To: "P", Year: 2026})}, func(t *testing.T, b, a *Result) {
			pa, pb := points(a, "P", Primary), points(b, "P", Primary)
			if pa[0].Grades[0] != pb[0].Grades[0] || pa[1].Grades[0] <= pb[1].Grades[0] {
				t.Errorf("moved line: %v→%v, %v→%v", pb[0].Grades[0], pa[0].Grades[0], pb[1].Grades[0], pa[1].Grades[0])
			}
			var da, db float64
			for _, c := range []string{"P", "P2"} {
				da += points(a, c, Primary)[1].Grades[0]
				db += points(b, c, Primary)[1].Grades[0]
			}
			if math.Abs(da-db) > 1e-6*db && points(a, "P", Primary)[1].Grades[0] == 0 {
				t.Errorf("district intake %v vs %v", da, db)
			}
		}},
		{"floating rate", []scenario.Change{change(OpSetRate, rateParams{Rate: "floating_enrolment_rate", Value: ptr(0.2)})}, func(t *testing.T, b, a *Result) {
			// No floating children of admission age in three(): no change.
			near(t, "same", points(a, "P", Primary)[3].Demand, points(b, "P", Primary)[3].Demand)
		}},
		{"entry factor", []scenario.Change{change(OpSetRate, rateParams{Rate: "entry_ratio_factor", Value: ptr(1.1), Catchment: "P"})}, func(t *testing.T, b, a *Result) {
			near(t, "grade 1 ×1.1", points(a, "P", Primary)[0].Grades[0], 1.1*points(b, "P", Primary)[0].Grades[0])
			near(t, "P2 same", points(a, "P2", Primary)[0].Grades[0], points(b, "P2", Primary)[0].Grades[0])
		}},
		{"thresholds", []scenario.Change{change(OpSetRate, rateParams{Rate: "thresholds", Thresholds: &Thresholds{Red: 0.1, Orange: 0.05, Yellow: 0.01}})}, func(t *testing.T, b, a *Result) {
			if w := points(a, "P", Primary)[0].Warning; w != Red {
				t.Errorf("warning %s", w)
			}
		}},
		{"delay housing", []scenario.Change{
			change(OpAddHousing, Housing{ID: 7, Grid: "G1", Dwellings: map[string]int{"commodity": 1000}, Completion: 2026}),
			change(OpDelayHousing, delayParams{ID: 7, Years: 2}),
		}, func(t *testing.T, b, a *Result) {
			d := points(a, "P", Primary)[3].Demand - points(b, "P", Primary)[3].Demand // 2028: first year
			near(t, "delayed", d, 40)
			near(t, "before", points(a, "P", Primary)[2].Demand-points(b, "P", Primary)[2].Demand, 0)
		}},
		{"yield", []scenario.Change{
			change(OpAddHousing, Housing{Grid: "G1", Dwellings: map[string]int{"rental": 100}, Completion: 2025}),
			change(OpSetRate, rateParams{Rate: "yield", Level: Primary, Type: "rental", Values: []float64{1}}),
		}, func(t *testing.T, b, a *Result) {
			near(t, "yield 1", points(a, "P", Primary)[0].Housing, 100)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, _ := json.Marshal(base)
			b, a, err := RunPair(base, c.ch, Options{Years: 10})
			if err != nil {
				t.Fatal(err)
			}
			after, _ := json.Marshal(base)
			if string(before) != string(after) {
				t.Fatal("the baseline input changed")
			}
			c.check(t, b, a)
		})
	}
	if !reflect.DeepEqual(base.Policy.Yields, DefaultPolicy().Yields) {
		t.Fatal("baseline yields changed")
	}
}

func ptr[T any](v T) *T { return &v }

func TestScenarioBadChanges(t *testing.T) {
	cases := []struct {
		field string
		ch    scenario.Change
	}{
		{"[0].params.seats", change(OpAddSchool, School{Level: Primary, Seats: -5, Catchment: "P"})},
		{"[0].params.id", change(OpExpandSchool, expandParams{ID: 42, Seats: 10, Year: 2026})},
		{"[0].params.id", change(OpCloseSchool, closeParams{ID: 42, Year: 2026})},
		{"[0].params.grid", change(OpAddHousing, Housing{Grid: "nowhere", Dwellings: map[string]int{"commodity": 1}, Completion: 2026})},
		{"[0].params.grid", change(OpMoveGrid, Move{Grid: "nowhere", To: "P", Year: 2026})},
		{"[0].params.to", change(OpMoveGrid, Move{Grid: "G1", To: "X", Year: 2026})},
		{"[0].params.year", change(OpMoveGrid, Move{Grid: "G1", To: "P2", Year: 2040})},
		{"[0].params.year", change(OpCloseSchool, closeParams{ID: 1, Year: 2024})},
		{"[0].params.catchment", change(OpAddSchool, School{Level: Junior, Seats: 5, Catchment: "P"})},
		{"[0].params.new_catchment.grids[1]", change(OpAddSchool, addSchoolParams{School: School{Level: Primary, Seats: 5},
			NewCatchment: &Catchment{Code: "N", Grids: []string{"G1", "G1"}}})},
		{"[0].params.seats", change(OpExpandSchool, expandParams{ID: 1, Seats: -1001, Year: 2026})},
		{"[0].params.dwellings.commodity", change(OpAddHousing, Housing{Grid: "G1", Dwellings: map[string]int{"commodity": -1}, Completion: 2026})},
		{"[0].params.bogus", scenario.Change{Op: OpMoveGrid, Params: json.RawMessage(`{"grid":"G1","to":"P","year":2026,"bogus":1}`)}},
		{"[0].params.year", scenario.Change{Op: OpMoveGrid, Params: json.RawMessage(`{"grid":"G1","to":"P","year":"soon"}`)}},
		{"[0].op", scenario.Change{Op: "demolish", Params: json.RawMessage(`{}`)}},
		{"[0].params.value", change(OpSetRate, rateParams{Rate: "floating_enrolment_rate", Value: ptr(2.0)})},
		{"[0].params.rate", change(OpSetRate, rateParams{Rate: "mood"})},
	}
	base := three()
	for _, c := range cases {
		_, err := Apply(base, []scenario.Change{c.ch})
		var fe *scenario.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s %s: got %v, want field %s", c.ch.Op, c.ch.Params, err, c.field)
		}
	}
	// Two new catchments claiming one grid overlap.
	_, err := Apply(base, []scenario.Change{
		change(OpAddSchool, addSchoolParams{School: School{Level: Primary, Seats: 5}, NewCatchment: &Catchment{Code: "N1", Grids: []string{"G2"}}}),
		change(OpAddSchool, addSchoolParams{School: School{Level: Primary, Seats: 5}, NewCatchment: &Catchment{Code: "N2", Grids: []string{"G3", "G2"}}}),
	})
	var fe *scenario.FieldError
	if !errors.As(err, &fe) || fe.Field != "[1].params.new_catchment.grids[1]" {
		t.Errorf("overlap: %v", err)
	}
}

// TestServiceStoresNothingInvalid: through the scenario service, a bad
// school scenario is refused before the store sees it.
func TestServiceStoresNothingInvalid(t *testing.T) {
	base := three()
	svc := scenario.NewService(scenario.NewMemory(), map[string]scenario.Model{
		Name: Scenarios{Baseline: func(context.Context) (*Input, error) { return base, nil }},
	})
	ctx := context.Background()
	good, err := svc.Create(ctx, scenario.Scenario{Model: Name, Name: "estate", Changes: []scenario.Change{
		change(OpAddHousing, Housing{Grid: "G3", Dwellings: map[string]int{"commodity": 3000}, Completion: 2026})}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Create(ctx, scenario.Scenario{Model: Name, Name: "bad", Changes: []scenario.Change{
		change(OpAddHousing, Housing{Grid: "G3", Dwellings: map[string]int{"commodity": 3000}, Completion: 2026}),
		change(OpAddSchool, School{Level: Primary, Seats: -1, Catchment: "P"})}})
	var fe *scenario.FieldError
	if !errors.As(err, &fe) || fe.Field != "changes[1].params.seats" {
		t.Fatalf("got %v", err)
	}
	list, _ := svc.List(ctx, Name)
	if len(list) != 1 || list[0].ID != good.ID {
		t.Fatalf("store holds %+v", list)
	}
	_, d, err := svc.Compare(ctx, good.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range d {
		if x.Key == "P2" && x.Year == 2027 && x.Metric == "demand" {
			near(t, "P2 2027", x.Diff, 240)
		}
	}
}
