// Package data holds the district as onemap models it: the thematic layers
// and the non-spatial tables (population by age, births, catchments,
// enrolment, housing) the models read. Sources fill a District: the demo
// generator (data/demo), PostGIS (layers/postgis) and OSM (layers/osm).
package data

import "github.com/onemap/onemap/layers"

// District is a whole district as onemap holds it: every thematic layer
// (see layers.ThematicSchemas) plus the non-spatial tables the models use.
// The demo generator makes one; the PostGIS source reads one back.
type District struct {
	Name      string
	NameEN    string
	Synthetic bool
	// Year is the current year of the data: births and enrolment run up to
	// and including it, ages are as of it.
	Year int
	// Layers holds each thematic layer's features by layer name.
	Layers map[string][]layers.Feature

	Ages       []AgeRow
	Groups     []GroupRow
	Births     []BirthRow
	Catchments []CatchmentRow
	Enrolment  []EnrolmentRow
	Housing    []HousingProject
}

// AgeRow is the population of one single year of age (0–17) in one grid.
type AgeRow struct {
	Grid      string `json:"grid"`
	Age       int    `json:"age"`
	Residents int    `json:"residents"`
	Floating  int    `json:"floating"`
}

// GroupRow is a grid's population groups used by the demand-by-standard
// models (elderly care, hospital beds, parking, jobs).
type GroupRow struct {
	Grid       string `json:"grid"`
	Aged60Plus int    `json:"aged_60_plus"`
	WorkingAge int    `json:"working_age"` // 15–59
	Dwellings  int    `json:"dwellings"`
	Jobs       int    `json:"jobs"` // jobs located in the grid
}

// BirthRow is the births recorded in one grid in one year.
type BirthRow struct {
	Grid   string `json:"grid"`
	Year   int    `json:"year"`
	Births int    `json:"births"`
}

// CatchmentRow is a school catchment: the school it feeds and its grids.
// Catchments of one level partition the district's grids.
type CatchmentRow struct {
	Code     string   `json:"code"`
	SchoolID int64    `json:"school_id"`
	Level    string   `json:"level"` // primary | junior
	Grids    []string `json:"grids"`
}

// EnrolmentRow is the pupils of one grade of one school in one year
// (grades 1–6 primary, 7–9 junior).
type EnrolmentRow struct {
	SchoolID int64 `json:"school_id"`
	Year     int   `json:"year"`
	Grade    int   `json:"grade"`
	Pupils   int   `json:"pupils"`
}

// HousingProject is a planned or recent housing development.
type HousingProject struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name"`
	Grid       string         `json:"grid"`
	Lon        float64        `json:"lon"`
	Lat        float64        `json:"lat"`
	Dwellings  map[string]int `json:"dwellings"` // by type: commodity | affordable | rental
	Completion int            `json:"completion_year"`
}

// Put stores every source layer of d in c (layers.SourceSchemas), owned by
// owner, the source d came from; a layer d lacks is stored empty. Derived
// layers (fire circles) are their models' to put.
func (d *District) Put(c *layers.Catalog, owner string) error {
	for _, s := range layers.SourceSchemas(owner, d.Synthetic) {
		if _, err := c.Put(s, d.Layers[s.Name]); err != nil {
			return err
		}
	}
	return nil
}
