package demand

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/scenario"
	"github.com/paulmach/orb"
)

func square(x, y float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x, y}, {x + 1, y}, {x + 1, y + 1}, {x, y + 1}, {x, y}}}}
}

func feature(id int64, g orb.Geometry, props map[string]any) layers.Feature {
	return layers.Feature{ID: id, Geometry: g, Properties: props}
}

// tiny is a district of two streets (S1, S2), three communities (C1, C2 in
// S1; C3 in S2) and four unit-square grids G1..G4 (G1, G2 in C1; G3 in C2;
// G4 in C3).
func tiny() (map[string][]layers.Feature, []data.GroupRow) {
	f := map[string][]layers.Feature{
		layers.Streets: {
			feature(1, square(0, 0), map[string]any{"code": "S1", "name": "Street 1"}),
			feature(2, square(3, 0), map[string]any{"code": "S2", "name": "Street 2"}),
		},
		layers.Communities: {
			feature(11, square(0, 0), map[string]any{"code": "C1", "name": "Comm 1", "parent_code": "S1"}),
			feature(12, square(2, 0), map[string]any{"code": "C2", "name": "Comm 2", "parent_code": "S1"}),
			feature(13, square(3, 0), map[string]any{"code": "C3", "name": "Comm 3", "parent_code": "S2"}),
		},
		layers.Grids: {
			feature(21, square(0, 0), map[string]any{"code": "G1", "parent_code": "C1", "residents": int64(1000), "floating": int64(200)}),
			feature(22, square(1, 0), map[string]any{"code": "G2", "parent_code": "C1", "residents": int64(2000), "floating": int64(0)}),
			feature(23, square(2, 0), map[string]any{"code": "G3", "parent_code": "C2", "residents": int64(3000), "floating": int64(500)}),
			feature(24, square(3, 0), map[string]any{"code": "G4", "parent_code": "C3", "residents": int64(4000), "floating": int64(1000)}),
		},
		layers.ElderlyCare: {
			feature(31, orb.Point{0.5, 0.5}, map[string]any{"name": "Home A", "beds": int64(10), "grid_code": "G1"}),
			// No grid code: located by its point in G3.
			feature(32, orb.Point{2.5, 0.5}, map[string]any{"name": "Home B", "beds": int64(20)}),
		},
		layers.Hospitals: {
			feature(41, orb.Point{3.5, 0.5}, map[string]any{"name": "Hospital", "beds": int64(50), "grid_code": "G4"}),
		},
	}
	g := []data.GroupRow{
		{Grid: "G1", Aged60Plus: 400, WorkingAge: 600, Dwellings: 500, Jobs: 100},
		{Grid: "G2", Aged60Plus: 200, WorkingAge: 1400, Dwellings: 800, Jobs: 2000},
		{Grid: "G3", Aged60Plus: 600, WorkingAge: 2000, Dwellings: 1200, Jobs: 500},
		{Grid: "G4", Aged60Plus: 800, WorkingAge: 2600, Dwellings: 1500, Jobs: 1000},
	}
	return f, g
}

func row(t *testing.T, tb Table, code string) Row {
	t.Helper()
	for _, r := range tb.Rows {
		if r.Code == code {
			return r
		}
	}
	t.Fatalf("no row %s in %+v", code, tb.Rows)
	return Row{}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9*math.Max(1, math.Abs(b)) }

