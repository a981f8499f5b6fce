package flood

import (
	"context"
	"fmt"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/sensors"
)

// pointKey is the Thing property naming its flood point.
const pointKey = "flood_point_id"

// ensureGauges returns each flood point's water-level datastream, making
// the SensorThings entities of points that lack one: a Thing (with
// properties.flood_point_id) at a Location, and a Datastream of water
// level in metres from the shared Sensor and ObservedProperty.
func ensureGauges(ctx context.Context, svc *sensors.Service, snap *layers.Snapshot) (map[int64]int64, error) {
	out := map[int64]int64{}
	for _, th := range svc.List(sensors.Things, nil) {
		props, _ := th.Props["properties"].(map[string]any)
		id, ok := props[pointKey].(float64)
		if !ok {
			continue
		}
		for _, ds := range svc.Related(th, sensors.Datastreams) {
			out[int64(id)] = ds.ID
			break
		}
	}
	var sensor, prop int64
	shared := func() error {
		if sensor != 0 {
			return nil
		}
		for _, s := range svc.List(sensors.Sensors, []sensors.Cond{{Field: "name", Op: "eq", Value: "water-level gauge"}}) {
			sensor = s.ID
		}
		for _, p := range svc.List(sensors.ObservedProperties, []sensors.Cond{{Field: "name", Op: "eq", Value: "water level"}}) {
			prop = p.ID
		}
		if sensor == 0 {
			s, err := svc.Create(ctx, sensors.Sensors, map[string]any{"name": "water-level gauge", "description": "ultrasonic water-level gauge of a flood-prone point",
				"encodingType": "application/pdf", "metadata": "https://www.ogc.org/"})
			if err != nil {
				return err
			}
			sensor = s.ID
		}
		if prop == 0 {
			p, err := svc.Create(ctx, sensors.ObservedProperties, map[string]any{"name": "water level", "description": "depth of standing water above the road surface",
				"definition": "http://vocabs.lter-europe.net/EnvThes/22035"})
			if err != nil {
				return err
			}
			prop = p.ID
		}
		return nil
	}
	made := false
	var err error
	snap.All(func(f *layers.Feature) bool {
		if _, ok := out[f.ID]; ok {
			return true
		}
		pt, ok := f.Geometry.(orb.Point)
		if !ok {
			return true
		}
		if err = shared(); err != nil {
			return false
		}
		name, _ := f.Properties["name"].(string)
		var loc, th, ds *sensors.Entity
		if loc, err = svc.Create(ctx, sensors.Locations, map[string]any{"name": name, "description": "flood-prone point " + name,
			"encodingType": "application/geo+json", "location": map[string]any{"type": "Point", "coordinates": []any{pt[0], pt[1]}}}); err != nil {
			return false
		}
		if th, err = svc.Create(ctx, sensors.Things, map[string]any{"name": name, "description": "water-level gauge at flood-prone point " + name,
			"properties": map[string]any{pointKey: float64(f.ID), "grid_code": f.Properties["grid_code"]},
			"Locations":  []any{map[string]any{"@iot.id": float64(loc.ID)}}}); err != nil {
			return false
		}
		if ds, err = svc.Create(ctx, sensors.Datastreams, map[string]any{"name": "water level at " + name, "description": "water level above the road surface",
			"unitOfMeasurement": map[string]any{"name": "metre", "symbol": "m", "definition": "http://www.qudt.org/qudt/owl/1.0.0/unit/Instances.html#Meter"},
			"observationType":   sensors.OMMeasurement, "properties": map[string]any{pointKey: float64(f.ID)},
			"Thing": map[string]any{"@iot.id": float64(th.ID)}, "Sensor": map[string]any{"@iot.id": float64(sensor)},
			"ObservedProperty": map[string]any{"@iot.id": float64(prop)}}); err != nil {
			return false
		}
		out[f.ID] = ds.ID
		made = true
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("flood: linking gauges: %w", err)
	}
	if made {
		if err := svc.EnsureFeatures(ctx); err != nil {
			return nil, fmt.Errorf("flood: features of interest: %w", err)
		}
	}
	return out, nil
}
