package school

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
)

func TestCSV(t *testing.T) {
	r, err := Project(three(), Options{Years: 3})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// 3 catchments + 2 streets × 2 levels + 2 district series, 3 years each.
	if want := 1 + 3*(3+4+2); len(rows) != want {
		t.Fatalf("%d rows, want %d", len(rows), want)
	}
	if rows[0][6] != "demand" || rows[0][12] != "grade_1" || rows[0][20] != "grade_9" {
		t.Fatalf("header %v", rows[0])
	}
	for _, row := range rows[1:] {
		if row[1] == "catchment" && row[2] == "J" && row[12] != "" {
			t.Fatalf("junior row with grade 1: %v", row)
		}
		if row[1] == "catchment" && row[2] == "P" && (row[12] == "" || row[18] != "") {
			t.Fatalf("primary row grades: %v", row)
		}
	}
	f := Filter(r, Junior)
	if len(f.Catchments) != 1 || len(f.District) != 1 || len(r.Catchments) != 3 {
		t.Fatalf("filter: %d %d (orig %d)", len(f.Catchments), len(f.District), len(r.Catchments))
	}
}

func square(x float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x, 0}, {x + 1, 0}, {x + 1, 1}, {x, 1}, {x, 0}}}}
}

func TestLayer(t *testing.T) {
	r, err := Project(three(), Options{Years: 3, Scenario: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	cat := layers.NewCatalog()
	if _, err := PutLayer(cat, r, 2026); err == nil {
		t.Fatal("no catchments layer: want an error")
	}
	var schema layers.Schema
	for _, s := range layers.ThematicSchemas(true) {
		if s.Name == layers.Catchments {
			schema = s
		}
	}
	cat.Put(schema, []layers.Feature{
		{ID: 11, Geometry: square(0), Properties: map[string]any{"code": "P", "level": "primary"}},
		{ID: 12, Geometry: square(1), Properties: map[string]any{"code": "P2", "level": "primary"}},
		{ID: 13, Geometry: square(0), Properties: map[string]any{"code": "J", "level": "junior"}},
		{ID: 14, Geometry: square(5), Properties: map[string]any{"code": "gone", "level": "junior"}},
	})
	if _, err := PutLayer(cat, r, 2030); err == nil {
		t.Fatal("year outside the projection: want an error")
	}
	n, err := PutLayer(cat, r, 2026)
	if err != nil || n != 3 {
		t.Fatalf("%d %v", n, err)
	}
	l, ok := cat.Layer(LayerName)
	if !ok || !l.Schema.Synthetic {
		t.Fatal("layer missing or not marked synthetic")
	}
	f, _ := l.Snapshot().Get(12)
	p := points(r, "P2", Primary)[1]
	for _, fld := range l.Schema.Fields {
		v, ok := f.Properties[fld.Name]
		if !ok {
			t.Errorf("missing %s", fld.Name)
			continue
		}
		switch fld.Type {
		case layers.Int:
			_, ok = v.(int64)
		case layers.Float:
			_, ok = v.(float64)
		case layers.String:
			_, ok = v.(string)
		}
		if !ok {
			t.Errorf("%s: %T is not %s", fld.Name, v, fld.Type)
		}
	}
	if f.Properties["seats"] != int64(500) || f.Properties["year"] != int64(2026) || f.Properties["scenario"] != "s1" ||
		f.Properties["warning"] != p.Warning || f.Properties["level"] != Primary {
		t.Fatalf("properties %v", f.Properties)
	}
}

func TestChart(t *testing.T) {
	r, err := Project(three(), Options{Years: 10})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Chart(&b, r.District[0], r.BaseYear, "District <primary> & co"); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	dec := xml.NewDecoder(strings.NewReader(svg))
	circles, polylines := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "circle":
				circles++
			case "polyline":
				polylines++
			}
		}
	}
	if circles != 10 || polylines != 3 || !strings.Contains(svg, "&lt;primary&gt; &amp; co") {
		t.Fatalf("%d circles, %d polylines\n%s", circles, polylines, svg)
	}
	if niceStep(230) != 500 || niceStep(100) != 100 || thousands(1234567) != "1,234,567" || thousands(-1000) != "-1,000" {
		t.Fatal("axis helpers")
	}
}

