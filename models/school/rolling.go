package school

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// RollingOptions choose a rolling-origin backtest.
type RollingOptions struct {
	// From and To bound the origins (the last year fitted): 0 is the first
	// origin the history can fit and Year−1.
	From, To int
	// Horizons is the longest lead, 1–MaxYears (0: 3).
	Horizons int
	// Split is the first held-out year: forecasts for years before it form
	// the selection set (a method is chosen and the intervals calibrated on
	// them), forecasts for Split and later the evaluation set. 0 is
	// Year−5 (the last six years held out); a Split after Year holds out
	// nothing.
	Split int
	// Methods are compared (default: the policy's method, MethodShrink,
	// MethodDamped and the baselines MethodPersistence and MethodSurvival).
	Methods []string
	// Coverage is the nominal coverage of the prediction intervals (0: 0.8).
	Coverage float64
}

// Rolling is a rolling-origin backtest: every origin T in From…To fitted
// on what was known at T and forecast 1…Horizons years ahead, each
// forecast scored against the enrolment later recorded.
type Rolling struct {
	Year     int   `json:"year"`
	Origins  []int `json:"origins"`
	Horizons []int `json:"horizons"`
	Split    int   `json:"split"`
	// Methods score each method on the selection and the evaluation set.
	Methods []MethodScore `json:"methods"`
	// Chosen is the method with the lowest catchment MAPE on the selection
	// set (mean over horizons); the baselines are not candidates.
	Chosen string `json:"chosen"`
	// Intervals are the chosen method's empirical prediction intervals,
	// calibrated on the selection set, with their coverage on the
	// evaluation set.
	Intervals *IntervalScore `json:"intervals,omitempty"`
	// Catchments are each catchment's MAPE by method and horizon over all
	// origins.
	Catchments []CatchmentScore `json:"catchments"`
	Definition string           `json:"definition"`
}

// MethodScore is one method's errors.
type MethodScore struct {
	Method     string         `json:"method"`
	Selection  []HorizonScore `json:"selection"`
	Evaluation []HorizonScore `json:"evaluation"`
}

// HorizonScore is the MAPE (percent) of the forecasts of one lead.
type HorizonScore struct {
	Horizon int `json:"horizon"`
	// Catchment is the mean over catchment forecasts; N counts them.
	Catchment float64 `json:"catchment_mape"`
	N         int     `json:"n"`
	// District is the mean over origins and levels of the district total's
	// error.
	District float64 `json:"district_mape"`
	// Origins counts the origins scored.
	Origins int `json:"origins"`
}

// CatchmentScore is one catchment's MAPE per method and horizon (NaN-free:
// a horizon it has no outcome for is left out of MAPE's slice as -1).
type CatchmentScore struct {
	Code  string               `json:"code"`
	Level string               `json:"level"`
	MAPE  map[string][]float64 `json:"mape"`
}

// IntervalScore reports the empirical prediction intervals.
type IntervalScore struct {
	Method   string    `json:"method"`
	Coverage float64   `json:"nominal_coverage"`
	Bands    Intervals `json:"bands"`
	// Observed is the share of evaluation outcomes inside their interval,
	// per horizon (catchment and district), and over all horizons.
	Observed []Covered `json:"observed"`
	Overall  Covered   `json:"overall"`
}

// Covered is the share of outcomes inside their interval.
type Covered struct {
	Horizon   int     `json:"horizon,omitempty"`
	Catchment float64 `json:"catchment"`
	N         int     `json:"n"`
	District  float64 `json:"district"`
	ND        int     `json:"n_district"`
}

// Intervals are prediction-interval bands per lead: the recorded outcome
// lies in [Low·forecast, High·forecast] with the nominal probability.
type Intervals struct {
	Catchment []Band `json:"catchment"`
	District  []Band `json:"district"`
}