// TestHandComputed checks demand, supply and gap worked by hand.
func TestHandComputed(t *testing.T) {
	f, g := tiny()
	in, err := Build(f, g)
	if err != nil {
		t.Fatal(err)
	}
	st := DefaultStandards()
	// Elderly care, 35 per 1,000 aged 60+: G1 400 → 14 beds, supply 10,
	// gap 4; G3 600 → 21, supply 20 (Home B located by point), gap 1.
	tb, err := Compute(in, ElderlyCare, st, GridLevel)
	if err != nil {
		t.Fatal(err)
	}
	if r := row(t, tb, "G1"); !near(r.Demand, 14) || r.Supply != 10 || !near(r.Gap, 4) {
		t.Errorf("G1 %+v", r)
	}
	if r := row(t, tb, "G3"); !near(r.Demand, 21) || r.Supply != 20 || !near(r.Gap, 1) {
		t.Errorf("G3 %+v", r)
	}
	// Street S1 = G1+G2+G3: 1,200 aged 60+ → 42 beds, supply 30, gap 12.
	tb, _ = Compute(in, ElderlyCare, st, StreetLevel)
	if r := row(t, tb, "S1"); !near(r.Demand, 42) || r.Supply != 30 || !near(r.Gap, 12) || r.Name != "Street 1" {
		t.Errorf("S1 %+v", r)
	}
	// Hospital beds, 7.4 per 1,000 residents + floating: C3 = G4, 5,000
	// people → 37 beds, supply 50, gap −13 (a surplus).
	tb, _ = Compute(in, HospitalBeds, st, CommunityLevel)
	if r := row(t, tb, "C3"); !near(r.Demand, 37) || r.Supply != 50 || !near(r.Gap, -13) || r.Parent != "S2" {
		t.Errorf("C3 %+v", r)
	}
	// Without floating: 4,000 → 29.6.
	st2 := st
	st2.HospitalIncludesFloating = false
	tb, _ = Compute(in, HospitalBeds, st2, CommunityLevel)
	if r := row(t, tb, "C3"); !near(r.Demand, 29.6) {
		t.Errorf("C3 without floating %+v", r)
	}
	// Jobs, 0.75 per working-age resident: district 6,600 → 4,950 jobs
	// needed, 3,600 located, gap 1,350.
	tb, _ = Compute(in, Jobs, st, DistrictLevel)
	if len(tb.Rows) != 1 || !near(tb.Rows[0].Demand, 4950) || tb.Rows[0].Supply != 3600 || !near(tb.Total.Gap, 1350) {
		t.Errorf("jobs %+v", tb)
	}
	// Parking: no parking layer, so supply is unknown.
	tb, _ = Compute(in, Parking, st, DistrictLevel)
	if tb.SupplyKnown || !near(tb.Total.Demand, 4000) {
		t.Errorf("parking %+v", tb)
	}
}

// TestDemoDistrictAdds checks, on the generated demo district, that every
// level adds up to the same district totals and that demand is the base
// population times the ratio.
func TestDemoDistrictAdds(t *testing.T) {
	d := demo.Generate(demo.Options{Seed: demo.DefaultSeed})
	in, err := FromDistrict(d)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Grids) != len(d.Layers[layers.Grids]) {
		t.Fatalf("%d grids of %d", len(in.Grids), len(d.Layers[layers.Grids]))
	}
	st := DefaultStandards()
	for _, r := range Resources() {
		var pop float64
		for _, g := range in.Grids {
			pop += st.Population(r, g)
		}
		var totals []Row
		for _, lv := range []Level{GridLevel, CommunityLevel, StreetLevel, DistrictLevel} {
			tb, err := Compute(in, r, st, lv)
			if err != nil {
				t.Fatal(err)
			}
			var sum Row
			for _, x := range tb.Rows {
				sum.Demand += x.Demand
				sum.Supply += x.Supply
				if x.Code == "" {
					t.Errorf("%s %s: a row without a code", r, lv)
				}
			}
			if !near(sum.Demand, tb.Total.Demand) || !near(sum.Supply+tb.Unplaced, tb.Total.Supply) {
				t.Errorf("%s %s: rows add to %+v, total %+v", r, lv, sum, tb.Total)
			}
			totals = append(totals, tb.Total)
		}
		for _, x := range totals[1:] {
			if !near(x.Demand, totals[0].Demand) || !near(x.Supply, totals[0].Supply) {
				t.Errorf("%s: totals differ between levels: %+v vs %+v", r, x, totals[0])
			}
		}
		if !near(totals[0].Demand, pop*st.Ratio(r)) || (r != Parking && totals[0].Supply <= 0) {
			t.Errorf("%s: total %+v, population %v", r, totals[0], pop)
		}
		t.Logf("%s: demand %.0f, supply %.0f, gap %.0f", r, totals[0].Demand, totals[0].Supply, totals[0].Gap)
	}
}

