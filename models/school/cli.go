package school

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/models/scenario"
)

// RunCLI is `onemap model school …` (args exclude "model school"):
//
//	--input FILE   the model input as JSON (see Input); default the demo district
//	--years N      years ahead, 1–10 (default 5)
//	--scenario F   a JSON file of changes ([{"op":…,"params":…}] or a scenario object)
//	--level L      primary | junior | all (default all)
//	--json|--csv   output format (default a text summary)
//	--backtest     fit up to T−1 and T−3, report MAPE (with --json: the JSON report)
//
// It returns the process exit code: 0 ok, 1 bad input or model error, 2 usage.
func RunCLI(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("onemap model school", flag.ContinueOnError)
	fs.SetOutput(stderr)
	input := fs.String("input", "", "model input JSON file (default: the demo district)")
	years := fs.Int("years", 5, "years ahead, 1–10")
	scen := fs.String("scenario", "", "JSON file of scenario changes")
	level := fs.String("level", "all", "primary | junior | all")
	asJSON := fs.Bool("json", false, "print JSON")
	asCSV := fs.Bool("csv", false, "print CSV")
	backtest := fs.Bool("backtest", false, "backtest at 1 and 3 years")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "onemap model school: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *asJSON && *asCSV {
		fmt.Fprintln(stderr, "onemap model school: choose one of --json and --csv")
		return 2
	}
	if *level != "all" && *level != Primary && *level != Junior {
		fmt.Fprintf(stderr, "onemap model school: --level %q: want primary, junior or all\n", *level)
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "onemap model school: %v\n", err)
		return 1
	}
	in, err := loadInput(*input)
	if err != nil {
		return fail(err)
	}
	if *backtest {
		bt, err := RunBacktest(in)
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			return writeJSON(stdout, stderr, bt)
		}
		fmt.Fprintf(stdout, "backtest: fitted up to T−k, forecast T = %d (MAPE, %%)\n", bt.Year)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "\t1 year\t3 years\t")
		fmt.Fprintf(tw, "district\t%.2f\t%.2f\t\n", bt.District.MAPE1y, bt.District.MAPE3y)
		for _, lv := range []string{Primary, Junior} {
			if s, ok := bt.Levels[lv]; ok {
				fmt.Fprintf(tw, "  %s\t%.2f\t%.2f\t\n", lv, s.MAPE1y, s.MAPE3y)
			}
		}
		fmt.Fprintf(tw, "catchment\t%.2f\t%.2f\t\n", bt.Catchment.MAPE1y, bt.Catchment.MAPE3y)
		_ = tw.Flush()
		return 0
	}
	opt := Options{Years: *years}
	if *scen != "" {
		changes, name, err := loadChanges(*scen)
		if err != nil {
			return fail(err)
		}
		if in, err = Apply(in, changes); err != nil {
			return fail(scenario.Prefix("changes", err))
		}
		opt.Scenario = name
	}
	r, err := Project(in, opt)
	if err != nil {
		return fail(err)
	}
	r = Filter(r, *level)
	switch {
	case *asJSON:
		return writeJSON(stdout, stderr, r)
	case *asCSV:
		if err := WriteCSV(stdout, r); err != nil {
			return fail(err)
		}
		return 0
	}
	summary(stdout, r)
	return 0
}

func loadInput(path string) (*Input, error) {
	if path == "" {
		return FromDistrict(demo.Generate(demo.Options{Seed: demo.DefaultSeed}), DefaultPolicy())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var in Input
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &in, nil
}

// loadChanges reads a list of changes or a scenario object.
func loadChanges(path string) ([]scenario.Change, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	var list []scenario.Change
	if err := json.Unmarshal(b, &list); err == nil {
		return list, "scenario", nil
	}
	var sc scenario.Scenario
	if err := json.Unmarshal(b, &sc); err != nil {
		return nil, "", fmt.Errorf("%s: want a list of changes or a scenario object: %w", path, err)
	}
	if len(sc.Changes) == 0 {
		return nil, "", errors.New(path + ": the scenario has no changes")
	}
	if sc.Name == "" {
		sc.Name = "scenario"
	}
	return sc.Changes, sc.Name, nil
}

func writeJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "onemap model school: %v\n", err)
		return 1
	}
	return 0
}

// summary prints the district per level and year, then the catchments
// that are red in any projected year.
func summary(w io.Writer, r *Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "school places, %s, base year %d\n", r.Scenario, r.BaseYear)
	fmt.Fprintln(tw, "unit\tlevel\tyear\tdemand\tseats\tgap\tpressure\twarning")
	row := func(s Series, p Point) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%d\t%+.0f\t%.3f\t%s\n", s.Code, s.Level, p.Year, p.Demand, p.Seats, p.Gap, p.Pressure, p.Warning)
	}
	for _, s := range r.District {
		for _, p := range s.Points {
			row(s, p)
		}
	}
	fmt.Fprintln(tw, "\ncatchments red in some year (first such year):")
	n := 0
	for _, s := range r.Catchments {
		for _, p := range s.Points {
			if p.Warning == Red {
				row(s, p)
				n++
				break
			}
		}
	}
	if n == 0 {
		fmt.Fprintln(tw, "none")
	}
	_ = tw.Flush()
}
