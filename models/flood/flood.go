// Package flood derives the state of every flood-prone point from its
// water-level gauge: the derived layer flood_state (owner "flood"), one
// point per flood_points feature, normal, warning, alarm or stale.
//
// flood_points is a source layer (its thresholds, alert_level_m, come from
// the survey); the live state is not written back into it. The model reads
// the points, links each to a SensorThings datastream (one Thing per point,
// made when missing), and follows the observations the sensors service
// accepts. A state change is applied to flood_state, which drops its tiles
// and reaches the live feed; readings go to the feed as they come.
package flood

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/live"
	"github.com/onemap/onemap/models/sensors"
)

// Owner is the writer of the derived Layer.
const Owner = "flood"

// Layer is the derived layer's name.
const Layer = "flood_state"

// The states a point is in.
const (
	Normal  = "normal"
	Warning = "warning"
	Alarm   = "alarm"
	Stale   = "stale" // the gauge has reported, then stopped
)

// Config tunes the derivation.
type Config struct {
	// WarnRatio: a point warns from this fraction of its alert level (0.8).
	WarnRatio float64
	// Hysteresis (m): a state is left only once the level is this far
	// below the threshold that entered it (0.05).
	Hysteresis float64
	// RiseWarn (m/h): a rise this fast warns whatever the level (0.3).
	RiseWarn float64
	// RiseWindow is the span the rate of rise is measured over (15 min).
	RiseWindow time.Duration
	// StaleAfter: a gauge silent this long makes its point stale (15 min).
	StaleAfter time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.WarnRatio <= 0 {
		c.WarnRatio = 0.8
	}
	if c.Hysteresis <= 0 {
		c.Hysteresis = 0.05
	}
	if c.RiseWarn <= 0 {
		c.RiseWarn = 0.3
	}
	if c.RiseWindow <= 0 {
		c.RiseWindow = 15 * time.Minute
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = 15 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

type sample struct {
	at    time.Time
	level float64
}

type point struct {
	id         int64
	geom       orb.Point
	name, grid string
	alert      float64
	datastream int64
	level      float64
	source     string // "survey" until the gauge reports, then "gauge"
	at         time.Time
	rise       float64 // m/h
	state      string
	history    []sample
}

// Model derives flood_state. It is safe for concurrent use.
type Model struct {
	cat *layers.Catalog
	svc *sensors.Service
	hub *live.Hub
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	points map[int64]*point
	byDS   map[int64]int64 // datastream → point
	follow *layers.Follower
	stop   chan struct{}
	done   chan struct{}
}

// New links every flood point to a gauge datastream in svc (making the
// SensorThings entities of the points lacking one), puts the flood_state
// layer and follows flood_points. hub may be nil. Close stops it.
func New(ctx context.Context, cat *layers.Catalog, svc *sensors.Service, hub *live.Hub, cfg Config, log *slog.Logger) (*Model, error) {
	cfg.defaults()
	if log == nil {
		log = slog.Default()
	}
	m := &Model{cat: cat, svc: svc, hub: hub, cfg: cfg, log: log, points: map[int64]*point{}, byDS: map[int64]int64{},
		stop: make(chan struct{}), done: make(chan struct{})}
	if err := m.load(ctx); err != nil {
		return nil, err
	}
	m.follow = cat.Follow([]string{layers.FloodPoints}, func([]layers.Event) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := m.load(ctx); err != nil {
			m.log.Error("flood: following flood_points", "err", err)
		}
	})
	go m.watchStale()
	return m, nil
}

// Close stops following the catalog and the stale check.
func (m *Model) Close() {
	m.follow.Stop()
	close(m.stop)
	<-m.done
}

// Schema is flood_state's schema.
func Schema(synthetic bool) layers.Schema {
	return layers.Schema{Name: Layer, TitleZH: "易涝点实时状态", TitleEN: "Flood state", Geometry: layers.Point, MinZoom: 10, MaxZoom: 18,
		Owner: Owner, Derived: true, Synthetic: synthetic,
		Description: "live state of the flood-prone points from their water-level gauges",
		Fields: []layers.Field{
			layers.NewField("name", layers.String, "名称", "Name"),
			layers.NewField("alert_level_m", layers.Float, "警戒水位(米)", "Alert level (m)"),
			layers.NewField("water_level_m", layers.Float, "当前水位(米)", "Water level (m)"),
			layers.NewField("rise_m_h", layers.Float, "涨速(米/时)", "Rise (m/h)"),
			layers.NewField("state", layers.String, "状态", "State"), // normal | warning | alarm | stale
			layers.NewField("observed", layers.String, "观测时间", "Observed"),
			layers.NewField("source", layers.String, "来源", "Source"), // survey | gauge
			layers.NewField("datastream_id", layers.Int, "数据流", "Datastream"),
			layers.NewField("grid_code", layers.String, "所属网格", "Grid"),
		}}
}

// Datastream returns the datastream of flood point id.
func (m *Model) Datastream(id int64) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.points[id]
	if !ok {
		return 0, false
	}
	return p.datastream, true
}