func TestCLI(t *testing.T) {
	dir := t.TempDir()
	in := three()
	js, _ := json.Marshal(in)
	file := filepath.Join(dir, "in.json")
	if err := os.WriteFile(file, js, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := RunCLI(args, &o, &e)
		return code, o.String(), e.String()
	}
	code, out, errs := run("--input", file, "--years", "5", "--json")
	var r Result
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || len(r.Years) != 5 || r.BaseYear != 2024 {
		t.Fatalf("json: %d %s %s", code, errs, out)
	}
	code, out, _ = run("--input", file, "--years", "2", "--csv", "--level", "junior")
	if code != 0 || strings.Count(out, "\n") != 1+2*(1+2+1) {
		t.Fatalf("csv: %d\n%s", code, out)
	}
	code, out, _ = run("--input", file)
	if code != 0 || !strings.Contains(out, "base year 2024") {
		t.Fatalf("text: %d\n%s", code, out)
	}
	sc := filepath.Join(dir, "sc.json")
	_ = os.WriteFile(sc, []byte(`{"name":"estate","changes":[{"op":"add_housing","params":{"grid":"G3","dwellings":{"commodity":3000},"completion_year":2026}}]}`), 0o644)
	code, out, errs = run("--input", file, "--scenario", sc, "--json")
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Scenario != "estate" {
		t.Fatalf("scenario: %d %s", code, errs)
	}
	for _, bad := range []struct {
		code int
		args []string
		msg  string
	}{
		{1, []string{"--input", file, "--years", "11"}, "years"},
		{2, []string{"--input", file, "--json", "--csv"}, "one of"},
		{2, []string{"--bogus"}, "bogus"},
		{1, []string{"--input", filepath.Join(dir, "missing.json")}, "missing.json"},
	} {
		code, _, errs := run(bad.args...)
		if code != bad.code || !strings.Contains(errs, bad.msg) {
			t.Errorf("%v: %d %q", bad.args, code, errs)
		}
	}
	// The documented example input and scenario run.
	code, out, errs = run("--input", "testdata/example_input.json", "--scenario", "testdata/example_scenario.json", "--years", "5")
	if code != 0 || !strings.Contains(out, "new school in Xiangmihu") {
		t.Fatalf("example: %d %s %s", code, errs, out)
	}
	in.Schools[0].Seats = -3
	js, _ = json.Marshal(in)
	_ = os.WriteFile(file, js, 0o644)
	if code, _, errs := run("--input", file); code != 1 || !strings.Contains(errs, "schools[0].seats") {
		t.Errorf("negative seats: %d %q", code, errs)
	}
}

// TestChartIntervals: points with an interval draw one shaded band from
// the base year through every projected year, inside the chart.
func TestChartIntervals(t *testing.T) {
	iv := &Intervals{District: []Band{{Horizon: 1, Low: 0.95, High: 1.05}, {Horizon: 2, Low: 0.9, High: 1.1}}}
	r, err := Project(three(), Options{Years: 4, Intervals: iv})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Chart(&b, r.District[0], r.BaseYear, "District"); err != nil {
		t.Fatal(err)
	}
	svg := b.String()
	dec := xml.NewDecoder(strings.NewReader(svg))
	bands := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polygon" {
			bands++
			for _, a := range se.Attr {
				if a.Name.Local == "points" && strings.Count(a.Value, ",") != 2*(1+4) {
					t.Errorf("band points %q: want the base year and 4 projected years, up and back", a.Value)
				}
			}
		}
	}
	if bands != 1 || !strings.Contains(svg, "80% interval") {
		t.Errorf("%d bands\n%s", bands, svg)
	}
	b.Reset()
	r, _ = Project(three(), Options{Years: 4})
	_ = Chart(&b, r.District[0], r.BaseYear, "District")
	if strings.Contains(b.String(), "<polygon") {
		t.Error("a band without intervals")
	}
}
