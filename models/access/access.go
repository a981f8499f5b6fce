// Package access measures spatial accessibility with the floating-catchment
// family over a dense cost matrix whose rows are demand points and whose
// columns are supply points.
//
// Every method here is one generalised two-step ratio. With a weight W(c)
// (zero beyond the maximum cost) and a selection weight G:
//
//		V_j = Σ_i G_ij W(c_ij) D_i          (demand competing for supply j)
//		R_j = S_j / V_j                      (supply-to-demand ratio, 0 when V_j = 0)
//		A_i = Σ_j G_ij W(c_ij) R_j           (score of demand point i)
//
//	  - 2SFCA (Luo & Wang 2003): W binary at the maximum cost, G = 1.
//	  - E2SFCA (Luo & Qi 2009): W the zone step weights, G = 1.
//	  - 3SFCA (Wan, Zou & Sternberg 2012): G_ij = W_ij / Σ_k W_ik, the share
//	    of demand i's attention that supply j draws among those it reaches.
//	  - Gravity (Hansen 1959; Joseph & Bantock 1982; Shen 1998): W a
//	    continuous decay over all pairs (or up to the maximum cost), G = 1.
//
// Because Σ_i D_i G_ij W_ij / V_j = 1 for every supply reached by some
// demand, Σ_i D_i A_i = Σ of the reached supply for every method: the
// scores share out exactly the supply that someone can reach.
//
// A demand point that reaches no supply (no pair with a positive weight)
// scores 0 and is reported with Reachable[i] = false; scores are never NaN.
package access

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/onemap/onemap/models/field"
)

// Method names a floating-catchment method.
type Method string

// The methods.
const (
	TwoStep      Method = "2sfca"
	Enhanced     Method = "e2sfca"
	ThreeStep    Method = "3sfca"
	GravityModel Method = "gravity"
)

// Methods lists the known methods.
func Methods() []Method { return []Method{TwoStep, Enhanced, ThreeStep, GravityModel} }

// Options chooses the method, its weight and the maximum cost.
type Options struct {
	Method Method
	// Weight is the distance decay; nil takes the method's default: Binary
	// at MaxCost for 2SFCA, the Luo & Qi steps for E2SFCA and 3SFCA,
	// Gravity{Scale 1, Alpha −1, MinCost 1} for the gravity model.
	Weight Weight
	// MaxCost > 0 gives every pair costlier than it a zero weight; 0 means
	// no limit beyond the weight's own. 2SFCA without a Weight needs it.
	MaxCost float64
}

// Result is the accessibility of each demand point.
type Result struct {
	// Scores is A_i in demand order: supply per unit of demand reachable.
	Scores []float64
	// Reachable is false for demand points that reach no supply (score 0).
	Reachable []bool
	// Ratios is R_j in supply order (0 for supply no demand reaches).
	Ratios []float64
	// ReachedSupply is Σ S_j over supply reached by positive demand; it
	// equals Σ_i D_i A_i.
	ReachedSupply float64
}

// Error is an input problem naming the field at fault.
type Error = field.Error

func errf(name, format string, args ...any) *Error { return field.Errorf(name, format, args...) }

// CheckCosts reports a cost matrix that is not rows × cols or holds a
// negative or NaN cost (+Inf is allowed and means unreachable).
func CheckCosts(costs *mat.Dense, rows, cols int) error {
	if costs == nil {
		return errf("costs", "missing")
	}
	r, c := costs.Dims()
	if r != rows || c != cols {
		return errf("costs", "matrix is %d×%d, want %d×%d (rows demand, columns supply)", r, c, rows, cols)
	}
	for i := 0; i < r; i++ {
		for j, v := range costs.RawRowView(i) {
			if !(v >= 0) {
				return errf(fmt.Sprintf("costs[%d][%d]", i, j), "cost %v must be ≥ 0", v)
			}
		}
	}
	return nil
}

func checkValues(field string, v []float64) error {
	for i, x := range v {
		if !(x >= 0) || math.IsInf(x, 0) {
			return errf(fmt.Sprintf("%s[%d]", field, i), "value %v must be finite and ≥ 0", x)
		}
	}
	return nil
}

// Defaults fills in the method's default weight and checks the options.
func (o Options) Defaults() (Options, error) {
	if o.MaxCost < 0 || math.IsNaN(o.MaxCost) {
		return o, errf("max_cost", "%v must be ≥ 0", o.MaxCost)
	}
	if o.Weight != nil {
		switch o.Method {
		case TwoStep, Enhanced, ThreeStep, GravityModel:
		default:
			return o, errf("method", "unknown method %q (2sfca, e2sfca, 3sfca, gravity)", o.Method)
		}
		return o, nil
	}
	switch o.Method {
	case TwoStep:
		if o.MaxCost == 0 {
			return o, errf("max_cost", "2sfca needs a catchment: give max_cost > 0 (or a weight)")
		}
		o.Weight = Binary{Max: o.MaxCost}
	case Enhanced, ThreeStep:
		o.Weight = LuoQi()
	case GravityModel:
		o.Weight = Gravity{Scale: 1, Alpha: -1, MinCost: 1}
	default:
		return o, errf("method", "unknown method %q (2sfca, e2sfca, 3sfca, gravity)", o.Method)
	}
	return o, nil
}

// Compute scores every demand point. demand has one value per cost row,
// supply one per column; values must be finite and ≥ 0.
func Compute(demand, supply []float64, costs *mat.Dense, opt Options) (Result, error) {
	opt, err := opt.Defaults()
	if err != nil {
		return Result{}, err
	}
	if len(demand) == 0 {
		return Result{}, errf("demand", "no demand points")
	}
	if len(supply) == 0 {
		return Result{}, errf("supply", "no supply points")
	}
	if err := checkValues("demand", demand); err != nil {
		return Result{}, err
	}
	if err := checkValues("supply", supply); err != nil {
		return Result{}, err
	}
	if err := CheckCosts(costs, len(demand), len(supply)); err != nil {
		return Result{}, err
	}
	n, m := len(demand), len(supply)
	limit := opt.Weight.Reach()
	if opt.MaxCost > 0 {
		limit = math.Min(limit, opt.MaxCost)
	}
	// w holds W_ij·G_ij, computed once.
	w := mat.NewDense(n, m, nil)
	res := Result{Scores: make([]float64, n), Reachable: make([]bool, n), Ratios: make([]float64, m)}
	for i := 0; i < n; i++ {
		row, out := costs.RawRowView(i), w.RawRowView(i)
		sum := 0.0
		for j, c := range row {
			if c > limit || math.IsInf(c, 1) {
				continue
			}
			x := opt.Weight.At(c)
			if x > 0 && !math.IsInf(x, 0) {
				out[j] = x
				sum += x
			}
		}
		res.Reachable[i] = sum > 0
		if opt.Method == ThreeStep && sum > 0 {
			for j, x := range out[:m] {
				out[j] = x * x / sum
			}
		}
	}
	v := make([]float64, m)
	for i := 0; i < n; i++ {
		d := demand[i]
		if d == 0 {
			continue
		}
		for j, x := range w.RawRowView(i)[:m] {
			v[j] += x * d
		}
	}
	for j := range v {
		if v[j] > 0 {
			res.Ratios[j] = supply[j] / v[j]
			res.ReachedSupply += supply[j]
		}
	}
	for i := 0; i < n; i++ {
		a := 0.0
		for j, x := range w.RawRowView(i)[:m] {
			a += x * res.Ratios[j]
		}
		res.Scores[i] = a
	}
	return res, nil
}
