package school

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// Backtest is the accuracy of the model on its own history: for each lead
// k, the model is fitted on the years up to T−k (enrolment and births
// recorded by then; housing as planned) and its forecast for T is compared
// with the enrolment recorded in T.
type Backtest struct {
	// Year is T, the last year of history.
	Year     int         `json:"year"`
	District BacktestSet `json:"district"`
	// Catchment is the mean over catchments (both levels).
	Catchment BacktestSet `json:"catchment"`
	// Levels details the district figures per level.
	Levels map[string]BacktestSet `json:"levels"`
	// Definition says in words what was measured.
	Definition string `json:"definition"`
}

// BacktestSet holds mean absolute percentage errors (in percent).
type BacktestSet struct {
	MAPE1y float64 `json:"mape_1y"`
	MAPE3y float64 `json:"mape_3y"`
}

// backtestLeads are the leads the backtest measures.
var backtestLeads = [2]int{1, 3}

// RunBacktest backtests in at leads 1 and 3 years.
func RunBacktest(in *Input) (*Backtest, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	T := in.Year
	bt := &Backtest{Year: T, Levels: map[string]BacktestSet{},
		Definition: "fit on enrolment and births up to T−k, forecast T; MAPE in percent of the recorded enrolment in T: " +
			"district = mean over levels of the error of the district total; catchment = mean over catchments of the error of the catchment total"}
	actual := catchmentTotals(in, T)
	for _, k := range backtestLeads {
		cut := truncate(in, T-k)
		r, err := Project(cut, Options{Years: k, Scenario: fmt.Sprintf("backtest-%dy", k)})
		if err != nil {
			return nil, fmt.Errorf("backtest %dy: %w", k, err)
		}
		var capes, dapes []float64
		dist := map[string][2]float64{} // level → forecast, actual
		for _, s := range r.Catchments {
			a, ok := actual[s.Code]
			if !ok {
				continue
			}
			f := s.Points[k-1].Demand
			d := dist[s.Level]
			dist[s.Level] = [2]float64{d[0] + f, d[1] + a}
			if a > 0 {
				capes = append(capes, 100*math.Abs(f-a)/a)
			}
		}
		levels := make([]string, 0, len(dist))
		for lv := range dist {
			levels = append(levels, lv)
		}
		sort.Strings(levels)
		for _, lv := range levels {
			d := dist[lv]
			if d[1] <= 0 {
				continue
			}
			ape := 100 * math.Abs(d[0]-d[1]) / d[1]
			dapes = append(dapes, ape)
			set := bt.Levels[lv]
			if k == 1 {
				set.MAPE1y = ape
			} else {
				set.MAPE3y = ape
			}
			bt.Levels[lv] = set
		}
		if len(dapes) == 0 || len(capes) == 0 {
			return nil, bad("enrolment", "no enrolment recorded in %d to backtest against", T)
		}
		if k == 1 {
			bt.District.MAPE1y = stat.Mean(dapes, nil)
			bt.Catchment.MAPE1y = stat.Mean(capes, nil)
		} else {
			bt.District.MAPE3y = stat.Mean(dapes, nil)
			bt.Catchment.MAPE3y = stat.Mean(capes, nil)
		}
	}
	return bt, nil
}

// catchmentTotals is the recorded enrolment of year y per catchment.
func catchmentTotals(in *Input, y int) map[string]float64 {
	sc := make(map[int64]string, len(in.Schools))
	for _, s := range in.Schools {
		sc[s.ID] = s.Catchment
	}
	out := map[string]float64{}
	for _, e := range in.Enrolment {
		if e.Year == y {
			out[sc[e.School]] += float64(e.Pupils)
		}
	}
	return out
}

// truncate is in as it was known at year t: enrolment and births up to t,
// population as recorded (its year kept), no catchment moves.
func truncate(in *Input, t int) *Input {
	out := *in
	out.Year = t
	if out.PopulationYear == 0 {
		out.PopulationYear = in.Year
	}
	out.Moves = nil
	out.Enrolment = make([]EnrolmentRow, 0, len(in.Enrolment))
	for _, e := range in.Enrolment {
		if e.Year <= t {
			out.Enrolment = append(out.Enrolment, e)
		}
	}
	out.Births = make([]BirthRow, 0, len(in.Births))
	for _, b := range in.Births {
		if b.Year <= t {
			out.Births = append(out.Births, b)
		}
	}
	return &out
}
