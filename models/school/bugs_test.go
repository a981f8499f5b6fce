package school

import (
	"errors"
	"strings"
	"testing"

	"github.com/onemap/onemap/models/scenario"
)

// steady is a district of two grids, each its own primary catchment (PA:
// school 1, PB: school 2), 100 births a grid a year and 100 pupils in every
// grade of both schools from base−8 on: every ratio is exactly 1.
func steady(base int) *Input {
	in := &Input{
		Year:  base,
		Grids: []Grid{{Code: "G1", Street: "S"}, {Code: "G2", Street: "S"}},
		Catchments: []Catchment{
			{Code: "PA", Level: Primary, Grids: []string{"G1"}},
			{Code: "PB", Level: Primary, Grids: []string{"G2"}},
		},
		Schools: []School{
			{ID: 1, Level: Primary, Seats: 1000, Catchment: "PA"},
			{ID: 2, Level: Primary, Seats: 1000, Catchment: "PB"},
		},
		Policy: Policy{AdmissionAge: 6, HistoryWeights: []float64{1, 1, 1}, Yields: map[string]map[string][]float64{}},
	}
	for y := base - 20; y <= base; y++ {
		in.Births = append(in.Births, BirthRow{Grid: "G1", Year: y, Births: 100}, BirthRow{Grid: "G2", Year: y, Births: 100})
	}
	for y := base - 8; y <= base; y++ {
		in.Enrolment = append(in.Enrolment, enrol(1, y, 1, 100, 100, 100, 100, 100, 100)...)
		in.Enrolment = append(in.Enrolment, enrol(2, y, 1, 100, 100, 100, 100, 100, 100)...)
	}
	return in
}

// TestBacktestDistrictCountsEveryCatchment: school 2 records no pupils in
// T (they are all recorded at school 1). The district's forecast for T is
// 1,200 and so is its recorded total, so the district error is 0; the old
// backtest left PB's forecast out of the district but kept its pupils in
// the recorded total and reported 50%.
func TestBacktestDistrictCountsEveryCatchment(t *testing.T) {
	in := steady(2024)
	kept := in.Enrolment[:0]
	for _, e := range in.Enrolment {
		switch {
		case e.Year == 2024 && e.School == 2:
			continue
		case e.Year == 2024:
			e.Pupils = 200
		}
		kept = append(kept, e)
	}
	in.Enrolment = kept
	bt, err := RunBacktest(in)
	if err != nil {
		t.Fatal(err)
	}
	if bt.District.MAPE1y > 1e-9 || bt.District.MAPE3y > 1e-9 {
		t.Errorf("district MAPE %v / %v, want 0 (forecast 1,200 against 1,200 recorded)", bt.District.MAPE1y, bt.District.MAPE3y)
	}
	if bt.Catchment.MAPE1y < 49.99 || bt.Catchment.MAPE1y > 50.01 {
		t.Errorf("catchment MAPE %v, want 50 (PA: 600 forecast, 1,200 recorded; PB not recorded)", bt.Catchment.MAPE1y)
	}
}

// TestRatioWithNothingToFitIsRefused: a ratio the projection needs but
// that the history cannot fit is refused with the field at fault, not set
// to 1 (which enrolled every birth).
func TestRatioWithNothingToFitIsRefused(t *testing.T) {
	cases := []struct {
		name, field, msg string
		edit             func(in *Input)
	}{
		{"grade 2 never recorded", "enrolment", "grade 1 to grade 2", func(in *Input) {
			kept := in.Enrolment[:0]
			for _, e := range in.Enrolment {
				if e.Grade == 1 {
					kept = append(kept, e)
				}
			}
			in.Enrolment = kept
		}},
		{"births only after the history", "births", "birth-to-intake", func(in *Input) {
			kept := in.Births[:0]
			for _, b := range in.Births {
				if b.Year >= 2019 {
					kept = append(kept, b)
				}
			}
			in.Births = kept
		}},
	}
	for _, c := range cases {
		in := steady(2024)
		c.edit(in)
		_, err := Project(in, Options{Years: 3})
		var fe *scenario.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Message, c.msg) {
			t.Errorf("%s: got %v, want a refusal of %s naming %q", c.name, err, c.field, c.msg)
		}
	}
}
