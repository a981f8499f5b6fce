package school

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/models/scenario"
)

// RunCLI is `onemap model school …` (args exclude "model school"):
//
//	--input PATH   the model input: a JSON file (see Input), or CSV tables (a
//	               directory, a .csv file or a comma-separated list; see LoadCSV);
//	               default the demo district
//	--years N      years ahead, 1–10 (default 5)
//	--scenario F   a JSON file of changes ([{"op":…,"params":…}] or a scenario object)
//	--level L      primary | junior | all (default all)
//	--method M     cohort | shrink | survival | persistence (default the input's policy)
//	--intervals    add 80% prediction intervals (low/high) calibrated by a rolling backtest
//	--json|--csv   output format (default a text summary)
//	--backtest     fit up to T−1 and T−3, report MAPE (with --json: the JSON report)
//	--rolling      rolling-origin backtest with the baselines, per catchment and district:
//	               --from/--to origins, --horizons H (default 3), --split first held-out year
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
	rolling := fs.Bool("rolling", false, "rolling-origin backtest with the baselines")
	from := fs.Int("from", 0, "rolling: first origin (default: the first the history fits)")
	to := fs.Int("to", 0, "rolling: last origin (default: the base year − 1)")
	horizons := fs.Int("horizons", 3, "rolling: longest lead in years")
	split := fs.Int("split", 0, "rolling: first held-out year (default: base year − 5)")
	method := fs.String("method", "", "estimation method: "+strings.Join(Methods(), " | "))
	intervals := fs.Bool("intervals", false, "add 80% prediction intervals to the projection")
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
	if *method != "" {
		if !validMethod(*method) {
			fmt.Fprintf(stderr, "onemap model school: --method %q: want one of %s\n", *method, strings.Join(Methods(), ", "))
			return 2
		}
		in.Policy = in.Policy.withDefaults()
		in.Policy.Method = *method
	}
	if *rolling {
		r, err := RunRolling(in, RollingOptions{From: *from, To: *to, Horizons: *horizons, Split: *split})
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			return writeJSON(stdout, stderr, r)
		}
		rollingSummary(stdout, r)
		return 0
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
	if *intervals {
		b, err := Calibrate(in, 3, 0.8)
		if err != nil {
			return fail(fmt.Errorf("intervals: %w", err))
		}
		opt.Intervals = &b
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
	if IsCSVInput(path) {
		return LoadCSV(strings.Split(path, ",")...)
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

// rollingSummary prints the rolling backtest's MAPE table and intervals.
func rollingSummary(w io.Writer, r *Rolling) {
	fmt.Fprintf(w, "rolling-origin backtest: origins %d–%d, leads %d–%d, held out from %d (MAPE, %%)\n",
		r.Origins[0], r.Origins[len(r.Origins)-1], r.Horizons[0], r.Horizons[len(r.Horizons)-1], r.Split)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "set\tmethod\t")
	for _, h := range r.Horizons {
		fmt.Fprintf(tw, "catch %dy\tdistr %dy\t", h, h)
	}
	fmt.Fprintln(tw)
	for _, set := range []string{"selection", "evaluation"} {
		for _, m := range r.Methods {
			hs := m.Selection
			if set == "evaluation" {
				hs = m.Evaluation
			}
			if len(hs) == 0 {
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t", set, m.Method)
			for _, h := range r.Horizons {
				var x *HorizonScore
				for i := range hs {
					if hs[i].Horizon == h {
						x = &hs[i]
					}
				}
				if x == nil {
					fmt.Fprint(tw, "–\t–\t")
					continue
				}
				fmt.Fprintf(tw, "%.2f\t%.2f\t", x.Catchment, x.District)
			}
			fmt.Fprintln(tw)
		}
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "chosen on the selection set: %s\n", r.Chosen)
	if iv := r.Intervals; iv != nil {
		fmt.Fprintf(w, "%.0f%% intervals (%s), recorded/forecast:", 100*iv.Coverage, iv.Method)
		for _, b := range iv.Bands.Catchment {
			size := ""
			if b.Upto > 0 {
				size = fmt.Sprintf(" (≤ %.0f)", b.Upto)
			}
			fmt.Fprintf(w, "  %dy%s %.3f–%.3f", b.Horizon, size, b.Low, b.High)
		}
		fmt.Fprintln(w)
		if len(iv.Observed) > 0 {
			fmt.Fprintf(w, "coverage on the held-out years: catchments %.1f%% of %d, district %.1f%% of %d;",
				100*iv.Overall.Catchment, iv.Overall.N, 100*iv.Overall.District, iv.Overall.ND)
			for _, c := range iv.Observed {
				fmt.Fprintf(w, "  %dy %.1f%%", c.Horizon, 100*c.Catchment)
			}
			fmt.Fprintln(w)
		}
	}
}
