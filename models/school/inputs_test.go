package school

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onemap/onemap/models/scenario"
)

// kFive is steady() as a K–5 district: grades 0–5, so kindergarten admits
// the births of five years before (admission age 6 is the age of grade 1).
func kFive(base int) *Input {
	in := steady(base)
	in.Policy.Grades = map[string][2]int{Primary: {0, 5}}
	for i := range in.Enrolment {
		in.Enrolment[i].Grade--
	}
	return in
}

// TestGradeSpanK5: with grades K–5, kindergarten in base+1 is the births
// of base−4 times the intake ratio, and the series run K…5.
func TestGradeSpanK5(t *testing.T) {
	in := kFive(2024)
	for i := range in.Births {
		if in.Births[i].Year == 2020 && in.Births[i].Grid == "G1" {
			in.Births[i].Births = 150 // born 2020: kindergarten 2025
		}
	}
	r, err := Project(in, Options{Years: 2})
	if err != nil {
		t.Fatal(err)
	}
	p := series(t, r, "catchment", "PA", Primary)
	if p.FirstGrade != 0 || len(p.Points[0].Grades) != 6 {
		t.Fatalf("first grade %d, %d grades", p.FirstGrade, len(p.Points[0].Grades))
	}
	near(t, "K 2025", p.Points[0].Grades[0], 150)
	near(t, "grade 1 2026", p.Points[1].Grades[1], 150)
	in.Enrolment[0].Grade = 6
	var fe *scenario.FieldError
	if _, err := Project(in, Options{Years: 1}); !errors.As(err, &fe) || fe.Field != "enrolment[0].grade" || !strings.Contains(fe.Message, "K–5") {
		t.Errorf("grade 6 in a K–5 district: %v", err)
	}
	in = kFive(2024)
	in.Policy.Grades = map[string][2]int{Primary: {0, 5}, Junior: {7, 9}}
	if _, err := Project(in, Options{Years: 1}); !errors.As(err, &fe) || fe.Field != "policy.grades" {
		t.Errorf("a gap between primary and junior: %v", err)
	}
}

// TestBirthsByArea: births given for the district, a street or a named
// area are apportioned to grids by their children aged 0, else by their
// catchments' recent intake, else equally; the projection matches births
// given per grid.
func TestBirthsByArea(t *testing.T) {
	perGrid := steady(2024)
	want, err := Project(perGrid, Options{Years: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, area := range []string{DistrictArea, "S", "H1"} {
		in := steady(2024)
		in.Areas = []Area{{Code: "H1", Grids: []string{"G1", "G2"}}}
		var bs []BirthRow
		for _, b := range in.Births {
			if b.Grid == "G1" {
				bs = append(bs, BirthRow{Area: area, Year: b.Year, Births: 200})
			}
		}
		in.Births = bs
		// No children aged 0 recorded: by intake (equal here).
		got, err := Project(in, Options{Years: 3})
		if err != nil {
			t.Fatalf("%s: %v", area, err)
		}
		for i, s := range got.Catchments {
			for h, p := range s.Points {
				near(t, area+" "+s.Code, p.Demand, want.Catchments[i].Points[h].Demand)
			}
		}
	}
	// By children aged 0: G1 has 3 of 4, so it takes 150 of 200 births; its
	// intake ratio, fitted on that share, still gives 100 pupils a grade.
	in := steady(2024)
	in.Population = []AgeRow{{Grid: "G1", Age: 0, Residents: 3}, {Grid: "G2", Age: 0, Residents: 1}}
	var bs []BirthRow
	for _, b := range in.Births {
		if b.Grid == "G1" {
			bs = append(bs, BirthRow{Area: DistrictArea, Year: b.Year, Births: 200})
		}
	}
	in.Births = bs
	r, err := Project(in, Options{Years: 1})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "PA entry ratio", series(t, r, "catchment", "PA", Primary).Ratios.Entry, 100.0/150)
	near(t, "PB entry ratio", series(t, r, "catchment", "PB", Primary).Ratios.Entry, 100.0/50)
	for _, c := range []struct {
		field string
		edit  func(*Input)
	}{
		{"births[0].area", func(in *Input) { in.Births[0] = BirthRow{Area: "nowhere", Year: 2020, Births: 1} }},
		{"births[0].area", func(in *Input) { in.Births[0] = BirthRow{Grid: "G1", Area: "S", Year: 2020, Births: 1} }},
		{"births[0].grid", func(in *Input) { in.Births[0] = BirthRow{Year: 2020, Births: 1} }},
		{"areas[0].grids[0]", func(in *Input) {
			in.Areas = []Area{{Code: "H", Grids: []string{"G9"}}}
			in.Births[0] = BirthRow{Area: "H", Year: 2020, Births: 1}
		}},
	} {
		in := steady(2024)
		c.edit(in)
		var fe *scenario.FieldError
		if _, err := Project(in, Options{Years: 1}); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: got %v", c.field, err)
		}
	}
}

