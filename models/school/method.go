package school

import (
	"math"
	"slices"
)

// The ratio-estimation methods (Policy.Method).
const (
	// MethodCohort is onemap's cohort model: each catchment's own
	// birth-to-intake and grade-progression ratios, the yearly ratios
	// weighted by Policy.HistoryWeights (most recent first).
	MethodCohort = "cohort"
	// MethodSurvival is textbook grade-progression cohort survival: each
	// catchment's ratios as the plain mean of its last three years.
	MethodSurvival = "survival"
	// MethodPersistence holds every grade at its base-year enrolment
	// (next year = this year): the baseline any method must beat.
	MethodPersistence = "persistence"
	// MethodShrink is cohort survival with progression ratios shrunk
	// toward the district (empirical Bayes): a catchment's ratio for grade
	// g is the district's d_g times the catchment's migration factor m_c,
	// fitted over all its grades at once and pulled toward 1 by the share
	// of its spread that sampling noise explains,
	//
	//	m̂_c = 1 + (m_c − 1)·τ²/(τ² + s_c²),
	//
	// with s_c² = ν/N_c (ν the pooled yearly variance per pupil, N_c the
	// pupils its ratios rest on) and τ² the between-catchment variance of
	// m_c beyond that noise (method of moments). Intake ratios are the
	// catchment's own, recency-weighted as in MethodCohort.
	MethodShrink = "shrink"
	// MethodDamped is MethodShrink with a drifting intake: each
	// catchment's yearly intake ratios over the last eight years (weights
	// 0.85^i) are fitted with a line, whose level is the ratio at the base
	// year and whose slope is carried forward damped, h years ahead
	// slope·Σ_{j=1..h} 0.8^j. Its progression ratios use the same eight
	// years and weights.
	MethodDamped = "damped"
)

// MethodAuto chooses among Candidates() by a rolling-origin backtest of
// the input (RunRolling's Chosen) each time it is projected.
const MethodAuto = "auto"

// Candidates are the methods MethodAuto chooses among.
func Candidates() []string { return []string{MethodCohort, MethodShrink, MethodDamped} }

// dampedPhi is MethodDamped's damping of the intake trend per year.
const dampedPhi = 0.8

// Methods lists the estimation methods.
func Methods() []string {
	return []string{MethodCohort, MethodSurvival, MethodPersistence, MethodShrink, MethodDamped, MethodAuto}
}

func validMethod(m string) bool { return m == "" || slices.Contains(Methods(), m) }

// method is the policy's method with the default filled in.
func (p Policy) method() string {
	if p.Method == "" {
		return MethodCohort
	}
	return p.Method
}

// obs is one year's observation of a ratio num/den, i years before the
// base year.
type obs struct {
	i        int
	num, den float64
}

// historyWeights are the weights of the yearly ratios under the method,
// most recent first.
func (m *compiled) historyWeights() []float64 {
	switch m.pol.method() {
	case MethodSurvival:
		return []float64{1, 1, 1}
	case MethodDamped:
		ws := make([]float64, 8)
		for i := range ws {
			ws[i] = math.Pow(0.85, float64(i))
		}
		return ws
	}
	return m.pol.HistoryWeights
}

// meanRatio is the weighted mean of the yearly ratios num/den (weight
// ws[i]); false when there is none.
func meanRatio(os []obs, ws []float64) (float64, bool) {
	var s, sw float64
	for _, o := range os {
		if o.den <= 0 || o.i >= len(ws) || ws[o.i] <= 0 {
			continue
		}
		s += ws[o.i] * o.num / o.den
		sw += ws[o.i]
	}
	if sw == 0 {
		return 0, false
	}
	return s / sw, true
}

// pooledYears sums observations by year: the district's yearly num and den.
func pooledYears(per [][]obs) []obs {
	acc := map[int]*obs{}
	var out []obs
	for _, os := range per {
		for _, o := range os {
			a, ok := acc[o.i]
			if !ok {
				a = &obs{i: o.i}
				acc[o.i] = a
			}
			a.num += o.num
			a.den += o.den
		}
	}
	for _, a := range acc {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b obs) int { return a.i - b.i })
	return out
}

// shrinkFactors returns each catchment's migration factor m̂_c (see
// MethodShrink) from its progression observations per grade (prog[g][c])
// and the district ratios dist[g].
func shrinkFactors(prog [][][]obs, dist []float64, ws []float64, nc int) []float64 {
	type year struct{ num, den float64 }
	raw := make([]float64, nc)
	n := make([]float64, nc)
	yearly := make([]map[int]*year, nc)
	for c := range nc {
		yearly[c] = map[int]*year{}
		var num, den float64
		for g := range prog {
			for _, o := range prog[g][c] {
				if o.i >= len(ws) || ws[o.i] <= 0 {
					continue
				}
				num += ws[o.i] * o.num
				den += ws[o.i] * dist[g] * o.den
				y, ok := yearly[c][o.i]
				if !ok {
					y = &year{}
					yearly[c][o.i] = y
				}
				y.num += o.num
				y.den += dist[g] * o.den
				n[c] += o.den
			}
		}
		raw[c] = math.NaN()
		if den > 0 {
			raw[c] = num / den
		}
	}
	// ν: the yearly factors' variance around the catchment's, per pupil.
	var ss, dof float64
	var ms []float64
	for c := range nc {
		if math.IsNaN(raw[c]) {
			continue
		}
		ms = append(ms, raw[c])
		for _, y := range yearly[c] {
			if y.den > 0 {
				d := y.num/y.den - raw[c]
				ss += y.den * d * d
				dof++
			}
		}
		dof--
	}
	out := make([]float64, nc)
	for c := range out {
		out[c] = 1
	}
	if len(ms) == 0 {
		return out
	}
	nu := 0.0
	if dof > 0 {
		nu = ss / dof
	}
	var between, noise float64
	for c := range nc {
		if math.IsNaN(raw[c]) {
			continue
		}
		between += (raw[c] - 1) * (raw[c] - 1)
		noise += nu / n[c]
	}
	tau2 := math.Max(0, (between-noise)/float64(len(ms)))
	for c := range nc {
		if math.IsNaN(raw[c]) {
			continue
		}
		s2 := nu / n[c]
		if tau2+s2 > 0 {
			out[c] = 1 + (raw[c]-1)*tau2/(tau2+s2)
		}
	}
	return out
}

// trendLine fits ratio = a + b·(−i) by weighted least squares over the
// yearly ratios (weights ws[i]); ok is false with fewer than three years.
func trendLine(os []obs, ws []float64) (a, b float64, ok bool) {
	var sw, sx, sy, sxx, sxy float64
	n := 0
	for _, o := range os {
		if o.den <= 0 || o.i >= len(ws) || ws[o.i] <= 0 {
			continue
		}
		w, x, y := ws[o.i], -float64(o.i), o.num/o.den
		sw += w
		sx += w * x
		sy += w * y
		sxx += w * x * x
		sxy += w * x * y
		n++
	}
	if n < 3 {
		return 0, 0, false
	}
	den := sw*sxx - sx*sx
	if den <= 0 {
		return 0, 0, false
	}
	b = (sw*sxy - sx*sy) / den
	a = (sy - b*sx) / sw
	return a, b, true
}

// dampedSum is Σ_{j=1..h} φ^j.
func dampedSum(h int) float64 {
	s, p := 0.0, 1.0
	for range h {
		p *= dampedPhi
		s += p
	}
	return s
}

// validMethods are the methods a backtest may compare (all but MethodAuto).
func validMethods() []string {
	return slices.DeleteFunc(Methods(), func(m string) bool { return m == MethodAuto })
}