// load reads flood_points, links new points to gauges and republishes
// the whole layer.
func (m *Model) load(ctx context.Context) error {
	l, ok := m.cat.Layer(layers.FloodPoints)
	if !ok {
		return fmt.Errorf("flood: no %s layer", layers.FloodPoints)
	}
	synthetic := l.Schema.Synthetic
	gauges, err := ensureGauges(ctx, m.svc, l.Snapshot())
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	next := map[int64]*point{}
	l.Snapshot().All(func(f *layers.Feature) bool {
		pt, ok := f.Geometry.(orb.Point)
		if !ok {
			return true
		}
		p := m.points[f.ID]
		if p == nil {
			p = &point{id: f.ID, source: "survey", state: Normal}
		}
		if p.source == "survey" {
			// Until its gauge reports, a point is as surveyed.
			p.level, _ = f.Properties["water_level_m"].(float64)
		}
		p.geom = pt
		p.name, _ = f.Properties["name"].(string)
		p.grid, _ = f.Properties["grid_code"].(string)
		p.alert, _ = f.Properties["alert_level_m"].(float64)
		p.datastream = gauges[f.ID]
		if o, ok := m.svc.LatestOf(p.datastream); ok && p.source == "survey" {
			if v, ok := o.Result.(float64); ok {
				p.level, p.at, p.source = v, o.PhenomenonTime, "gauge"
				p.history = []sample{{o.PhenomenonTime, v}}
			}
		}
		p.state = m.derive(p, m.cfg.Now())
		next[f.ID] = p
		return true
	})
	m.points = next
	m.byDS = map[int64]int64{}
	fs := make([]layers.Feature, 0, len(next))
	for id, p := range next {
		m.byDS[p.datastream] = id
		fs = append(fs, p.feature())
	}
	_, err = m.cat.Put(Schema(synthetic), fs)
	return err
}

func (p *point) feature() layers.Feature {
	props := map[string]any{"name": p.name, "alert_level_m": p.alert, "water_level_m": round(p.level, 3),
		"rise_m_h": round(p.rise, 3), "state": p.state, "source": p.source, "datastream_id": p.datastream, "grid_code": p.grid}
	if !p.at.IsZero() {
		props["observed"] = p.at.UTC().Format(time.RFC3339)
	}
	return layers.Feature{ID: p.id, Geometry: p.geom, Properties: props}
}

func round(x float64, d int) float64 {
	f := math.Pow(10, float64(d))
	return math.Round(x*f) / f
}

// derive is the point's state from its level, rise and previous state.
func (m *Model) derive(p *point, now time.Time) string {
	if p.source == "gauge" && now.Sub(p.at) > m.cfg.StaleAfter {
		return Stale
	}
	if p.alert <= 0 {
		return Normal
	}
	warn, h := p.alert*m.cfg.WarnRatio, m.cfg.Hysteresis
	prev := p.state
	switch {
	case p.level >= p.alert, prev == Alarm && p.level > p.alert-h:
		return Alarm
	case p.level >= warn, (prev == Warning || prev == Alarm) && p.level > warn-h, p.rise >= m.cfg.RiseWarn:
		return Warning
	}
	return Normal
}

// Change is a point's change of state, as the live feed carries it.
type Change struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	State      string    `json:"state"`
	Previous   string    `json:"previous"`
	Level      float64   `json:"water_level_m"`
	Alert      float64   `json:"alert_level_m"`
	Rise       float64   `json:"rise_m_h"`
	Observed   time.Time `json:"observed"`
	Lon        float64   `json:"lon"`
	Lat        float64   `json:"lat"`
	Datastream int64     `json:"datastream_id"`
}