func change(op string, params any) scenario.Change {
	b, _ := json.Marshal(params)
	return scenario.Change{Op: op, Params: b}
}

// TestScenario: a planned 300-bed home in G2 lowers the gap of G2's
// community, street and the district by 300 and changes nothing else; a
// ratio change scales demand; added population adds demand.
func TestScenario(t *testing.T) {
	f, g := tiny()
	in, err := Build(f, g)
	if err != nil {
		t.Fatal(err)
	}
	sc := Scenarios{Baseline: func(context.Context) (*Inputs, error) { return in, nil }}
	deltas, err := sc.Compare(context.Background(), []scenario.Change{
		change(OpAddFacility, map[string]any{"resource": "elderly_care", "name": "New home", "capacity": 300, "grid": "G2"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	changed := map[string]float64{}
	for _, d := range deltas {
		if d.Diff != 0 {
			changed[d.Key+" "+d.Metric] = d.Diff
		}
	}
	want := map[string]float64{
		"C1 elderly_care.supply": 300, "C1 elderly_care.gap": -300,
		"S1 elderly_care.supply": 300, "S1 elderly_care.gap": -300,
		"district elderly_care.supply": 300, "district elderly_care.gap": -300,
	}
	if len(changed) != len(want) {
		t.Fatalf("changed %v, want %v", changed, want)
	}
	for k, v := range want {
		if changed[k] != v {
			t.Errorf("%s: %v, want %v", k, changed[k], v)
		}
	}
	// The baseline is untouched.
	if len(in.Facilities[ElderlyCare]) != 2 {
		t.Fatalf("baseline changed: %d homes", len(in.Facilities[ElderlyCare]))
	}
	alt, st, err := Apply(in, DefaultStandards(), []scenario.Change{
		change(OpSetRatio, map[string]any{"resource": "elderly_care", "value": 70}),
		change(OpAddPopulation, map[string]any{"grid": "G4", "aged_60_plus": 200}),
		change(OpCloseFacility, map[string]any{"resource": "hospital_beds", "id": 41}),
	})
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := Compute(alt, ElderlyCare, st, DistrictLevel)
	// 70 per 1,000 of (2,000 + 200) = 154.
	if !near(tb.Total.Demand, 154) {
		t.Errorf("district elderly demand %v, want 154", tb.Total.Demand)
	}
	tb, _ = Compute(alt, HospitalBeds, st, DistrictLevel)
	if tb.Total.Supply != 0 {
		t.Errorf("closed hospital still supplies %v", tb.Total.Supply)
	}
	if g, _ := in.Grid("G4"); g.Aged60Plus != 800 {
		t.Errorf("baseline grid changed: %+v", g)
	}
}

func TestBadChanges(t *testing.T) {
	f, g := tiny()
	in, _ := Build(f, g)
	sc := Scenarios{Baseline: func(context.Context) (*Inputs, error) { return in, nil }}
	cases := []struct {
		ch    scenario.Change
		field string
	}{
		{change(OpAddFacility, map[string]any{"resource": "schools", "capacity": 3, "grid": "G1"}), "[0].params.resource"},
		{change(OpAddFacility, map[string]any{"resource": "elderly_care", "capacity": -3, "grid": "G1"}), "[0].params.capacity"},
		{change(OpAddFacility, map[string]any{"resource": "elderly_care", "capacity": 3, "grid": "G9"}), "[0].params.grid"},
		{change(OpAddFacility, map[string]any{"resource": "elderly_care", "capacity": 3, "lon": 50.5, "lat": 0.5}), "[0].params.lon"},
		{change(OpSetRatio, map[string]any{"resource": "parking", "value": -1}), "[0].params.value"},
		{change(OpAddPopulation, map[string]any{"grid": "G1", "aged_60_plus": -401}), "[0].params.aged_60_plus"},
		{change(OpCloseFacility, map[string]any{"resource": "hospital_beds", "id": 7}), "[0].params.id"},
		{change("demolish", map[string]any{}), "[0].op"},
		{change(OpSetRatio, map[string]any{"resource": "parking", "value": 1, "extra": 2}), "[0].params"},
	}
	for _, c := range cases {
		err := sc.Validate(context.Background(), []scenario.Change{c.ch})
		fe, ok := err.(*scenario.FieldError)
		if !ok || fe.Field != c.field {
			t.Errorf("%s %s: err %v, want field %s", c.ch.Op, c.ch.Params, err, c.field)
		}
	}
	if _, err := Compute(in, "water", DefaultStandards(), GridLevel); err == nil {
		t.Error("unknown resource accepted")
	}
}

func TestRunCLI(t *testing.T) {
	f, g := tiny()
	d := &data.District{Layers: f, Groups: g}
	var out, errb strings.Builder
	if code := RunCLI(d, []string{"-resource", "elderly_care", "-level", "street"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	// S1: 1,200 aged 60+ → 42 beds against 30.
	if !strings.Contains(out.String(), "S1") || !strings.Contains(out.String(), "42.0") || !strings.Contains(out.String(), "+12.0") {
		t.Errorf("output:\n%s", out.String())
	}
	out.Reset()
	if code := RunCLI(d, []string{"-resource", "hospital_beds", "-level", "district", "-ratio", "10", "-json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var tb Table
	if err := json.Unmarshal([]byte(out.String()), &tb); err != nil || !near(tb.Total.Demand, 117) { // 11,700 residents and floating × 10/1,000
		t.Errorf("json %v: %+v", err, tb.Total)
	}
	for _, args := range [][]string{{"-resource", "water"}, {"-level", "city"}, {"extra"}, {"-ratio", "-3", "-resource", "jobs"}} {
		errb.Reset()
		if code := RunCLI(d, args, &out, &errb); code != 2 || errb.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

// TestLayerFeatures: every property has its schema field's type, and grids
// carry their gap and score.
func TestLayerFeatures(t *testing.T) {
	f, g := tiny()
	in, _ := Build(f, g)
	tb, _ := Compute(in, ElderlyCare, DefaultStandards(), GridLevel)
	scores := []float64{0.5, 0, 1, 2}
	reach := []bool{true, false, true, true}
	fs := LayerFeatures(in, tb, scores, reach, "e2sfca", "baseline", f[layers.Grids])
	if len(fs) != 4 {
		t.Fatalf("%d features", len(fs))
	}
	schema := LayerSchema(true)
	for _, ft := range fs {
		for k, v := range ft.Properties {
			fd, ok := schema.Field(k)
			if !ok {
				t.Fatalf("property %s not in the schema", k)
			}
			okType := map[layers.FieldType]bool{
				layers.String: isType[string](v), layers.Float: isType[float64](v), layers.Bool: isType[bool](v), layers.Int: isType[int64](v),
			}[fd.Type]
			if !okType {
				t.Errorf("%s = %T, schema says %s", k, v, fd.Type)
			}
		}
	}
	if fs[0].Properties["gap"] != 4.0 || fs[0].Properties["score"] != 0.5 || fs[1].Properties["reachable"] != false {
		t.Errorf("G1/G2: %v %v", fs[0].Properties, fs[1].Properties)
	}
}

func isType[T any](v any) bool {
	_, ok := v.(T)
	return ok
}
