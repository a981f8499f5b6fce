package flood

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/live"
	"github.com/onemap/onemap/models/sensors"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func setup(t *testing.T) (*Model, *sensors.Service, *layers.Catalog, *live.Hub, *clock) {
	t.Helper()
	cat := layers.NewCatalog()
	s := layers.SourceSchemas(layers.OwnerDemo, true)
	var fp layers.Schema
	for _, x := range s {
		if x.Name == layers.FloodPoints {
			fp = x
		}
	}
	pts := []layers.Feature{
		{ID: 1, Geometry: orb.Point{113.9, 22.5}, Properties: map[string]any{"name": "A", "alert_level_m": 0.5, "water_level_m": 0.1, "state": "normal", "grid_code": "g1"}},
		{ID: 2, Geometry: orb.Point{113.95, 22.55}, Properties: map[string]any{"name": "B", "alert_level_m": 0.3, "water_level_m": 0.0, "state": "normal", "grid_code": "g2"}},
	}
	if _, err := cat.Put(fp, pts); err != nil {
		t.Fatal(err)
	}
	var m *Model
	svc, err := sensors.New(context.Background(), sensors.Config{Store: sensors.NewMemory(), Accepted: func(o []sensors.Observation) { m.Observe(o) }})
	if err != nil {
		t.Fatal(err)
	}
	hub := live.NewHub(live.Config{})
	clk := &clock{t: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
	m, err = New(context.Background(), cat, svc, hub, Config{Now: clk.now, StaleAfter: 10 * time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, svc, cat, hub, clk
}

func state(t *testing.T, cat *layers.Catalog, id int64) string {
	t.Helper()
	l, _ := cat.Layer(Layer)
	f, ok := l.Snapshot().Get(id)
	if !ok {
		t.Fatalf("no flood_state %d", id)
	}
	return f.Properties["state"].(string)
}

func TestFloodState(t *testing.T) {
	m, svc, cat, hub, clk := setup(t)
	ds, ok := m.Datastream(1)
	if !ok || ds == 0 {
		t.Fatal("point 1 has no datastream")
	}
	if l, _ := cat.Layer(Layer); l.Schema.Owner != Owner || !l.Schema.Derived || l.Snapshot().Len() != 2 {
		t.Fatalf("flood_state layer %+v", l.Schema)
	}
	if state(t, cat, 1) != Normal {
		t.Fatal("survey state")
	}
	feed := hub.Subscribe(live.Filter{Types: map[string]bool{live.TypeFloodState: true, live.TypeAlarm: true}}, 0)
	var events []layers.Event
	defer cat.Subscribe(func(e layers.Event) {
		if e.Layer == Layer {
			events = append(events, e)
		}
	})()
	read := func(v float64) {
		t.Helper()
		clk.add(time.Minute)
		if _, err := svc.Add(context.Background(), []sensors.NewObservation{{Datastream: ds, PhenomenonTime: clk.now().Format(time.RFC3339), Result: v}}, clk.now()); err != nil {
			t.Fatal(err)
		}
	}
	// alert 0.5 → warning from 0.4, hysteresis 0.05; steps of one minute
	// are slow rises except where noted.
	steps := []struct {
		level float64
		want  string
	}{
		{0.10, Normal},
		{0.41, Warning}, // over 0.4 (and a fast rise)
		{0.52, Alarm},
		{0.47, Alarm},   // within the hysteresis of 0.5
		{0.44, Warning}, // below 0.45
	}
	for i, s := range steps {
		read(s.level)
		if got := state(t, cat, 1); got != s.want {
			t.Fatalf("step %d level %.2f: %s, want %s", i, s.level, got, s.want)
		}
	}
	// Falling slowly well below: normal once below 0.35 and not rising.
	for i := 0; i < 20; i++ {
		clk.add(time.Minute)
	}
	read(0.30)
	if got := state(t, cat, 1); got != Normal {
		t.Fatalf("after falling: %s", got)
	}
	// The state changes reached the feed, the alarm too, and each was one
	// change of the layer with the point's bounds (its tiles dropped).
	var got []string
	for len(feed.C) > 0 {
		msg := <-feed.C
		var c Change
		_ = json.Unmarshal(msg.Data, &c)
		got = append(got, msg.Type+":"+c.State)
	}
	want := []string{"flood_state:warning", "flood_state:alarm", "alarm:alarm", "flood_state:warning", "flood_state:normal"}
	if len(got) != len(want) {
		t.Fatalf("feed %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("feed %v, want %v", got, want)
		}
	}
	if len(events) != 4 || events[0].All || len(events[0].Bounds) != 2 || events[0].Bounds[0].Min != (orb.Point{113.9, 22.5}) {
		t.Fatalf("layer events %+v", events)
	}
	// A fast rise warns below the level threshold: 0.30 → 0.38 in 5 min is
	// 0.96 m/h.
	clk.add(4 * time.Minute)
	read(0.38)
	if got := state(t, cat, 1); got != Warning {
		t.Fatalf("fast rise: %s", got)
	}
	// A silent gauge goes stale; a new reading brings it back.
	clk.add(11 * time.Minute)
	m.CheckStale()
	if got := state(t, cat, 1); got != Stale {
		t.Fatalf("silent gauge: %s", got)
	}
	if state(t, cat, 2) != Normal {
		t.Fatal("a point whose gauge never reported is not stale")
	}
	read(0.1)
	if got := state(t, cat, 1); got != Normal {
		t.Fatalf("after a new reading: %s", got)
	}
	// The source flood_points layer is untouched.
	src, _ := cat.Layer(layers.FloodPoints)
	if f, _ := src.Snapshot().Get(1); f.Properties["state"] != "normal" || f.Properties["water_level_m"] != 0.1 {
		t.Fatalf("source point changed: %v", f.Properties)
	}
}

func TestGaugesLinkedOnce(t *testing.T) {
	m, svc, cat, _, _ := setup(t)
	things := len(svc.List(sensors.Things, nil))
	// A change of flood_points re-reads them without making gauges twice.
	src, _ := cat.Layer(layers.FloodPoints)
	f, _ := src.Snapshot().Get(2)
	nf := *f
	nf.Properties = map[string]any{"name": "B", "alert_level_m": 0.2, "water_level_m": 0.25, "state": "normal"}
	v, err := layers.Memory{Catalog: cat, Owner: layers.OwnerDemo}.Update(context.Background(), layers.FloodPoints, 2, nf.Properties)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.follow.Wait(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	if n := len(svc.List(sensors.Things, nil)); n != things || n != 2 {
		t.Fatalf("%d things after the change, %d before", n, things)
	}
	if state(t, cat, 2) != Alarm {
		t.Fatalf("point 2 with alert 0.2 and surveyed 0.25: %s", state(t, cat, 2))
	}
}
