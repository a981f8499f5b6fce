// Command onemap is the district's one-map spatial server and its tools.
//
//	onemap serve [--addr :8080] [--db URL | --osm FILE.osm.pbf]   serve the map (demo district by default)
//	onemap init --db URL                                          create onemap's own tables (serve only reads)
//	onemap load --db URL                                          write the demo district into PostGIS
//	onemap import osm FILE.osm.pbf [--db URL]                     import an OSM extract
//	onemap gen [--seed N] [--city] --out DIR                      write the demo district (or city) as GeoJSON
//	onemap bench tiles|http|dispatch|siting|city|replicas ...   side-by-side benchmarks with peers
//	onemap model school|demand ...                                run the school-place or demand model
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `onemap — the district's one-map spatial server

usage:
  onemap serve [flags]            serve tiles, features, the page and models (demo district by default)
  onemap init --db URL            create onemap's own tables in PostGIS (serve --db never writes)
  onemap load --db URL [--city]   write the demo district (or a 10-district city) into PostGIS (schema, then COPY)
  onemap import osm FILE [--db URL]  read an OSM extract (roads, facilities)
  onemap gen [--city] --out DIR   write the demo district (or city) as GeoJSON files
  onemap bench tiles|http|dispatch|siting|city|replicas [flags]  benchmarks side by side with PostGIS/pg_tileserv/pgRouting/OR-Library
  onemap model school|demand [flags]  school-place projection and backtest; resource demand by standard

Run "onemap COMMAND -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "init":
		err = initCmd(ctx, args[1:], stdout, stderr)
	case "load":
		err = load(ctx, args[1:], stdout)
	case "import":
		err = importCmd(ctx, args[1:], stdout, stderr)
	case "gen":
		err = gen(args[1:], stdout)
	case "bench":
		err = bench(ctx, args[1:], stdout, stderr)
	case "model":
		return model(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "onemap: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "onemap %s: %v\n", args[0], err)
		return 2
	}
	fmt.Fprintf(stderr, "onemap %s: %v\n", args[0], err)
	return 1
}

// usageError is a mistake in the command line (exit code 2).
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// envOr returns the environment variable's value, or def.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// newLogger makes the JSON or text slog logger the server writes to w.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level: %v", err)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, usagef("--log-format: want json or text, got %q", format)
}
