package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/onemap/onemap/data/demo"
	"github.com/paulmach/orb/geojson"
)

// gen writes the demo district as one GeoJSON file per layer plus
// tables.json, for QGIS or scripts.
func gen(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	seed := fs.Int64("seed", demo.DefaultSeed, "generator seed (same seed, same bytes)")
	out := fs.String("out", "", "directory to write into (required)")
	cc := cityFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out DIR is required")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	d, err := cc.generate(*seed, stdout)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(d.Layers))
	for n := range d.Layers {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fc := geojson.NewFeatureCollection()
		for _, f := range d.Layers[n] {
			g := geojson.NewFeature(f.Geometry)
			g.ID = f.ID
			for k, v := range f.Properties {
				g.Properties[k] = v
			}
			fc.Append(g)
		}
		b, err := fc.MarshalJSON()
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		if err := os.WriteFile(filepath.Join(*out, n+".geojson"), b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-14s %6d features\n", n, len(d.Layers[n]))
	}
	tables := map[string]any{"year": d.Year, "ages": d.Ages, "groups": d.Groups, "births": d.Births,
		"catchments": d.Catchments, "enrolment": d.Enrolment, "housing": d.Housing}
	b, err := json.Marshal(tables)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*out, "tables.json"), b, 0o644)
}
