// Package dispatch is the fire desk's decision logic: which available teams
// reach an alarm first along the roads, the stations' drive-time fire
// circles, how much of the district they cover, and road closures.
//
// A Desk holds one immutable view (graph, closures, available stations
// snapped to the roads, fire circles) behind an atomic pointer: readers
// never wait, and every change of the fire_stations, road_closures or roads
// layer builds the next view and publishes the derived fire_circles layer.
package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/field"
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
	Reason   string       `json:"reason,omitempty"`
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
//
// It writes one layer, the derived fire_circles. Team availability and
// road closures are state a dispatcher sets: the desk writes them through
// its Editor into the store of the fire_stations and road_closures layers
// (PostGIS when serving from it) and follows those layers, with the roads,
// like any other edit of them — so a restart or a second replica on the
// same database sees the same teams and closures, and the same circles.
type Desk struct {
	cat       *layers.Catalog
	edit      layers.Editor
	cfg       Config
	log       *slog.Logger
	fromRoads bool

	mu     sync.Mutex // serialises rebuilds
	cur    atomic.Pointer[view]
	follow *layers.Follower
}

// New starts a desk over the catalog's fire_stations and road_closures
// layers and graph g, writing availability and closures through edit. When
// g is nil the graph is built from the catalog's roads layer and rebuilt
// whenever that layer changes. Close stops it following the catalog.
func New(cat *layers.Catalog, g *network.Graph, edit layers.Editor, cfg Config, log *slog.Logger) (*Desk, error) {
	if cfg.Minutes <= 0 {
		cfg.Minutes = 5
	}
	if cfg.MaxSnap <= 0 {
		cfg.MaxSnap = network.DefaultMaxSnap
	}
	if log == nil {
		log = slog.Default()
	}
	d := &Desk{cat: cat, edit: edit, cfg: cfg, log: log}
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
	// Rebuilding the circles takes tens of milliseconds: it runs off the
	// writers' path, one rebuild for a burst of edits.
	d.follow = cat.Follow([]string{layers.FireStations, layers.RoadClosures, layers.Roads}, d.onChange)
	return d, nil
}

// Close stops following the catalog.
func (d *Desk) Close() { d.follow.Stop() }

// Wait blocks until the desk has followed every change of the catalog up
// to version v.
func (d *Desk) Wait(ctx context.Context, v uint64) error { return d.follow.Wait(ctx, v) }

func (d *Desk) roadsGraph() (*network.Graph, error) {
	l, ok := d.cat.Layer(layers.Roads)
	if !ok {
		return nil, fmt.Errorf("dispatch: no %s layer to route on", layers.Roads)
	}
	return network.FromRoads(l.Snapshot())
}

