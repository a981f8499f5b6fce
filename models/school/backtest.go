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

// RunBacktest backtests in at leads 1 and 3 years for T = in.Year (see
// RunRolling for a range of T and the baselines).
func RunBacktest(in *Input) (*Backtest, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	T := in.Year
	bt := &Backtest{Year: T, Levels: map[string]BacktestSet{},
		Definition: "fit on enrolment and births up to T−k, forecast T; MAPE in percent of the recorded enrolment in T: " +
			"district = mean over levels of the error of the district total (every catchment's forecast against every recorded pupil); " +
			"catchment = mean over catchments with pupils recorded in T of the error of the catchment total"}
	rec := recorded(in)
	for _, k := range backtestLeads {
		f, err := forecastFrom(in, T-k, k, "")
		if err != nil {
			return nil, fmt.Errorf("backtest %dy: %w", k, err)
		}
		var capes, dapes []float64
		for _, e := range f.errors(rec, T) {
			if e.kind == "district" {
				dapes = append(dapes, e.ape())
				set := bt.Levels[e.level]
				if k == 1 {
					set.MAPE1y = e.ape()
				} else {
					set.MAPE3y = e.ape()
				}
				bt.Levels[e.level] = set
			} else {
				capes = append(capes, e.ape())
			}
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

// records is the recorded enrolment by year: per catchment (as the input
// assigns schools) and per level.
type records struct {
	catchment map[int]map[string]float64
	level     map[int]map[string]float64
}

func recorded(in *Input) records {
	sc := make(map[int64]School, len(in.Schools))
	for _, s := range in.Schools {
		sc[s.ID] = s
	}
	r := records{catchment: map[int]map[string]float64{}, level: map[int]map[string]float64{}}
	for _, e := range in.Enrolment {
		s := sc[e.School]
		if r.catchment[e.Year] == nil {
			r.catchment[e.Year] = map[string]float64{}
			r.level[e.Year] = map[string]float64{}
		}
		r.catchment[e.Year][s.Catchment] += float64(e.Pupils)
		r.level[e.Year][s.Level] += float64(e.Pupils)
	}
	return r
}

// forecast is a projection from one origin.
type forecast struct {
	origin int
	res    *Result
}

// forecastFrom fits in as known at origin (see truncate) and projects H
// years with the given method ("" the policy's).
func forecastFrom(in *Input, origin, H int, method string) (forecast, error) {
	cut := truncate(in, origin)
	if method != "" {
		cut.Policy = cut.Policy.withDefaults()
		cut.Policy.Method = method
	}
	r, err := Project(cut, Options{Years: H, Scenario: fmt.Sprintf("backtest-%d", origin)})
	if err != nil {
		return forecast{}, err
	}
	return forecast{origin: origin, res: r}, nil
}

// outcome is one forecast against its recorded outcome.
type outcome struct {
	kind, code, level string
	h                 int
	forecast, actual  float64
}

func (o outcome) ape() float64 { return 100 * math.Abs(o.forecast-o.actual) / o.actual }

// errors pairs the forecasts for year y with the records: each catchment
// with pupils recorded in y, and each level's district total, the sum of
// all its catchments' forecasts against all its recorded pupils (a
// catchment without records in y still counts in the district).
func (f forecast) errors(rec records, y int) []outcome {
	h := y - f.origin
	if h < 1 || h > len(f.res.Years) {
		return nil
	}
	var out []outcome
	dist := map[string]float64{}
	for _, s := range f.res.Catchments {
		v := s.Points[h-1].Demand
		dist[s.Level] += v
		if a := rec.catchment[y][s.Code]; a > 0 {
			out = append(out, outcome{kind: "catchment", code: s.Code, level: s.Level, h: h, forecast: v, actual: a})
		}
	}
	levels := make([]string, 0, len(dist))
	for lv := range dist {
		levels = append(levels, lv)
	}
	sort.Strings(levels)
	for _, lv := range levels {
		if a := rec.level[y][lv]; a > 0 {
			out = append(out, outcome{kind: "district", code: "district", level: lv, h: h, forecast: dist[lv], actual: a})
		}
	}
	return out
}

// truncate is in as it was known at year t: enrolment and births up to t,
// population as recorded (its year kept), no catchment moves.
func truncate(in *Input, t int) *Input {
	out := *in
	out.Year = t
	if out.PopulationYear == 0 && len(in.Population) > 0 {
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
