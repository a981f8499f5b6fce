package siting

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"
)

// SFCase is pysal/spopt's San Francisco siting case: 205 census tracts
// weighted by their 2000 population and 16 candidate store sites, with
// network distances in metres. Rows follow the tract names and columns the
// store names in sorted order, as spopt's pivot table does.
type SFCase struct {
	Tracts  []string
	Stores  []string
	Weights []float64 // POP2000
	Costs   *mat.Dense
}

// ReadSF reads the case from dir (spopt's three CSV files).
func ReadSF(dir string) (SFCase, error) {
	pop := map[string]float64{}
	recs, err := readCSV(filepath.Join(dir, "SF_demand_205_centroid_uniform_weight.csv"))
	if err != nil {
		return SFCase{}, err
	}
	col := func(h []string, name string) int { return slices.Index(h, name) }
	h := recs[0]
	iName, iPop := col(h, "NAME"), col(h, "POP2000")
	if iName < 0 || iPop < 0 {
		return SFCase{}, fmt.Errorf("siting: demand file lacks NAME or POP2000")
	}
	for _, r := range recs[1:] {
		v, err := strconv.ParseFloat(r[iPop], 64)
		if err != nil {
			return SFCase{}, fmt.Errorf("siting: POP2000 %q: %w", r[iPop], err)
		}
		pop[r[iName]] = v
	}
	recs, err = readCSV(filepath.Join(dir, "SF_network_distance_candidateStore_16_censusTract_205_new.csv"))
	if err != nil {
		return SFCase{}, err
	}
	h = recs[0]
	iDist, iStore, iTract := col(h, "distance"), col(h, "name"), col(h, "DestinationName")
	if iDist < 0 || iStore < 0 || iTract < 0 {
		return SFCase{}, fmt.Errorf("siting: distance file lacks distance, name or DestinationName")
	}
	dist := map[[2]string]float64{}
	var c SFCase
	for _, r := range recs[1:] {
		v, err := strconv.ParseFloat(r[iDist], 64)
		if err != nil {
			return SFCase{}, fmt.Errorf("siting: distance %q: %w", r[iDist], err)
		}
		dist[[2]string{r[iTract], r[iStore]}] = v
		c.Tracts = append(c.Tracts, r[iTract])
		c.Stores = append(c.Stores, r[iStore])
	}
	slices.Sort(c.Tracts)
	c.Tracts = slices.Compact(c.Tracts)
	slices.Sort(c.Stores)
	c.Stores = slices.Compact(c.Stores)
	c.Costs = mat.NewDense(len(c.Tracts), len(c.Stores), nil)
	for i, t := range c.Tracts {
		w, ok := pop[t]
		if !ok {
			return SFCase{}, fmt.Errorf("siting: tract %s has no population", t)
		}
		c.Weights = append(c.Weights, w)
		for j, s := range c.Stores {
			v, ok := dist[[2]string{t, s}]
			if !ok {
				return SFCase{}, fmt.Errorf("siting: no distance from %s to %s", t, s)
			}
			c.Costs.Set(i, j, v)
		}
	}
	return c, nil
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("siting: %w", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("siting: %s: %w", path, err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("siting: %s: %w", path, io.ErrUnexpectedEOF)
	}
	return recs, nil
}

// BenchSF solves the San Francisco case at p = 4 — p-median, and MCLP at a
// 5,000 m service radius (the radius of spopt's own tests) — and writes the
// results beside spopt's documented ones.
func BenchSF(ctx context.Context, dir string, w io.Writer) error {
	sf, err := ReadSF(dir)
	if err != nil {
		return err
	}
	total := 0.0
	for _, x := range sf.Weights {
		total += x
	}
	pm, err := Solve(ctx, PMedian, Problem{Costs: sf.Costs, Weights: sf.Weights, P: 4}, Options{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "San Francisco (spopt): %d tracts, %d candidate stores, POP2000 %.0f\n", len(sf.Tracts), len(sf.Stores), total)
	fmt.Fprintf(w, "p-median p=4: %s, %.0f person-metres, mean %.4f m (spopt 2982.1269), bound %.0f, optimal %v, %.3f s\n",
		strings.Join(names(sf.Stores, pm.Chosen), " "), pm.Objective, pm.Objective/total, pm.Bound, pm.Optimal, pm.Seconds)
	mc, err := Solve(ctx, MCLP, Problem{Costs: sf.Costs, Weights: sf.Weights, P: 4, Radius: 5000}, Options{})
	if err != nil {
		return err
	}
	uncovered := 0
	for _, c := range mc.Covered {
		if !c {
			uncovered++
		}
	}
	fmt.Fprintf(w, "MCLP p=4 radius 5000 m: %s, covers %.0f people (%.2f%%), %d of %d tracts uncovered (spopt 21, 89.76%% of tracts covered), bound %.0f, optimal %v, %.3f s\n",
		strings.Join(names(sf.Stores, mc.Chosen), " "), mc.Objective, 100*mc.Objective/total, uncovered, len(sf.Tracts), mc.Bound, mc.Optimal, mc.Seconds)
	return nil
}

func names(all []string, idx []int) []string {
	out := make([]string, len(idx))
	for k, j := range idx {
		out[k] = all[j]
	}
	return out
}

// Bench is `onemap bench siting`: the OR-Library table (all forty within
// budget, 45 s when 0, shortest paths included) and the San Francisco
// case, read from dataDir (the shared reference data folder holding
// orlib-pmed/ and spopt-sf/).
func Bench(ctx context.Context, dataDir string, budget time.Duration, w io.Writer) error {
	if budget <= 0 {
		budget = 45 * time.Second
	}
	if _, err := BenchORLibWithin(ctx, filepath.Join(dataDir, "orlib-pmed"), budget, w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	return BenchSF(ctx, filepath.Join(dataDir, "spopt-sf"), w)
}