// onChange follows edits of the stations, closures and roads layers.
func (d *Desk) onChange(evs []layers.Event) {
	roads := false
	for _, ev := range evs {
		roads = roads || ev.Layer == layers.Roads
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	next := *d.cur.Load()
	if roads && d.fromRoads {
		g, err := d.roadsGraph()
		if err != nil {
			d.log.Error("dispatch: rebuilding the road graph", "err", err)
			return
		}
		next.g = g
	}
	if err := d.rebuild(&next); err != nil {
		d.log.Error("dispatch: refreshing after a layer change", "err", err)
	}
}

func toClosure(c ClosureEntry) network.Closure {
	return network.Closure{RoadID: c.RoadID, Polygon: c.Polygon}
}

// readClosures lists the road_closures layer's closures that close
// something on g (a closed road that no longer exists closes nothing, and
// stays stored until it is lifted).
func (d *Desk) readClosures(g *network.Graph) []ClosureEntry {
	var out []ClosureEntry
	for _, f := range d.cat.Features(layers.RoadClosures) {
		c := ClosureEntry{ID: f.ID}
		c.RoadID, _ = f.Properties["road_id"].(int64)
		c.Reason, _ = f.Properties["reason"].(string)
		if s, ok := f.Properties["created"].(string); ok {
			c.Created, _ = time.Parse(time.RFC3339Nano, s)
		}
		if c.RoadID == 0 {
			c.Polygon = f.Geometry
		}
		segs, err := g.ClosureSegments(toClosure(c))
		if err != nil {
			d.log.Debug("dispatch: stored closure closes nothing on this network", "id", c.ID, "err", err)
			continue
		}
		c.Segments = len(segs)
		out = append(out, c)
	}
	return out
}

// rebuild completes v (closures, blocked set, stations, circles) from its
// graph and the catalog, publishes it and the fire_circles layer. d.mu must
// be held.
func (d *Desk) rebuild(v *view) error {
	v.closures = d.readClosures(v.g)
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
	return d.publish(v)
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
func (d *Desk) publish(v *view) error {
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
	_, err := d.cat.Put(schema, fs)
	return err
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
	panic("dispatch: layers.ThematicSchemas lacks fire_circles")
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

// SetAvailable marks a team available or not: written to the store of the
// fire_stations layer, and returned once the desk routes with it.
func (d *Desk) SetAvailable(ctx context.Context, id int64, available bool) error {
	l, ok := d.cat.Layer(layers.FireStations)
	if !ok {
		return fmt.Errorf("%w %d: no %s layer", ErrUnknownUnit, id, layers.FireStations)
	}
	if _, ok := l.Snapshot().Get(id); !ok {
		return fmt.Errorf("%w %d", ErrUnknownUnit, id)
	}
	v, err := d.edit.Update(ctx, layers.FireStations, id, map[string]any{"available": available})
	if errors.Is(err, layers.ErrNoFeature) {
		return fmt.Errorf("%w %d", ErrUnknownUnit, id)
	}
	if err != nil {
		return fmt.Errorf("dispatch: unit %d: %w", id, err)
	}
	return d.Wait(ctx, v)
}

// Closures lists the active closures in id order.
func (d *Desk) Closures() []ClosureEntry {
	return append([]ClosureEntry(nil), d.cur.Load().closures...)
}

// AddClosure closes a road (by id) or every road inside a polygon: stored
// in the road_closures layer's store, and returned with its id once the
// desk routes around it.
// A closure that closes nothing is a *field.Error naming road_id or polygon.
func (d *Desk) AddClosure(ctx context.Context, c network.Closure, reason string) (ClosureEntry, error) {
	graph := d.cur.Load().g
	segs, err := graph.ClosureSegments(c)
	if err != nil {
		name := "road_id"
		if c.Polygon != nil {
			name = "polygon"
		}
		return ClosureEntry{}, field.Unusablef(name, "%v", err)
	}
	g := c.Polygon
	if c.Polygon == nil {
		g = graph.SegmentLines(segs)
	}
	created := time.Now().UTC().Truncate(time.Millisecond)
	id, v, err := d.edit.Insert(ctx, layers.RoadClosures, g, map[string]any{
		"road_id": c.RoadID, "reason": reason, "created": created.Format(time.RFC3339Nano)})
	if err != nil {
		return ClosureEntry{}, fmt.Errorf("dispatch: closure: %w", err)
	}
	if err := d.Wait(ctx, v); err != nil {
		return ClosureEntry{}, err
	}
	for _, e := range d.cur.Load().closures {
		if e.ID == id {
			return e, nil
		}
	}
	return ClosureEntry{}, fmt.Errorf("dispatch: closure %d stored but not followed", id)
}

// RemoveClosure lifts closure id.
func (d *Desk) RemoveClosure(ctx context.Context, id int64) error {
	v, err := d.edit.Delete(ctx, layers.RoadClosures, id)
	if errors.Is(err, layers.ErrNoFeature) {
		return fmt.Errorf("%w %d", ErrUnknownClosure, id)
	}
	if err != nil {
		return fmt.Errorf("dispatch: closure %d: %w", id, err)
	}
	return d.Wait(ctx, v)
}
