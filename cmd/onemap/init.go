package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/models/scenario"
)

// initCmd creates onemap's own tables in a database: `onemap init --db URL`.
// It is the one command besides load that writes to a database's schema;
// serve only reads.
func initCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr("ONEMAP_DB", ""), "PostGIS URL (ONEMAP_DB); the tables go into its current schema")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" {
		return usagef("--db URL (or ONEMAP_DB) is required")
	}
	pool, err := postgis.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer pool.Close()
	before, err := postgis.Inspect(ctx, pool)
	if err != nil {
		return err
	}
	if err := postgis.Migrate(ctx, pool); err != nil {
		return err
	}
	if _, err := scenario.NewPostGIS(ctx, pool); err != nil {
		return err
	}
	after, err := postgis.Inspect(ctx, pool)
	if err != nil {
		return err
	}
	if len(before.Missing) == 0 && before.Triggers {
		fmt.Fprintf(stdout, "onemap's %d tables were already in schema %q: nothing to do\n", len(after.Present), after.Schema)
		return nil
	}
	fmt.Fprintf(stdout, "created onemap's tables in schema %q: %d tables (%d new), with change triggers; "+
		"fill them with `onemap load` or your own INSERTs, serve with `onemap serve --db URL`\n",
		after.Schema, len(after.Present), len(before.Missing))
	return nil
}
