package siting

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

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
