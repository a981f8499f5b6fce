package school

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/onemap/onemap/layers"
)

// Filter returns r with only the series of one level ("" or "all" keeps
// every level). r is not modified.
func Filter(r *Result, level string) *Result {
	if level == "" || level == "all" {
		return r
	}
	out := *r
	keep := func(ss []Series) []Series {
		o := make([]Series, 0, len(ss))
		for _, s := range ss {
			if s.Level == level {
				o = append(o, s)
			}
		}
		return o
	}
	out.Catchments, out.Streets, out.District = keep(r.Catchments), keep(r.Streets), keep(r.District)
	return &out
}

// csvHeader is the header row of WriteCSV before the grade columns, one
// per grade of the result's levels (grade_1 … grade_9 by default; grade_K
// for kindergarten), empty for the grades a level does not have.
var csvHeader = []string{"scenario", "kind", "code", "name", "level", "year", "demand", "housing", "seats", "gap", "pressure", "warning"}

// WriteCSV writes one row per series and projected year: catchments, then
// streets, then the district.
func WriteCSV(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	lo, hi := 1, 9
	for i, s := range append(append([]Series(nil), r.Catchments...), r.District...) {
		if len(s.Points) == 0 {
			continue
		}
		last := s.FirstGrade + len(s.Points[0].Grades) - 1
		if i == 0 {
			lo, hi = s.FirstGrade, last
		}
		lo, hi = min(lo, s.FirstGrade), max(hi, last)
	}
	head := append([]string(nil), csvHeader...)
	for g := lo; g <= hi; g++ {
		head = append(head, "grade_"+GradeName(g))
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	ff := func(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
	row := make([]string, len(head))
	for _, ss := range [][]Series{r.Catchments, r.Streets, r.District} {
		for _, s := range ss {
			for _, p := range s.Points {
				row = append(row[:0], r.Scenario, s.Kind, s.Code, s.Name, s.Level, strconv.Itoa(p.Year),
					ff(p.Demand), ff(p.Housing), strconv.Itoa(p.Seats), ff(p.Gap), strconv.FormatFloat(p.Pressure, 'f', 4, 64), p.Warning)
				for g := lo; g <= hi; g++ {
					i := g - s.FirstGrade
					if i >= 0 && i < len(p.Grades) {
						row = append(row, ff(p.Grades[i]))
					} else {
						row = append(row, "")
					}
				}
				if err := cw.Write(row); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// LayerName is the map layer of school-place pressure.
const LayerName = "school_pressure"

// LayerSchema is the school_pressure layer's schema: catchment polygons
// coloured by warning.
func LayerSchema(synthetic bool) layers.Schema {
	f := layers.NewField
	s := layers.Schema{Name: LayerName, TitleZH: "学位供需预警", TitleEN: "School-place pressure", Geometry: layers.MultiPolygon,
		MinZoom: 10, MaxZoom: 18, Synthetic: synthetic, Owner: Name, Derived: true,
		Description: "projected pupils against seats per catchment for one scenario and year; warning red/orange/yellow/green",
		Fields: []layers.Field{
			f("code", layers.String, "学区编码", "Catchment code"),
			f("name", layers.String, "名称", "Name"),
			f("level", layers.String, "学段", "Level"),
			f("demand", layers.Int, "学位需求", "Demand"),
			f("seats", layers.Int, "学位供给", "Seats"),
			f("gap", layers.Int, "缺口(需求−供给)", "Gap (demand − seats)"),
			f("pressure", layers.Float, "供需比", "Pressure (demand/seats)"),
			f("warning", layers.String, "预警等级", "Warning"),
			f("year", layers.Int, "年份", "Year"),
			f("scenario", layers.String, "情景", "Scenario"),
		}}
	if synthetic {
		s.Description += " (synthetic demo data)"
	}
	return s
}

// LayerFeatures turns the projection for year into school_pressure
// features over the catchment polygons (features of the catchments layer,
// matched by their code property). Catchments a scenario adds have no
// polygon yet and are left out.
func LayerFeatures(r *Result, catchments []layers.Feature, year int) ([]layers.Feature, error) {
	h := -1
	for i, y := range r.Years {
		if y == year {
			h = i
		}
	}
	if h < 0 {
		return nil, bad("year", "%d is not a projected year (%d–%d)", year, r.Years[0], r.Years[len(r.Years)-1])
	}
	byCode := make(map[string]*Series, len(r.Catchments))
	for i := range r.Catchments {
		byCode[r.Catchments[i].Code] = &r.Catchments[i]
	}
	out := make([]layers.Feature, 0, len(catchments))
	for _, f := range catchments {
		code, _ := f.Properties["code"].(string)
		s, ok := byCode[code]
		if !ok {
			continue
		}
		p := s.Points[h]
		out = append(out, layers.Feature{ID: f.ID, Geometry: f.Geometry, Properties: map[string]any{
			"code": code, "name": s.Name, "level": s.Level,
			"demand": int64(math.Round(p.Demand)), "seats": int64(p.Seats), "gap": int64(math.Round(p.Gap)),
			"pressure": math.Round(p.Pressure*1e4) / 1e4, "warning": p.Warning,
			"year": int64(year), "scenario": r.Scenario,
		}})
	}
	return out, nil
}

// PutLayer puts the school_pressure layer for year into cat, as its owner
// (the school model).
func PutLayer(cat *layers.Catalog, r *Result, year int) (int, error) {
	cl, ok := cat.Layer(layers.Catchments)
	if !ok {
		return 0, fmt.Errorf("school: the catalog has no %s layer", layers.Catchments)
	}
	fs, err := LayerFeatures(r, cat.Features(layers.Catchments), year)
	if err != nil {
		return 0, err
	}
	if _, err := cat.Put(LayerSchema(cl.Schema.Synthetic), fs); err != nil {
		return 0, err
	}
	return len(fs), nil
}
