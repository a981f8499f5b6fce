package config

import (
	"sort"

	"github.com/onemap/onemap/layers"
)

// Shape is the kind of geometry a role needs.
type Shape string

// The shapes of roles.
const (
	Areas  Shape = "polygons"
	Lines  Shape = "lines"
	Points Shape = "points"
)

// Role is what a layer can be to onemap: which thematic layer it fills,
// what geometry it needs, which of the layer's fields must come from a
// column and which have a default when none does.
type Role struct {
	// Layer is the thematic layer (layers.ThematicSchemas) the role fills.
	Layer string
	Shape Shape
	// Required fields must be mapped to a column (or named so in the table).
	Required []string
	// Defaults are the values of fields no column holds.
	Defaults map[string]any
	// Doc says in a few words what onemap does with the layer.
	Doc string
}

// Roles are every role a layer may play, by name (the thematic layer's).
var Roles = map[string]Role{
	layers.Districts: {Layer: layers.Districts, Shape: Areas, Required: []string{"code"},
		Defaults: map[string]any{"level": "district"}, Doc: "top of the grid hierarchy: locate, stats, the KPI panel"},
	layers.Streets: {Layer: layers.Streets, Shape: Areas, Required: []string{"code"},
		Defaults: map[string]any{"level": "street"}, Doc: "second level of the hierarchy (parent_code: the district's code)"},
	layers.Communities: {Layer: layers.Communities, Shape: Areas, Required: []string{"code"},
		Defaults: map[string]any{"level": "community"}, Doc: "third level (parent_code: the street's code)"},
	layers.Grids: {Layer: layers.Grids, Shape: Areas, Required: []string{"code"},
		Defaults: map[string]any{"level": "grid"}, Doc: "finest level: locate finds the grid of a point, stats count inside it"},
	layers.Roads: {Layer: layers.Roads, Shape: Lines,
		Doc: "the road graph of dispatch, isochrones and coverage (speed_kmh, else by class: arterial 60, secondary 40, else 25; oneway)"},
	layers.FireStations: {Layer: layers.FireStations, Shape: Points,
		Defaults: map[string]any{"available": true, "vehicles": int64(1)}, Doc: "the fire teams dispatch ranks"},
	layers.Schools:     {Layer: layers.Schools, Shape: Points, Doc: "schools (level primary|junior, seats)"},
	layers.Hospitals:   {Layer: layers.Hospitals, Shape: Points, Doc: "hospitals (beds)"},
	layers.ElderlyCare: {Layer: layers.ElderlyCare, Shape: Points, Doc: "elderly-care homes (beds, occupied)"},
	layers.Cameras:     {Layer: layers.Cameras, Shape: Points, Doc: "cameras"},
	layers.FloodPoints: {Layer: layers.FloodPoints, Shape: Points,
		Defaults: map[string]any{"state": "normal"}, Doc: "flood-prone points (alert_level_m, water_level_m, state normal|warning|alarm)"},
	layers.Hazards:   {Layer: layers.Hazards, Shape: Points, Doc: "hazard sources (class, risk_level 1 major … 4 low)"},
	layers.Buildings: {Layer: layers.Buildings, Shape: Areas, Doc: "buildings of the basemap"},
	layers.Water:     {Layer: layers.Water, Shape: Areas, Doc: "water of the basemap"},
}

// RoleNames lists the roles in name order.
func RoleNames() []string {
	out := make([]string, 0, len(Roles))
	for n := range Roles {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// shapeOf is the shape a geometry type has (false for mixed).
func shapeOf(t layers.GeomType) (Shape, bool) {
	switch t {
	case layers.Point, layers.MultiPoint:
		return Points, true
	case layers.LineString, layers.MultiLineString:
		return Lines, true
	case layers.Polygon, layers.MultiPolygon:
		return Areas, true
	}
	return "", false
}

// thematic returns the thematic layer's schema.
func thematic(name string) layers.Schema {
	for _, s := range layers.ThematicSchemas(false) {
		if s.Name == name {
			return s
		}
	}
	return layers.Schema{Name: name}
}
