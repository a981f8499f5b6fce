package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/osm"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/models/demand"
	"github.com/onemap/onemap/models/dispatch"
	"github.com/onemap/onemap/models/school"
	"github.com/onemap/onemap/models/siting"
	"github.com/onemap/onemap/spatial/network"
	"github.com/onemap/onemap/tiles"
)

// load writes the demo district into PostGIS.
func load(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	db := fs.String("db", envOr("ONEMAP_DB", ""), "PostGIS URL (ONEMAP_DB)")
	seed := fs.Int64("seed", demo.DefaultSeed, "demo district seed")
	cc := cityFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" {
		return usagef("--db URL (or ONEMAP_DB) is required")
	}
	start := time.Now()
	d, err := cc.generate(*seed, stdout)
	if err != nil {
		return err
	}
	var progress postgis.Progress
	if cc.city {
		progress = copyProgress(stdout)
	}
	if err := postgis.LoadProgress(ctx, *db, d, progress); err != nil {
		return err
	}
	n := 0
	for _, fs := range d.Layers {
		n += len(fs)
	}
	fmt.Fprintf(stdout, "loaded %s: %d layers, %d features, in %.1f s\n", d.NameEN, len(d.Layers), n, time.Since(start).Seconds())
	return nil
}

// importCmd reads an OSM extract: `onemap import osm FILE [--db URL]`.
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "osm" {
		return usagef("usage: onemap import osm FILE.osm.pbf [--db URL]")
	}
	fs := flag.NewFlagSet("import osm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr("ONEMAP_DB", ""), "PostGIS URL to write the roads and facilities into (ONEMAP_DB); without it, only a summary is printed")
	// Accept the file before or after the flags.
	rest := args[1:]
	var file string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		file, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if file == "" {
		return usagef("usage: onemap import osm FILE.osm.pbf [--db URL]")
	}
	if *db != "" {
		if err := osm.Import(ctx, file, *db, stderr); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "written to PostGIS: serve it with onemap serve --db URL")
		return nil
	}
	d, g, err := network.LoadOSM(ctx, file, stderr)
	if err != nil {
		return err
	}
	for _, name := range []string{layers.Roads, layers.FireStations, layers.Schools, layers.Hospitals, layers.ElderlyCare} {
		fmt.Fprintf(stdout, "%-14s %7d\n", name, len(d.Layers[name]))
	}
	fmt.Fprintf(stdout, "road graph: %d nodes, %d directed edges (give --db URL to write it into PostGIS)\n", g.Nodes(), g.Edges())
	return nil
}

// bench runs the side-by-side benchmarks.
func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("usage: onemap bench tiles|http|dispatch|siting|city|replicas [flags]")
	}
	switch args[0] {
	case "tiles":
		return benchTiles(ctx, args[1:], stdout, stderr)
	case "http":
		return benchHTTP(ctx, args[1:], stdout, stderr)
	case "dispatch":
		return benchDispatch(ctx, args[1:], stdout, stderr)
	case "city":
		return benchCity(ctx, args[1:], stdout, stderr)
	case "replicas":
		return benchReplicas(ctx, args[1:], stdout, stderr)
	case "siting":
		fs := flag.NewFlagSet("bench siting", flag.ContinueOnError)
		fs.SetOutput(stderr)
		dir := fs.String("data", filepath.Join("..", "shared", "data"), "reference data folder holding orlib-pmed/ and spopt-sf/")
		budget := fs.Duration("budget", 45*time.Second, "time for all forty OR-Library instances together")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return siting.Bench(ctx, *dir, *budget, stdout)
	}
	return usagef("unknown benchmark %q: tiles, http, dispatch, siting, city or replicas", args[0])
}

// benchTiles renders the same tiles with onemap and PostGIS ST_AsMVT.
func benchTiles(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench tiles", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr("ONEMAP_DB", ""), "PostGIS URL holding the demo district (run `onemap load` first)")
	per := fs.Int("per-zoom", 8, "tiles per zoom level, z10–z17")
	reps := fs.Int("reps", 3, "renders of each tile by each side")
	setsFlag := fs.String("sets", "grids;roads;buildings;hazards,flood_points,fire_stations,schools;water,districts,streets,communities,grids,buildings,roads", "layer sets, ';'-separated, layers ','-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pool, err := connect(ctx, *db)
	if err != nil {
		return err
	}
	defer pool.Close()
	d, err := postgis.Read(ctx, pool)
	if err != nil {
		return err
	}
	cat := layers.NewCatalog()
	if err := d.Put(cat, layers.OwnerPostGIS); err != nil {
		return err
	}
	var sets [][]string
	for _, s := range strings.Split(*setsFlag, ";") {
		sets = append(sets, strings.Split(s, ","))
	}
	l, _ := cat.Layer(layers.Districts)
	list := tiles.Sample(l.Snapshot().Bound(), 10, 17, *per)
	_, err = tiles.BenchPostGIS(ctx, pool, cat, sets, list, *reps, stdout)
	return err
}

// model runs a decision model from the command line.
func model(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "school":
			return school.RunCLI(args[1:], stdout, stderr)
		case "demand":
			return demand.RunCLI(nil, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintln(stderr, "usage: onemap model school [--input FILE|DIR|a.csv,b.csv] [--years N] [--method M] [--intervals] [--json|--csv] [--backtest] [--rolling [--from T --to T --horizons H --split Y]]\n       onemap model demand [flags]  (onemap model demand -h)")
	return 2
}

// benchDispatch answers the same alarms with onemap and pgRouting on the
// demo district's road graph (pgRouting's side in a scratch table).
func benchDispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench dispatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr("ONEMAP_DB", ""), "PostGIS URL with pgRouting (a scratch table is made there)")
	alarms := fs.Int("alarms", 200, "alarm points")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" {
		return usagef("--db URL (or ONEMAP_DB) is required")
	}
	_, err := dispatch.BenchDemo(ctx, *db, *alarms, stdout)
	return err
}
