package access

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Weight is a distance-decay function: the weight of a supply–demand pair
// at a travel cost. Weights are finite and non-negative for every cost ≥ 0.
type Weight interface {
	// At returns the weight at cost c (c ≥ 0).
	At(c float64) float64
	// Reach is the largest cost with a positive weight (+Inf when none).
	Reach() float64
}

// Binary is the catchment of the original 2SFCA (Luo & Wang 2003): weight 1
// up to and including Max, 0 beyond.
type Binary struct{ Max float64 }

// At implements Weight.
func (b Binary) At(c float64) float64 {
	if c <= b.Max {
		return 1
	}
	return 0
}

// Reach implements Weight.
func (b Binary) Reach() float64 { return b.Max }

// Break is one step of a Step weight: Weight applies to costs up to and
// including Upto (and above the previous break).
type Break struct{ Upto, Weight float64 }

// Step is the zone weights of the enhanced 2SFCA (Luo & Qi 2009): the weight
// of the first break whose Upto is ≥ the cost, 0 beyond the last break.
// This is pysal/access's step_fn.
type Step []Break

// LuoQi are the travel-time zones and Gaussian-derived weights of Luo & Qi
// (2009): 0–10 min 1.00, 10–20 min 0.68, 20–30 min 0.22.
func LuoQi() Step { return Step{{10, 1}, {20, 0.68}, {30, 0.22}} }

// NewStep checks and sorts breaks: upper bounds must be finite and ≥ 0 and
// distinct, weights finite and ≥ 0.
func NewStep(breaks []Break) (Step, error) {
	if len(breaks) == 0 {
		return nil, errors.New("no steps")
	}
	s := append(Step(nil), breaks...)
	for i, b := range s {
		if !(b.Upto >= 0) || math.IsInf(b.Upto, 0) {
			return nil, fmt.Errorf("step %d: cost bound %v must be finite and ≥ 0", i, b.Upto)
		}
		if !(b.Weight >= 0) || math.IsInf(b.Weight, 0) {
			return nil, fmt.Errorf("step %d: weight %v must be finite and ≥ 0", i, b.Weight)
		}
	}
	sort.Slice(s, func(i, j int) bool { return s[i].Upto < s[j].Upto })
	for i := 1; i < len(s); i++ {
		if s[i].Upto == s[i-1].Upto {
			return nil, fmt.Errorf("step %d: cost bound %v repeated", i, s[i].Upto)
		}
	}
	return s, nil
}

// At implements Weight.
func (s Step) At(c float64) float64 {
	i := sort.Search(len(s), func(i int) bool { return s[i].Upto >= c })
	if i == len(s) {
		return 0
	}
	return s[i].Weight
}

// Reach implements Weight.
func (s Step) Reach() float64 {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i].Weight > 0 {
			return s[i].Upto
		}
	}
	return 0
}

// Gravity is the power decay (c/Scale)^Alpha of the gravity model
// (Hansen 1959; pysal/access's gravity weight). Costs below MinCost are
// raised to it so that a zero cost with a negative Alpha stays finite.
type Gravity struct {
	Scale   float64 // > 0
	Alpha   float64 // usually < 0
	MinCost float64 // ≥ 0; must be > 0 when Alpha < 0
}

// NewGravity checks the parameters. A zero minCost with a negative alpha
// becomes 1 cost unit (one minute, one metre): documented so that results
// stay finite when a supply sits on a demand point.
func NewGravity(scale, alpha, minCost float64) (Gravity, error) {
	if !(scale > 0) || math.IsInf(scale, 0) {
		return Gravity{}, fmt.Errorf("scale %v must be finite and > 0", scale)
	}
	if math.IsNaN(alpha) || math.IsInf(alpha, 0) {
		return Gravity{}, fmt.Errorf("alpha %v must be finite", alpha)
	}
	if !(minCost >= 0) || math.IsInf(minCost, 0) {
		return Gravity{}, fmt.Errorf("min_cost %v must be finite and ≥ 0", minCost)
	}
	if alpha < 0 && minCost == 0 {
		minCost = 1
	}
	return Gravity{Scale: scale, Alpha: alpha, MinCost: minCost}, nil
}

// At implements Weight.
func (g Gravity) At(c float64) float64 {
	return math.Pow(math.Max(c, g.MinCost)/g.Scale, g.Alpha)
}

// Reach implements Weight.
func (g Gravity) Reach() float64 { return math.Inf(1) }

// Gaussian is the decay exp(−c²/2σ²). pysal/access divides it by √(2πσ²);
// the constant cancels in every floating-catchment ratio here, so it is left
// out and the weight at cost 0 is 1.
type Gaussian struct{ Sigma float64 }

// NewGaussian checks σ > 0.
func NewGaussian(sigma float64) (Gaussian, error) {
	if !(sigma > 0) || math.IsInf(sigma, 0) {
		return Gaussian{}, fmt.Errorf("sigma %v must be finite and > 0", sigma)
	}
	return Gaussian{Sigma: sigma}, nil
}

// At implements Weight.
func (g Gaussian) At(c float64) float64 { return math.Exp(-c * c / (2 * g.Sigma * g.Sigma)) }

// Reach implements Weight.
func (g Gaussian) Reach() float64 { return math.Inf(1) }
