package school

import (
	"fmt"
	"sort"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
)

// FromDistrict assembles the model's input from a district's layers and
// tables: grids and their streets (grids → communities → streets by
// parent_code; each community an Area births may be given for), children by age, births, schools (the schools layer: seats,
// level, catchment_code, grid_code; the feature id is the school id),
// catchments with their names, enrolment and housing, with pol as policy.
func FromDistrict(d *data.District, pol Policy) (*Input, error) {
	in := &Input{District: d.NameEN, Year: d.Year, Policy: pol}
	if in.District == "" {
		in.District = d.Name
	}
	str := func(f layers.Feature, k string) string { s, _ := f.Properties[k].(string); return s }
	commStreet := map[string]string{}
	for _, f := range d.Layers[layers.Communities] {
		commStreet[str(f, "code")] = str(f, "parent_code")
	}
	community := map[string][]string{}
	for _, f := range d.Layers[layers.Grids] {
		code := str(f, "code")
		parent := str(f, "parent_code")
		street, ok := commStreet[parent]
		if !ok {
			street = parent
		} else {
			community[parent] = append(community[parent], code)
		}
		in.Grids = append(in.Grids, Grid{Code: code, Street: street})
	}
	sort.Slice(in.Grids, func(i, j int) bool { return in.Grids[i].Code < in.Grids[j].Code })
	// Communities are areas births may be given for (streets and the
	// district need none).
	for c, gs := range community {
		sort.Strings(gs)
		in.Areas = append(in.Areas, Area{Code: c, Grids: gs})
	}
	sort.Slice(in.Areas, func(i, j int) bool { return in.Areas[i].Code < in.Areas[j].Code })
	for _, r := range d.Ages {
		in.Population = append(in.Population, AgeRow(r))
	}
	for _, r := range d.Births {
		in.Births = append(in.Births, BirthRow{Grid: r.Grid, Year: r.Year, Births: r.Births})
	}
	names := map[string]string{}
	for _, f := range d.Layers[layers.Catchments] {
		names[str(f, "code")] = str(f, "name")
	}
	for _, c := range d.Catchments {
		in.Catchments = append(in.Catchments, Catchment{Code: c.Code, Name: names[c.Code], Level: c.Level, Grids: append([]string(nil), c.Grids...)})
	}
	for _, f := range d.Layers[layers.Schools] {
		seats, ok := f.Properties["seats"].(int64)
		if !ok {
			return nil, fmt.Errorf("school: school %d has no int seats", f.ID)
		}
		in.Schools = append(in.Schools, School{
			ID: f.ID, Name: str(f, "name"), Level: str(f, "level"), Seats: int(seats),
			Catchment: str(f, "catchment_code"), Grid: str(f, "grid_code"),
		})
	}
	sort.Slice(in.Schools, func(i, j int) bool { return in.Schools[i].ID < in.Schools[j].ID })
	for _, r := range d.Enrolment {
		in.Enrolment = append(in.Enrolment, EnrolmentRow{School: r.SchoolID, Year: r.Year, Grade: r.Grade, Pupils: r.Pupils})
	}
	for _, h := range d.Housing {
		dw := make(map[string]int, len(h.Dwellings))
		for t, n := range h.Dwellings {
			dw[t] = n
		}
		in.Housing = append(in.Housing, Housing{ID: h.ID, Name: h.Name, Grid: h.Grid, Dwellings: dw, Completion: h.Completion})
	}
	return in, nil
}