// TestClosureReassigns: school 2 (PB) closes in 2026 and reassigns PB to
// PA. From 2026 PB has no pupils and PA has both catchments' (the
// district total is as without the closure); a closure in 2022 (before the
// base year) merges PB into PA over the whole history; a past closure
// without reassign_to is refused.
func TestClosureReassigns(t *testing.T) {
	base, err := Project(steady(2024), Options{Years: 4})
	if err != nil {
		t.Fatal(err)
	}
	in := steady(2024)
	in.Schools[1].Closes, in.Schools[1].ReassignTo = 2026, "PA"
	r, err := Project(in, Options{Years: 4})
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := series(t, r, "catchment", "PA", Primary), series(t, r, "catchment", "PB", Primary)
	for h, y := range r.Years {
		wantA, wantB := 600.0, 600.0
		if y >= 2026 {
			wantA, wantB = 1200, 0
		}
		near(t, "PA demand", pa.Points[h].Demand, wantA)
		near(t, "PB demand", pb.Points[h].Demand, wantB)
		near(t, "district", r.District[0].Points[h].Demand, base.District[0].Points[h].Demand)
		if y >= 2026 && (pb.Points[h].Seats != 0 || pb.Points[h].Warning != Green) {
			t.Errorf("%d: closed PB has %d seats, %s", y, pb.Points[h].Seats, pb.Points[h].Warning)
		}
	}
	// A past closure: school 2's pupils went to school 1 from 2022.
	in = steady(2024)
	in.Schools[1].Closes, in.Schools[1].ReassignTo = 2022, "PA"
	kept := in.Enrolment[:0]
	for _, e := range in.Enrolment {
		if e.School == 2 && e.Year >= 2022 {
			continue
		}
		if e.Year >= 2022 {
			e.Pupils = 200
		}
		kept = append(kept, e)
	}
	in.Enrolment = kept
	r, err = Project(in, Options{Years: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Catchments) != 1 || r.Catchments[0].Code != "PA" {
		t.Fatalf("catchments after a past closure: %+v", r.Catchments)
	}
	pa = r.Catchments[0]
	near(t, "merged history 2020", pa.History[len(pa.History)-5].Demand, 1200)
	near(t, "merged entry ratio", pa.Ratios.Entry, 1)
	for _, p := range pa.Points {
		near(t, "merged demand", p.Demand, 1200)
	}
	in.Schools[1].ReassignTo = ""
	var fe *scenario.FieldError
	if _, err := Project(in, Options{Years: 1}); !errors.As(err, &fe) || fe.Field != "schools[1].reassign_to" {
		t.Errorf("past closure without reassign_to: %v", err)
	}
	in.Schools[1].ReassignTo = "PB"
	if _, err := Project(in, Options{Years: 1}); !errors.As(err, &fe) || fe.Field != "schools[1].reassign_to" {
		t.Errorf("reassigned to itself: %v", err)
	}
}

// TestPlannerCSV: the planner's CSV tables (testdata/planner: K–5
// headcounts in long form, district births, four schools of which
// Roosevelt closed in 2021 with its catchment going to Lincoln, housing)
// load and run as they are.
func TestPlannerCSV(t *testing.T) {
	in, err := LoadCSV("testdata/planner")
	if err != nil {
		t.Fatal(err)
	}
	if in.Year != 2024 || in.Policy.Grades[Primary] != [2]int{0, 5} || len(in.Schools) != 4 || len(in.Housing) != 2 || in.Housing[0].Dwellings["affordable"] != 120 {
		t.Fatalf("loaded %d, grades %v, %d schools, housing %+v", in.Year, in.Policy.Grades, len(in.Schools), in.Housing)
	}
	r, err := Project(in, Options{Years: 5})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, s := range r.Catchments {
		codes = append(codes, s.Code)
		if s.FirstGrade != 0 || len(s.Points[0].Grades) != 6 {
			t.Errorf("%s: first grade %d", s.Code, s.FirstGrade)
		}
	}
	if strings.Join(codes, ",") != "LIN,WAS,JEF" {
		t.Errorf("catchments %v: Roosevelt (closed 2021) should be merged into Lincoln", codes)
	}
	// Lincoln's history holds Roosevelt's pupils before the closure, so
	// the merged series is continuous across 2021.
	lin := series(t, r, "catchment", "LIN", Primary)
	for i := 1; i < len(lin.History); i++ {
		if d := lin.History[i].Demand / lin.History[i-1].Demand; d < 0.9 || d > 1.1 {
			t.Errorf("Lincoln's history jumps %.2f× in %d", d, lin.History[i].Year)
		}
	}
	// Riverside Flats add Washington pupils from 2026.
	was := series(t, r, "catchment", "WAS", Primary)
	if was.Points[0].Housing != 0 || was.Points[1].Housing <= 0 {
		t.Errorf("Washington housing pupils %v, %v", was.Points[0].Housing, was.Points[1].Housing)
	}
	var o, e strings.Builder
	if code := RunCLI([]string{"--input", "testdata/planner", "--years", "5"}, &o, &e); code != 0 || !strings.Contains(o.String(), "base year 2024") {
		t.Errorf("CLI: %d %s %s", code, e.String(), o.String())
	}
	// Bad tables name the file, line and column.
	dir := t.TempDir()
	for name, body := range map[string]string{
		"enrolment.csv": "school,year,grade,pupils\nLIN,2024,K,12\nLIN,2024,X,3\n",
		"schools.csv":   "school,seats\nLIN,100\n",
	} {
		_ = os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	if _, err := LoadCSV(dir); err == nil || !strings.Contains(err.Error(), "enrolment.csv:3 grade") {
		t.Errorf("bad grade: %v", err)
	}
	_ = os.WriteFile(filepath.Join(dir, "enrolment.csv"), []byte("what,ever\n1,2\n"), 0o644)
	if _, err := LoadCSV(dir); err == nil || !strings.Contains(err.Error(), "is not an enrolment") {
		t.Errorf("unknown table: %v", err)
	}
}

// TestScenarioCloseReassigns: close_school with reassign_to sends the
// closed catchment's pupils to the named one.
func TestScenarioCloseReassigns(t *testing.T) {
	in, err := Apply(steady(2024), []scenario.Change{change(OpCloseSchool, map[string]any{"id": 2, "year": 2026, "reassign_to": "PA"})})
	if err != nil {
		t.Fatal(err)
	}
	r, err := Project(in, Options{Years: 3})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "PA 2026", series(t, r, "catchment", "PA", Primary).Points[1].Demand, 1200)
	near(t, "PB 2026", series(t, r, "catchment", "PB", Primary).Points[1].Demand, 0)
	for _, to := range []string{"PB", "nowhere"} {
		var fe *scenario.FieldError
		if _, err := Apply(steady(2024), []scenario.Change{change(OpCloseSchool, map[string]any{"id": 2, "year": 2026, "reassign_to": to})}); !errors.As(err, &fe) || !strings.HasSuffix(fe.Field, "params.reassign_to") {
			t.Errorf("reassign_to %s: %v", to, err)
		}
	}
}

// TestDemoBirthsAtEveryLevel: the demo district's births given per
// community, per street or for the whole district (summed from its grid
// records) are apportioned to the grids by their children aged 0 and
// project close to the grid records: the district within 2% of the grid
// births' projection five years ahead.
func TestDemoBirthsAtEveryLevel(t *testing.T) {
	in := demoInput(t)
	want, err := Project(in, Options{Years: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Areas) == 0 {
		t.Fatal("no community areas")
	}
	commOf := map[string]string{}
	for _, a := range in.Areas {
		for _, g := range a.Grids {
			commOf[g] = a.Code
		}
	}
	streetOf := map[string]string{}
	for _, g := range in.Grids {
		streetOf[g.Code] = g.Street
	}
	for _, level := range []string{"community", "street", DistrictArea} {
		sum := map[[2]any]int{}
		for _, b := range in.Births {
			area := map[string]string{"community": commOf[b.Grid], "street": streetOf[b.Grid], DistrictArea: DistrictArea}[level]
			sum[[2]any{area, b.Year}] += b.Births
		}
		cp := *in
		cp.Births = nil
		for k, n := range sum {
			cp.Births = append(cp.Births, BirthRow{Area: k[0].(string), Year: k[1].(int), Births: n})
		}
		got, err := Project(&cp, Options{Years: 5})
		if err != nil {
			t.Fatalf("%s: %v", level, err)
		}
		for i, d := range got.District {
			w := want.District[i].Points[4].Demand
			if g := d.Points[4].Demand; math.Abs(g-w)/w > 0.02 {
				t.Errorf("births by %s: %s demand %.0f in 5 years, %.0f from grid births", level, d.Level, g, w)
			}
		}
	}
}
