package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers/postgis"
)

// cityConfig is the --city flags of gen and load.
type cityConfig struct {
	city      bool
	districts int
}

func cityFlags(fs *flag.FlagSet) *cityConfig {
	c := &cityConfig{}
	fs.BoolVar(&c.city, "city", false, "a city of districts side by side (~660k buildings, ~40k cameras, a road graph of over a million nodes, ~20M residents) instead of one district")
	fs.IntVar(&c.districts, "districts", 10, "with --city: how many districts, 1–10")
	return c
}

// generate makes the demo district, or with --city the demo city, from
// seed, and says what it made on w.
func (c *cityConfig) generate(seed int64, w io.Writer) (*data.District, error) {
	if !c.city {
		return demo.Generate(demo.Options{Seed: seed}), nil
	}
	if c.districts < 1 || c.districts > 10 {
		return nil, usagef("--districts: want 1–10, got %d", c.districts)
	}
	start := time.Now()
	d, err := demo.GenerateCity(demo.CityOptions{Seed: seed, Districts: c.districts})
	if err != nil {
		return nil, err
	}
	n := demo.Count(d)
	fmt.Fprintf(w, "generated %s: %d districts, %d buildings, %d cameras, %d road vertices, %d residents, in %.1f s\n",
		d.NameEN, n.Districts, n.Buildings, n.Cameras, n.RoadVertices, n.Residents, time.Since(start).Seconds())
	return d, nil
}

// copyProgress prints a line per 50,000 rows copied and per table done.
func copyProgress(w io.Writer) postgis.Progress {
	start := time.Now()
	return func(table string, rows, total int) {
		fmt.Fprintf(w, "%7.1f s  %-18s %9d / %d rows\n", time.Since(start).Seconds(), table, rows, total)
	}
}
