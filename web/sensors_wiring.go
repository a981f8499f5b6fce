package web

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/flood"
	"github.com/onemap/onemap/models/sensors"
)

// startSensors builds the SensorThings service (observations in PostGIS
// when serving from it, else in memory) and, when the catalog has flood
// points, the flood model that derives flood_state from their gauges.
func startSensors(ctx context.Context, cfg RoutesConfig) (*STA, error) {
	var store sensors.Store = sensors.NewMemory()
	if cfg.Pool != nil {
		ps := sensors.NewPostGIS(cfg.Pool, 0)
		context.AfterFunc(ctx, ps.Close)
		store = ps
	}
	var model atomic.Pointer[flood.Model]
	svc, err := sensors.New(ctx, sensors.Config{Store: store, Accepted: func(obs []sensors.Observation) {
		if m := model.Load(); m != nil {
			m.Observe(obs)
		}
	}})
	if err != nil {
		return nil, fmt.Errorf("sensors: %w", err)
	}
	if _, ok := cfg.Catalog.Layer(layers.FloodPoints); ok {
		m, err := flood.New(ctx, cfg.Catalog, svc, cfg.Hub, flood.Config{}, cfg.Log)
		if err != nil {
			return nil, fmt.Errorf("flood model: %w", err)
		}
		context.AfterFunc(ctx, m.Close)
		model.Store(m)
	}
	return NewSTA(svc), nil
}
