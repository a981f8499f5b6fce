package school

import (
	"errors"
	"math"
	"testing"

	"github.com/onemap/onemap/models/scenario"
)

// TestRollingSteady: in a steady district every cohort method forecasts
// exactly; persistence too. With births rising 2% a year, persistence
// misses the growth while the cohort methods still forecast exactly.
func TestRollingSteady(t *testing.T) {
	r, err := RunRolling(steady(2024), RollingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Origins[0] != 2017 || r.Origins[len(r.Origins)-1] != 2023 || r.Split != 2021 || len(r.Methods) != 5 {
		t.Fatalf("origins %v, split %d, %d methods", r.Origins, r.Split, len(r.Methods))
	}
	for _, m := range r.Methods {
		for _, hs := range [][]HorizonScore{m.Selection, m.Evaluation} {
			for _, h := range hs {
				if h.Catchment > 1e-9 || h.District > 1e-9 {
					t.Errorf("%s %dy: MAPE %v / %v", m.Method, h.Horizon, h.Catchment, h.District)
				}
			}
		}
	}
	// Growing births: enrolment that follows them exactly.
	in := steady(2024)
	size := func(born int) int { return int(math.Round(100 * math.Pow(1.02, float64(born-2000)))) }
	for i, b := range in.Births {
		in.Births[i].Births = size(b.Year)
	}
	for i, e := range in.Enrolment {
		in.Enrolment[i].Pupils = size(e.Year - 6 - (e.Grade - 1))
	}
	r, err = RunRolling(in, RollingOptions{Horizons: 2, Methods: []string{MethodShrink, MethodPersistence}})
	if err != nil {
		t.Fatal(err)
	}
	sh, pe := r.Methods[0].Evaluation, r.Methods[1].Evaluation
	if sh[0].Catchment > 0.05 || pe[0].Catchment < 1.5 || pe[1].Catchment < 3 {
		t.Errorf("growing births: shrink %+v, persistence %+v", sh, pe)
	}
	for _, c := range []struct {
		field string
		opt   RollingOptions
	}{
		{"from", RollingOptions{From: 2016}},
		{"to", RollingOptions{From: 2020, To: 2019}},
		{"horizons", RollingOptions{Horizons: 11}},
		{"methods", RollingOptions{Methods: []string{"magic"}}},
		{"coverage", RollingOptions{Coverage: 1.5}},
	} {
		var fe *scenario.FieldError
		if _, err := RunRolling(steady(2024), c.opt); !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: %v", c.field, err)
		}
	}
}

// TestIntervalsOnPoints: Options.Intervals puts demand × the lead's band on
// catchment and district points, widening the last band beyond it.
func TestIntervalsOnPoints(t *testing.T) {
	iv := &Intervals{
		Catchment: []Band{{Horizon: 1, Low: 0.9, High: 1.1}, {Horizon: 2, Low: 0.8, High: 1.25}},
		District:  []Band{{Horizon: 1, Low: 0.99, High: 1.01}},
	}
	r, err := Project(steady(2024), Options{Years: 3, Intervals: iv})
	if err != nil {
		t.Fatal(err)
	}
	p := series(t, r, "catchment", "PA", Primary).Points
	near(t, "low 1", p[0].Low, 540)
	near(t, "high 2", p[1].High, 750)
	near(t, "low 3", p[2].Low, 600*math.Exp(math.Sqrt(1.5)*math.Log(0.8)))
	near(t, "district high 1", r.District[0].Points[0].High, 1212)
	// Bands by size: a 600-pupil forecast takes the class up to 1,000.
	iv.Catchment = []Band{{Horizon: 1, Upto: 300, Low: 0.5, High: 2}, {Horizon: 1, Upto: 1000, Low: 0.9, High: 1.1}, {Horizon: 1, Low: 0.99, High: 1.01}}
	if r, err = Project(steady(2024), Options{Years: 2, Intervals: iv}); err != nil {
		t.Fatal(err)
	}
	p = series(t, r, "catchment", "PA", Primary).Points
	near(t, "sized low 1", p[0].Low, 540)
	near(t, "sized high 2", p[1].High, 600*math.Exp(math.Sqrt(2)*math.Log(1.1)))
	if b, _ := bandFor(iv.Catchment, 1, 5000); b.Low != 0.99 {
		t.Errorf("a 5,000-pupil forecast takes %+v", b)
	}
}

// TestRealShapedBacktest is the rolling backtest on the real-shaped
// district (testdata/realshaped, see realShaped): the method chosen on the
// selection years (forecasts for 1999–2018) and its figures on the
// held-out years (forecasts for 2019–2024), recorded in BENCHMARKS.md.
func TestRealShapedBacktest(t *testing.T) {
	in, err := LoadCSV(realShapedDir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := RunRolling(in, RollingOptions{Split: 2019})
	if err != nil {
		t.Fatal(err)
	}
	score := map[string]MethodScore{}
	for _, m := range r.Methods {
		score[m.Method] = m
		for _, set := range []struct {
			name string
			hs   []HorizonScore
		}{{"selection", m.Selection}, {"evaluation", m.Evaluation}} {
			for _, h := range set.hs {
				t.Logf("%-10s %-11s %dy catchment %5.2f%% (n %3d), district %5.2f%%", set.name, m.Method, h.Horizon, h.Catchment, h.N, h.District)
			}
		}
	}
	iv := r.Intervals
	t.Logf("chosen %s; 80%% intervals cover %.1f%% of %d held-out catchment outcomes, %.1f%% of %d district", r.Chosen, 100*iv.Overall.Catchment, iv.Overall.N, 100*iv.Overall.District, iv.Overall.ND)
	if r.Chosen != MethodShrink {
		t.Errorf("chosen %s, want shrink", r.Chosen)
	}
	if c := iv.Overall.Catchment; c < 0.75 || c > 0.85 {
		t.Errorf("80%% intervals cover %.1f%% of held-out outcomes, want 75–85%%", 100*c)
	}
	// On the held-out years the chosen method beats both baselines at 1
	// and 3 years; by ≥ 20% only against persistence (see BENCHMARKS.md:
	// against cohort survival the gain is 13% / 12%, the 1-year floor of
	// the data's noise being 2.9%).
	ch := score[r.Chosen].Evaluation
	for _, base := range []string{MethodPersistence, MethodSurvival} {
		b := score[base].Evaluation
		for _, i := range []int{0, 2} {
			gain := 1 - ch[i].Catchment/b[i].Catchment
			t.Logf("%dy: %s %.2f%% against %s %.2f%%: %.0f%% better", ch[i].Horizon, r.Chosen, ch[i].Catchment, base, b[i].Catchment, 100*gain)
			if gain <= 0 || (base == MethodPersistence && gain < 0.2) {
				t.Errorf("%dy: %s %.2f%% against %s %.2f%%", ch[i].Horizon, r.Chosen, ch[i].Catchment, base, b[i].Catchment)
			}
		}
	}
}
