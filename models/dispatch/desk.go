// Package dispatch is the fire desk's decision logic: which available teams
// reach an alarm first along the roads, the stations' drive-time fire
// circles, how much of the district they cover, and road closures.
//
// A Desk holds one immutable view (graph, closures, available stations
// snapped to the roads, fire circles) behind an atomic pointer: readers
// never wait, and every change (a closure, a team's availability, an edit
// of the fire_stations or roads layer) builds the next view and publishes
// the fire_circles layer before it returns.
package dispatch

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/network"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// Errors callers map to client errors.
var (
	ErrUnknownUnit    = errors.New("dispatch: unknown unit")
	ErrUnknownClosure = errors.New("dispatch: unknown closure")
)

// Config tunes a Desk.
type Config struct {
	// Minutes is the drive time of the published fire circles (default 5).
	Minutes float64
	// MaxSnap is how far (metres) a point may lie from a road (default
	// network.DefaultMaxSnap).
	MaxSnap float64
	// Cell is the isochrone raster cell in metres (default
	// network.DefaultCell).
	Cell float64
}

// ClosureEntry is one active closure.
type ClosureEntry struct {
	ID       int64        `json:"id"`
	RoadID   int64        `json:"road_id,omitempty"`
	Polygon  orb.Geometry `json:"-"`
	Segments int          `json:"segments"`
	Created  time.Time    `json:"created"`
}

// Circle is one station's fire circle.
type Circle struct {
	StationID int64
	Name      string
	Iso       network.Isochrone
	poly      *bandPolygon
}

// view is everything a read needs, immutable once published.
type view struct {
	g        *network.Graph
	closures []ClosureEntry
	blocked  *network.Blocked
	sites    *network.Sites // available stations
	stations int            // all stations in the layer
	circles  []Circle
	minutes  float64
}

// Desk answers the fire desk's questions. It is safe for concurrent use.
type Desk struct {
	cat       *layers.Catalog
	cfg       Config
	log       *slog.Logger
	fromRoads bool

	mu     sync.Mutex // serialises writers
	nextID int64
	cur    atomic.Pointer[view]
}

// New starts a desk over the catalog's fire_stations layer and graph g. When
// g is nil the graph is built from the catalog's roads layer and rebuilt
// whenever that layer changes.
func New(cat *layers.Catalog, g *network.Graph, cfg Config, log *slog.Logger) (*Desk, error) {
	if cfg.Minutes <= 0 {
		cfg.Minutes = 5
	}
	if cfg.MaxSnap <= 0 {
		cfg.MaxSnap = network.DefaultMaxSnap
	}
	if log == nil {
		log = slog.Default()
	}
	d := &Desk{cat: cat, cfg: cfg, log: log, nextID: 1}
	if g == nil {
		d.fromRoads = true
		var err error
		if g, err = d.roadsGraph(); err != nil {
			return nil, err
		}
	}
	d.mu.Lock()
	err := d.rebuild(&view{g: g})
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	cat.Subscribe(d.onChange)
	return d, nil
}

func (d *Desk) roadsGraph() (*network.Graph, error) {
	l, ok := d.cat.Layer(layers.Roads)
	if !ok {
		return nil, fmt.Errorf("dispatch: no %s layer to route on", layers.Roads)
	}
	return network.FromRoads(l.Snapshot())
}