// Band is the interval of one lead as ratios to the forecast, for
// forecasts up to Upto (0: any size; bands of one lead come smallest
// class first).
type Band struct {
	Horizon int     `json:"horizon"`
	Upto    float64 `json:"upto,omitempty"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	N       int     `json:"n"`
}

// RunRolling runs the rolling-origin backtest of in.
func RunRolling(in *Input, opt RollingOptions) (*Rolling, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if opt.Horizons == 0 {
		opt.Horizons = 3
	}
	if opt.Horizons < 1 || opt.Horizons > MaxYears {
		return nil, bad("horizons", "%d outside 1–%d", opt.Horizons, MaxYears)
	}
	if opt.Coverage == 0 {
		opt.Coverage = 0.8
	}
	if !(opt.Coverage > 0 && opt.Coverage < 1) {
		return nil, bad("coverage", "%v outside 0–1", opt.Coverage)
	}
	pol := in.Policy.withDefaults()
	if len(opt.Methods) == 0 {
		opt.Methods = []string{pol.method()}
		if opt.Methods[0] == MethodAuto {
			opt.Methods = Candidates()
		}
		for _, m := range []string{MethodShrink, MethodDamped, MethodPersistence, MethodSurvival} {
			if !slices.Contains(opt.Methods, m) {
				opt.Methods = append(opt.Methods, m)
			}
		}
	}
	for i, m := range opt.Methods {
		if m == "" || m == MethodAuto || !validMethod(m) {
			return nil, bad("methods", "method %d, %q: want one of %v", i+1, m, validMethods())
		}
	}
	first := in.Year
	for _, e := range in.Enrolment {
		first = min(first, e.Year)
	}
	auto := opt.From == 0
	if auto {
		opt.From = first + 1
	}
	if opt.To == 0 {
		opt.To = in.Year - 1
	}
	switch {
	case opt.From <= first || opt.From > in.Year-1:
		return nil, bad("from", "origin %d: want %d–%d (a year of history before it, a year recorded after)", opt.From, first+1, in.Year-1)
	case opt.To < opt.From || opt.To > in.Year-1:
		return nil, bad("to", "origin %d: want %d–%d", opt.To, opt.From, in.Year-1)
	}
	rec := recorded(in)
	type key struct {
		method string
		eval   bool
		h      int
	}
	cat := map[key][]float64{}
	dist := map[key][]float64{}
	origins := map[key]map[int]bool{}
	perCatch := map[[2]string]map[string][][]float64{} // code,level → method → h → APEs
	ratios := map[key][][2]float64{}                   // forecast, actual/forecast by method, set, lead
	dratios := map[key][]float64{}
	var outcomes = map[string][]struct {
		o    outcome
		eval bool
	}{}
	type run struct {
		o  int
		fs []forecast
	}
	var runs []run
	for o := opt.From; o <= opt.To; o++ {
		H := min(opt.Horizons, in.Year-o)
		var fs []forecast
		for _, m := range opt.Methods {
			f, err := forecastFrom(in, o, H, m)
			if err != nil {
				if auto && len(runs) == 0 {
					fs = nil
					break // the history cannot fit this origin yet
				}
				return nil, fmt.Errorf("origin %d, %s: %w", o, m, err)
			}
			fs = append(fs, f)
		}
		if fs != nil {
			runs = append(runs, run{o, fs})
		}
	}
	if len(runs) == 0 {
		return nil, bad("enrolment", "no origin %d–%d can be fitted", opt.From, opt.To)
	}
	if opt.Split == 0 {
		// The last six years, or the later half of a shorter history.
		first := runs[0].o
		opt.Split = in.Year - 5
		if opt.Split < first+3 {
			opt.Split = first + 1 + (in.Year-first)/2
		}
	}
	var used []int
	for _, ru := range runs {
		o, fs := ru.o, ru.fs
		used = append(used, o)
		H := len(fs[0].res.Years)
		for mi, f := range fs {
			m := opt.Methods[mi]
			for h := 1; h <= H; h++ {
				y := o + h
				k := key{m, y >= opt.Split, h}
				for _, e := range f.errors(rec, y) {
					outcomes[m] = append(outcomes[m], struct {
						o    outcome
						eval bool
					}{e, k.eval})
					if e.kind == "district" {
						dist[k] = append(dist[k], e.ape())
						if e.forecast > 0 {
							dratios[k] = append(dratios[k], e.actual/e.forecast)
						}
						continue
					}
					cat[k] = append(cat[k], e.ape())
					if e.forecast > 0 {
						ratios[k] = append(ratios[k], [2]float64{e.forecast, e.actual / e.forecast})
					}
					if origins[k] == nil {
						origins[k] = map[int]bool{}
					}
					origins[k][o] = true
					ck := [2]string{e.code, e.level}
					if perCatch[ck] == nil {
						perCatch[ck] = map[string][][]float64{}
					}
					if perCatch[ck][m] == nil {
						perCatch[ck][m] = make([][]float64, opt.Horizons)
					}
					perCatch[ck][m][h-1] = append(perCatch[ck][m][h-1], e.ape())
				}
			}
		}
	}
	if len(used) == 0 {
		return nil, bad("enrolment", "no origin %d–%d can be fitted", opt.From, opt.To)
	}
	r := &Rolling{Year: in.Year, Origins: used, Split: opt.Split,
		Definition: "each origin T is fitted on the enrolment and births recorded up to T and forecast T+1…T+H; " +
			"catchment MAPE = mean over (origin, catchment) of |forecast − recorded|/recorded of the catchment total, catchments with pupils recorded; " +
			"district MAPE = mean over (origin, level) of the error of the level's total; selection = forecast years before split, evaluation = split and after; " +
			"intervals = the chosen method's forecast × the empirical quantiles of recorded/forecast on the selection set, by lead"}
	for h := 1; h <= opt.Horizons; h++ {
		r.Horizons = append(r.Horizons, h)
	}
	score := func(m string, eval bool) []HorizonScore {
		var out []HorizonScore
		for _, h := range r.Horizons {
			k := key{m, eval, h}
			if len(cat[k]) == 0 {
				continue
			}
			out = append(out, HorizonScore{Horizon: h, Catchment: stat.Mean(cat[k], nil), N: len(cat[k]),
				District: meanOr0(dist[k]), Origins: len(origins[k])})
		}
		return out
	}
	best := math.Inf(1)
	for _, m := range opt.Methods {
		ms := MethodScore{Method: m, Selection: score(m, false), Evaluation: score(m, true)}
		r.Methods = append(r.Methods, ms)
		if m == MethodPersistence || m == MethodSurvival || len(ms.Selection) == 0 {
			continue
		}
		var s float64
		for _, x := range ms.Selection {
			s += x.Catchment
		}
		if s /= float64(len(ms.Selection)); s < best {
			best, r.Chosen = s, m
		}
	}
	if r.Chosen == "" {
		r.Chosen = opt.Methods[0]
	}
	// Intervals of the chosen method.
	is := &IntervalScore{Method: r.Chosen, Coverage: opt.Coverage}
	lo, hi := (1-opt.Coverage)/2, (1+opt.Coverage)/2
	for _, h := range r.Horizons {
		k := key{r.Chosen, false, h}
		is.Bands.Catchment = append(is.Bands.Catchment, sizedBands(ratios[k], h, lo, hi)...)
		if b, ok := band(dratios[k], h, lo, hi); ok {
			is.Bands.District = append(is.Bands.District, b)
		}
	}
	if len(is.Bands.Catchment) > 0 {
		cov := map[int]*[4]int{}
		for _, x := range outcomes[r.Chosen] {
			if !x.eval {
				continue
			}
			bs := is.Bands.Catchment
			if x.o.kind == "district" {
				bs = is.Bands.District
			}
			b, ok := bandFor(bs, x.o.h, x.o.forecast)
			if !ok {
				continue
			}
			c := cov[x.o.h]
			if c == nil {
				c = &[4]int{}
				cov[x.o.h] = c
			}
			in := x.o.actual >= b.Low*x.o.forecast && x.o.actual <= b.High*x.o.forecast
			off := 0
			if x.o.kind == "district" {
				off = 2
			}
			c[off+1]++
			if in {
				c[off]++
			}
		}
		var all [4]int
		for _, h := range r.Horizons {
			c := cov[h]
			if c == nil {
				continue
			}
			is.Observed = append(is.Observed, covered(h, *c))
			for i := range all {
				all[i] += c[i]
			}
		}
		is.Overall = covered(0, all)
		r.Intervals = is
	}
	keys := make([][2]string, 0, len(perCatch))
	for k := range perCatch {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][1] != keys[j][1] {
			return keys[i][1] > keys[j][1]
		}
		return keys[i][0] < keys[j][0]
	})
	for _, k := range keys {
		cs := CatchmentScore{Code: k[0], Level: k[1], MAPE: map[string][]float64{}}
		for m, hs := range perCatch[k] {
			v := make([]float64, len(hs))
			for i, x := range hs {
				v[i] = -1
				if len(x) > 0 {
					v[i] = stat.Mean(x, nil)
				}
			}
			cs.MAPE[m] = v
		}
		r.Catchments = append(r.Catchments, cs)
	}
	return r, nil
}

func meanOr0(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	return stat.Mean(x, nil)
}

func covered(h int, c [4]int) Covered {
	out := Covered{Horizon: h, N: c[1], ND: c[3]}
	if c[1] > 0 {
		out.Catchment = float64(c[0]) / float64(c[1])
	}
	if c[3] > 0 {
		out.District = float64(c[2]) / float64(c[3])
	}
	return out
}

// band is the lo and hi empirical quantiles of the ratios.
func band(ratios []float64, h int, lo, hi float64) (Band, bool) {
	if len(ratios) < 2 {
		return Band{}, false
	}
	x := append([]float64(nil), ratios...)
	sort.Float64s(x)
	return Band{Horizon: h, Low: stat.Quantile(lo, stat.LinInterp, x, nil), High: stat.Quantile(hi, stat.LinInterp, x, nil), N: len(x)}, true
}

// sizedBandMin is the fewest forecasts a size class of bands rests on.
const sizedBandMin = 30

// sizedBands are the bands of lead h by the forecast's size: terciles of
// the forecasts when each holds at least sizedBandMin of them (small
// catchments' relative errors are larger), else one band.
func sizedBands(pairs [][2]float64, h int, lo, hi float64) []Band {
	p := append([][2]float64(nil), pairs...)
	sort.Slice(p, func(i, j int) bool { return p[i][0] < p[j][0] })
	classes := 3
	if len(p) < classes*sizedBandMin {
		classes = 1
	}
	var out []Band
	for k := range classes {
		part := p[k*len(p)/classes : (k+1)*len(p)/classes]
		rs := make([]float64, len(part))
		for i, x := range part {
			rs[i] = x[1]
		}
		b, ok := band(rs, h, lo, hi)
		if !ok {
			return nil
		}
		if k < classes-1 {
			b.Upto = part[len(part)-1][0]
		}
		out = append(out, b)
	}
	return out
}

// bandFor is the band of lead h for a forecast of the given size: the
// band of its size class, or beyond the longest calibrated lead H that
// lead's band widened on the log scale by √(h/H).
func bandFor(bs []Band, h int, forecast float64) (Band, bool) {
	if len(bs) == 0 {
		return Band{}, false
	}
	longest := 0
	for _, b := range bs {
		longest = max(longest, b.Horizon)
	}
	lead := min(h, longest)
	for _, b := range bs {
		if b.Horizon != lead || (b.Upto != 0 && forecast > b.Upto) {
			continue
		}
		if h > longest {
			s := math.Sqrt(float64(h) / float64(longest))
			b.Horizon, b.Low, b.High = h, math.Exp(s*math.Log(b.Low)), math.Exp(s*math.Log(b.High))
		}
		return b, true
	}
	return Band{}, false
}

// Calibrate returns the empirical prediction-interval bands of in's policy
// method at the given coverage (0: 0.8), from a rolling backtest over every
// origin of its history and leads 1…horizons.
func Calibrate(in *Input, horizons int, coverage float64) (Intervals, error) {
	pol := in.Policy.withDefaults()
	ms := []string{pol.method()}
	if ms[0] == MethodAuto {
		ms = Candidates()
	}
	r, err := RunRolling(in, RollingOptions{Horizons: horizons, Split: in.Year + 1, Methods: ms, Coverage: coverage})
	if err != nil {
		return Intervals{}, err
	}
	if r.Intervals == nil {
		return Intervals{}, bad("enrolment", "too little history to calibrate prediction intervals")
	}
	return r.Intervals.Bands, nil
}
