package demand

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/models/scenario"
)

// RunCLI is `onemap model demand`: the demand, supply and gap of a resource
// at a level for the demo district (or d when not nil), optionally under a
// JSON file of scenario changes and with a ratio override. It returns the
// exit code: 0, 1 on failure, 2 on bad usage.
func RunCLI(d *data.District, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("onemap model demand", flag.ContinueOnError)
	fs.SetOutput(stderr)
	res := fs.String("resource", string(ElderlyCare), "elderly_care | hospital_beds | parking | jobs")
	level := fs.String("level", string(StreetLevel), "grid | community | street | district")
	ratio := fs.Float64("ratio", 0, "override the resource's ratio (per 1,000 for beds, per dwelling, per working-age resident)")
	scen := fs.String("scenario", "", "JSON file: a list of changes [{\"op\":…,\"params\":{…}}]")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "onemap model demand: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return usage("unexpected argument %q", fs.Arg(0))
	}
	r, err := ParseResource(*res)
	if err != nil {
		return usage("--resource: %v", err)
	}
	lv, err := ParseLevel(*level)
	if err != nil {
		return usage("--level: %v", err)
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "onemap model demand: %v\n", err)
		return 1
	}
	if d == nil {
		d = demo.Generate(demo.Options{Seed: demo.DefaultSeed})
	}
	in, err := FromDistrict(d)
	if err != nil {
		return fail(err)
	}
	st := DefaultStandards()
	if *scen != "" {
		b, err := os.ReadFile(*scen)
		if err != nil {
			return fail(err)
		}
		var changes []scenario.Change
		if err := json.Unmarshal(b, &changes); err != nil {
			return fail(fmt.Errorf("%s: %w", *scen, err))
		}
		if in, st, err = Apply(in, st, changes); err != nil {
			return fail(fmt.Errorf("%s: %w", *scen, err))
		}
	}
	ratioSet := false
	fs.Visit(func(f *flag.Flag) { ratioSet = ratioSet || f.Name == "ratio" })
	if ratioSet {
		if err := st.SetRatio(r, *ratio); err != nil {
			return usage("--ratio: %v", err)
		}
	}
	t, err := Compute(in, r, st, lv)
	if err != nil {
		return fail(err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(t); err != nil {
			return fail(err)
		}
		return 0
	}
	fmt.Fprintf(stdout, "%s per %s: %g × %s", t.Resource, t.Level, t.Ratio, t.Base)
	if !t.SupplyKnown {
		fmt.Fprint(stdout, " (no supply layer: supply unknown)")
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "code\tname\tpopulation\tdemand\tsupply\tgap\t")
	for _, row := range append(t.Rows, t.Total) {
		fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.1f\t%.0f\t%+.1f\t\n", row.Code, row.Name, row.Population, row.Demand, row.Supply, row.Gap)
	}
	if err := tw.Flush(); err != nil {
		return fail(err)
	}
	return 0
}