// onChange follows edits of the stations and roads layers.
func (d *Desk) onChange(ev layers.Event) {
	switch {
	case ev.Layer == layers.FireStations:
	case ev.Layer == layers.Roads && d.fromRoads:
	default:
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	next := *d.cur.Load()
	if ev.Layer == layers.Roads {
		g, err := d.roadsGraph()
		if err != nil {
			d.log.Error("dispatch: rebuilding the road graph", "err", err)
			return
		}
		// Closures by road id or polygon carry over to the new graph;
		// those that no longer close anything are dropped.
		next.g = g
		var keep []ClosureEntry
		for _, c := range next.closures {
			if _, err := g.ClosureSegments(toClosure(c)); err == nil {
				keep = append(keep, c)
			}
		}
		next.closures = keep
	}
	if err := d.rebuild(&next); err != nil {
		d.log.Error("dispatch: refreshing after a layer change", "layer", ev.Layer, "err", err)
	}
}

func toClosure(c ClosureEntry) network.Closure {
	return network.Closure{RoadID: c.RoadID, Polygon: c.Polygon}
}

// rebuild completes v (blocked set, stations, circles) from its graph and
// closures, publishes it and the fire_circles layer. d.mu must be held.
func (d *Desk) rebuild(v *view) error {
	cs := make([]network.Closure, len(v.closures))
	for i, c := range v.closures {
		cs[i] = toClosure(c)
	}
	blocked, err := v.g.Block(cs)
	if err != nil {
		return err
	}
	v.blocked = blocked
	var sites []network.Site
	v.stations = 0
	if l, ok := d.cat.Layer(layers.FireStations); ok {
		l.Snapshot().All(func(f *layers.Feature) bool {
			v.stations++
			pt, ok := f.Geometry.(orb.Point)
			if !ok {
				return true
			}
			if avail, ok := f.Properties["available"].(bool); ok && !avail {
				return true
			}
			name, _ := f.Properties["name"].(string)
			sites = append(sites, network.Site{ID: f.ID, Name: name, Point: pt})
			return true
		})
	}
	v.sites = v.g.SnapSites(sites, d.cfg.MaxSnap, blocked)
	for _, s := range v.sites.Unsnapped {
		d.log.Warn("dispatch: fire station too far from the roads to route", "id", s.ID, "name", s.Name)
	}
	v.minutes = d.cfg.Minutes
	v.circles = circles(v, v.minutes, d.cfg.Cell)
	d.cur.Store(v)
	d.publish(v)
	return nil
}

func circles(v *view, minutes, cell float64) []Circle {
	out := make([]Circle, len(v.sites.List))
	for i, s := range v.sites.List {
		iso := v.g.Isochrone(v.sites.Snaps[i], minutes*60, cell, v.blocked)
		out[i] = Circle{StationID: s.ID, Name: s.Name, Iso: iso, poly: newBandPolygon(iso.Polygon)}
	}
	return out
}

// publish replaces the fire_circles layer with the network circles.
func (d *Desk) publish(v *view) {
	schema := fireCirclesSchema(d.cat)
	fs := make([]layers.Feature, 0, len(v.circles))
	for _, c := range v.circles {
		if len(c.Iso.Polygon) == 0 {
			continue
		}
		fs = append(fs, layers.Feature{ID: c.StationID, Geometry: c.Iso.Polygon, Properties: map[string]any{
			"station_id":   c.StationID,
			"station_name": c.Name,
			"minutes":      v.minutes,
			"radius_m":     math.Round(math.Sqrt(geo.Area(c.Iso.Polygon)/math.Pi)*10) / 10,
			"method":       "network",
		}})
	}
	d.cat.Put(schema, fs)
}

func fireCirclesSchema(cat *layers.Catalog) layers.Schema {
	if l, ok := cat.Layer(layers.FireCircles); ok {
		return l.Schema
	}
	for _, s := range layers.ThematicSchemas(false) {
		if s.Name == layers.FireCircles {
			return s
		}
	}
	return layers.Schema{Name: layers.FireCircles, Geometry: layers.Polygon}
}

// Graph is the road graph the desk routes on now.
func (d *Desk) Graph() *network.Graph { return d.cur.Load().g }

// Circles are the current fire circles of the available stations.
func (d *Desk) Circles() []Circle { return d.cur.Load().circles }

// Answer is the ranking of teams for one alarm.
type Answer struct {
	Alarm     orb.Point
	Snap      network.Snap
	Metric    network.Metric
	Available int // stations available and on the network
	Stations  int // stations in the layer
	Units     []network.Ranked
}

// Nearest ranks the k (all when k ≤ 0) available teams that reach pt first
// by metric m, routes included, in one search from the alarm over the
// reversed road graph (network.Graph.Nearest). A point too far from the roads fails with an error wrapping
// network.ErrTooFar.
func (d *Desk) Nearest(pt orb.Point, k int, m network.Metric) (Answer, error) {
	return d.NearestInto(&network.Answer{}, pt, k, m)
}

// NearestInto is Nearest with the units and their routes kept in buf (see
// network.Answer: reuse it once the previous answer has been written).
func (d *Desk) NearestInto(buf *network.Answer, pt orb.Point, k int, m network.Metric) (Answer, error) {
	v := d.cur.Load()
	s, err := v.g.Snap(pt, d.cfg.MaxSnap, v.blocked)
	if err != nil {
		return Answer{}, err
	}
	a := Answer{Alarm: pt, Snap: s, Metric: m, Available: len(v.sites.List), Stations: v.stations}
	a.Units = v.g.NearestInto(buf, s, v.sites, k, m)
	return a, nil
}

// Isochrone is the area reachable from pt within minutes under the current
// closures.
func (d *Desk) Isochrone(pt orb.Point, minutes float64) (network.Isochrone, error) {
	v := d.cur.Load()
	s, err := v.g.Snap(pt, d.cfg.MaxSnap, v.blocked)
	if err != nil {
		return network.Isochrone{}, err
	}
	return v.g.Isochrone(s, minutes*60, d.cfg.Cell, v.blocked), nil
}

// SetAvailable marks a team available or not by updating its feature in the
// fire_stations layer; the desk follows at once.
func (d *Desk) SetAvailable(id int64, available bool) error {
	l, ok := d.cat.Layer(layers.FireStations)
	if !ok {
		return fmt.Errorf("%w %d: no %s layer", ErrUnknownUnit, id, layers.FireStations)
	}
	f, ok := l.Snapshot().Get(id)
	if !ok {
		return fmt.Errorf("%w %d", ErrUnknownUnit, id)
	}
	nf := layers.Feature{ID: f.ID, Geometry: f.Geometry, Properties: make(map[string]any, len(f.Properties)+1)}
	for k, v := range f.Properties {
		nf.Properties[k] = v
	}
	nf.Properties["available"] = available
	_, err := d.cat.Apply(layers.FireStations, []layers.Change{{Op: layers.Upsert, Feature: nf}})
	return err
}

// Closures lists the active closures in id order.
func (d *Desk) Closures() []ClosureEntry {
	return append([]ClosureEntry(nil), d.cur.Load().closures...)
}

// AddClosure closes a road (by id) or every road inside a polygon, and
// returns the closure with its id.
func (d *Desk) AddClosure(c network.Closure) (ClosureEntry, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := d.cur.Load()
	segs, err := cur.g.ClosureSegments(c)
	if err != nil {
		return ClosureEntry{}, err
	}
	e := ClosureEntry{ID: d.nextID, RoadID: c.RoadID, Polygon: c.Polygon, Segments: len(segs), Created: time.Now().UTC()}
	next := *cur
	next.closures = append(append([]ClosureEntry(nil), cur.closures...), e)
	if err := d.rebuild(&next); err != nil {
		return ClosureEntry{}, err
	}
	d.nextID++
	return e, nil
}

// RemoveClosure lifts closure id.
func (d *Desk) RemoveClosure(id int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := d.cur.Load()
	next := *cur
	next.closures = nil
	found := false
	for _, c := range cur.closures {
		if c.ID == id {
			found = true
			continue
		}
		next.closures = append(next.closures, c)
	}
	if !found {
		return fmt.Errorf("%w %d", ErrUnknownClosure, id)
	}
	return d.rebuild(&next)
}