// Reading is a gauge's observation, as the live feed carries it.
type Reading struct {
	Datastream int64     `json:"datastream_id"`
	Point      int64     `json:"flood_point_id,omitempty"`
	Result     any       `json:"result"`
	Time       time.Time `json:"phenomenonTime"`
}

// Observe follows accepted observations (the sensors service's Accepted
// hook): the readings of linked gauges update their points, and the
// points whose state changed are applied to flood_state in one change.
func (m *Model) Observe(obs []sensors.Observation) {
	now := m.cfg.Now()
	m.mu.Lock()
	var changed []*point
	var changes []Change
	touched := map[int64]bool{}
	for _, o := range obs {
		id, ok := m.byDS[o.Datastream]
		if m.hub != nil {
			var where *orb.Bound
			if ok {
				b := m.points[id].geom.Bound()
				where = &b
			}
			m.hub.Publish(live.TypeReading, layers.FloodPoints, where, Reading{Datastream: o.Datastream, Point: id, Result: o.Result, Time: o.PhenomenonTime})
		}
		v, num := o.Result.(float64)
		if !ok || !num {
			continue
		}
		p := m.points[id]
		if o.PhenomenonTime.Before(p.at) {
			continue
		}
		p.level, p.at, p.source = v, o.PhenomenonTime, "gauge"
		p.history = append(p.history, sample{o.PhenomenonTime, v})
		cut := 0
		for cut < len(p.history)-1 && o.PhenomenonTime.Sub(p.history[cut].at) > m.cfg.RiseWindow {
			cut++
		}
		p.history = p.history[cut:]
		p.rise = 0
		if first := p.history[0]; o.PhenomenonTime.Sub(first.at) >= time.Minute {
			p.rise = (v - first.level) / o.PhenomenonTime.Sub(first.at).Hours()
		}
		if s := m.derive(p, now); s != p.state {
			changes = append(changes, change(p, s))
			p.state = s
			if !touched[id] {
				touched[id] = true
				changed = append(changed, p)
			}
		}
	}
	m.applyLocked(changed, changes)
	m.mu.Unlock()
}

func change(p *point, next string) Change {
	return Change{ID: p.id, Name: p.name, State: next, Previous: p.state, Level: round(p.level, 3), Alert: p.alert,
		Rise: round(p.rise, 3), Observed: p.at, Lon: p.geom[0], Lat: p.geom[1], Datastream: p.datastream}
}

// applyLocked writes the changed points and tells the feed; m.mu held.
func (m *Model) applyLocked(changed []*point, changes []Change) {
	if len(changed) == 0 {
		return
	}
	cs := make([]layers.Change, len(changed))
	for i, p := range changed {
		cs[i] = layers.Change{Op: layers.Upsert, Feature: p.feature()}
	}
	if _, err := m.cat.Apply(Owner, Layer, cs); err != nil {
		m.log.Error("flood: applying state changes", "err", err)
		return
	}
	if m.hub == nil {
		return
	}
	for _, c := range changes {
		b := orb.Point{c.Lon, c.Lat}.Bound()
		m.hub.Publish(live.TypeFloodState, Layer, &b, c)
		if c.State == Alarm {
			m.hub.Publish(live.TypeAlarm, Layer, &b, c)
		}
	}
}

// watchStale marks points whose gauge went silent.
func (m *Model) watchStale() {
	defer close(m.done)
	every := m.cfg.StaleAfter / 4
	if every < time.Second {
		every = time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
			m.CheckStale()
		}
	}
}

// CheckStale re-derives every gauge-fed point's state against the clock
// (a silent gauge makes its point stale).
func (m *Model) CheckStale() {
	now := m.cfg.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	var changed []*point
	var changes []Change
	ids := make([]int64, 0, len(m.points))
	for id := range m.points {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		p := m.points[id]
		if p.source != "gauge" {
			continue
		}
		if s := m.derive(p, now); s != p.state {
			changes = append(changes, change(p, s))
			p.state = s
			changed = append(changed, p)
		}
	}
	m.applyLocked(changed, changes)
}
