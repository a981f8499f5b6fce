// Package osm reads an OpenStreetMap extract (.osm.pbf) into what onemap
// needs: the highways an emergency vehicle may drive (speed, direction),
// turn restrictions, and the points the models use (fire stations,
// schools, hospitals, elderly care) as thematic layer features.
package osm

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
)

// Highway is one drivable OSM way.
type Highway struct {
	ID       int64
	Name     string
	Highway  string // the OSM highway tag
	Nodes    []int64
	Coords   []orb.Point // filled in the node pass; ways with missing nodes are dropped
	Forward  bool
	Backward bool
	SpeedKmh float64
	Lanes    int64
}

// Restriction is a via-node turn restriction.
type Restriction struct {
	ID       int64
	From, To int64 // way ids
	Via      int64 // node id
	Only     bool  // only_* (else no_*)
	Kind     string
}

// Extract is what Read finds in a file.
type Extract struct {
	Highways     []Highway
	Restrictions []Restriction
	// POIs holds fire_stations, schools, hospitals and elderly_care
	// features by layer name.
	POIs map[string][]layers.Feature
	// SkippedRestrictions counts restrictions onemap cannot honour (via
	// ways, missing members, exceptions for emergency vehicles).
	SkippedRestrictions int
}

// Options tune Read.
type Options struct {
	// Progress receives a line per stage and per tenth of the file read;
	// nil for silence.
	Progress io.Writer
	// Procs is the decoder parallelism (GOMAXPROCS when ≤ 0).
	Procs int
}

// Read reads the highways, restrictions and POIs of a .osm.pbf file in two
// passes: ways and relations first, then the nodes they need.
func Read(ctx context.Context, path string, opt Options) (*Extract, error) {
	if opt.Procs <= 0 {
		opt.Procs = runtime.GOMAXPROCS(0)
	}
	x := &Extract{POIs: map[string][]layers.Feature{}}
	need := map[int64]orb.Point{}
	type poiWay struct {
		layer string
		f     layers.Feature
		nodes []int64
	}
	var poiWays []poiWay
	var rawRestr []*osm.Relation

	// Pass 1: ways and relations.
	err := scan(ctx, path, opt, "ways and relations", func(s *osmpbf.Scanner) { s.SkipNodes = true }, func(o osm.Object) {
		switch v := o.(type) {
		case *osm.Way:
			if h, ok := highway(v); ok {
				for _, n := range h.Nodes {
					need[n] = orb.Point{}
				}
				x.Highways = append(x.Highways, h)
			}
			if layer, f, ok := poi(v.Tags, 2*int64(v.ID)+1); ok && len(v.Nodes) > 0 {
				pw := poiWay{layer: layer, f: f}
				for _, n := range v.Nodes {
					pw.nodes = append(pw.nodes, int64(n.ID))
					need[int64(n.ID)] = orb.Point{}
				}
				poiWays = append(poiWays, pw)
			}
		case *osm.Relation:
			if v.Tags.Find("type") == "restriction" {
				rawRestr = append(rawRestr, v)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	// Pass 2: nodes.
	err = scan(ctx, path, opt, "nodes", func(s *osmpbf.Scanner) { s.SkipWays, s.SkipRelations = true, true }, func(o osm.Object) {
		n, ok := o.(*osm.Node)
		if !ok {
			return
		}
		id := int64(n.ID)
		if _, ok := need[id]; ok {
			need[id] = orb.Point{n.Lon, n.Lat}
		}
		if layer, f, ok := poi(n.Tags, 2*id); ok {
			f.Geometry = orb.Point{n.Lon, n.Lat}
			x.POIs[layer] = append(x.POIs[layer], f)
		}
	})
	if err != nil {
		return nil, err
	}
	hs := x.Highways[:0]
	for _, h := range x.Highways {
		ok := true
		h.Coords = make([]orb.Point, len(h.Nodes))
		for i, n := range h.Nodes {
			p := need[n]
			if p == (orb.Point{}) {
				ok = false
				break
			}
			h.Coords[i] = p
		}
		if ok {
			hs = append(hs, h)
		}
	}
	x.Highways = hs
	for _, pw := range poiWays {
		var c orb.Point
		k := 0
		for _, n := range pw.nodes {
			if p := need[n]; p != (orb.Point{}) {
				c[0] += p[0]
				c[1] += p[1]
				k++
			}
		}
		if k == 0 {
			continue
		}
		pw.f.Geometry = orb.Point{c[0] / float64(k), c[1] / float64(k)}
		x.POIs[pw.layer] = append(x.POIs[pw.layer], pw.f)
	}
	for _, fs := range x.POIs {
		sort.Slice(fs, func(i, j int) bool { return fs[i].ID < fs[j].ID })
	}
	for _, r := range rawRestr {
		rr, ok := restriction(r)
		if !ok {
			x.SkippedRestrictions++
			continue
		}
		x.Restrictions = append(x.Restrictions, rr)
	}
	progress(opt, "read %d highways, %d turn restrictions (%d skipped), %d fire stations, %d schools, %d hospitals, %d elderly care\n",
		len(x.Highways), len(x.Restrictions), x.SkippedRestrictions, len(x.POIs[layers.FireStations]),
		len(x.POIs[layers.Schools]), len(x.POIs[layers.Hospitals]), len(x.POIs[layers.ElderlyCare]))
	return x, nil
}

func progress(opt Options, format string, args ...any) {
	if opt.Progress != nil {
		fmt.Fprintf(opt.Progress, format, args...)
	}
}

func scan(ctx context.Context, path string, opt Options, stage string, setup func(*osmpbf.Scanner), fn func(osm.Object)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("osm: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("osm: %w", err)
	}
	size := info.Size()
	s := osmpbf.New(ctx, f, opt.Procs)
	defer s.Close()
	setup(s)
	progress(opt, "osm: reading %s of %s (%.1f MB)\n", stage, path, float64(size)/1e6)
	tenth := int64(1)
	for s.Scan() {
		fn(s.Object())
		if size > 0 {
			if done := s.FullyScannedBytes(); done*10 >= tenth*size && tenth < 10 {
				progress(opt, "osm: %s %d%%\n", stage, done*100/size)
				tenth = done*10/size + 1
			}
		}
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("osm: reading %s: %w", path, err)
	}
	progress(opt, "osm: %s 100%%\n", stage)
	return nil
}

// classSpeed is the speed (km/h) of a highway class without maxspeed.
func classSpeed(class string) float64 {
	switch class {
	case "motorway":
		return 90
	case "motorway_link":
		return 45
	case "trunk":
		return 70
	case "trunk_link":
		return 40
	case "primary":
		return 60
	case "primary_link":
		return 30
	case "secondary":
		return 50
	case "secondary_link":
		return 25
	case "tertiary":
		return 40
	case "tertiary_link":
		return 20
	case "unclassified":
		return 30
	case "residential":
		return 25
	case "living_street":
		return 10
	case "service", "road":
		return 15
	}
	return 0 // not drivable
}

// RoadClass maps an OSM highway tag to the roads layer's class.
func RoadClass(highway string) string {
	switch strings.TrimSuffix(highway, "_link") {
	case "motorway", "trunk", "primary":
		return "arterial"
	case "secondary", "tertiary":
		return "secondary"
	}
	return "local"
}

// ParseMaxspeed reads an OSM maxspeed value in km/h ("50", "30 mph",
// "walk"); ok is false for values it cannot read ("none", "signals",
// country zones).
func ParseMaxspeed(v string) (float64, bool) {
	v = strings.TrimSpace(strings.ToLower(v))
	if v == "walk" {
		return 7, true
	}
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	factor := 1.0
	if s, ok := strings.CutSuffix(v, "mph"); ok {
		v, factor = strings.TrimSpace(s), 1.609344
	} else if s, ok := strings.CutSuffix(v, "km/h"); ok {
		v = strings.TrimSpace(s)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 {
		return 0, false
	}
	return f * factor, true
}

// emergencyAccess reports whether an emergency vehicle may use a way with
// these tags: an explicit emergency tag wins; otherwise access, vehicle,
// motor_vehicle and motorcar = no close it (private and destination roads
// stay open to fire engines).
func emergencyAccess(t osm.Tags) bool {
	switch t.Find("emergency") {
	case "yes", "designated", "permissive", "destination", "private":
		return true
	case "no":
		return false
	}
	for _, k := range []string{"motorcar", "motor_vehicle", "vehicle", "access"} {
		switch t.Find(k) {
		case "no", "agricultural", "forestry", "delivery":
			return false
		case "yes", "designated", "permissive", "destination", "private", "customers":
			return true
		}
	}
	return true
}

func highway(w *osm.Way) (Highway, bool) {
	class := w.Tags.Find("highway")
	speed := classSpeed(class)
	if speed == 0 || len(w.Nodes) < 2 || w.Tags.Find("area") == "yes" || !emergencyAccess(w.Tags) {
		return Highway{}, false
	}
	if ms, ok := ParseMaxspeed(w.Tags.Find("maxspeed")); ok {
		speed = ms
	}
	h := Highway{ID: int64(w.ID), Name: w.Tags.Find("name"), Highway: class, SpeedKmh: speed, Forward: true, Backward: true}
	oneway := w.Tags.Find("oneway")
	if oneway == "" {
		switch w.Tags.Find("junction") {
		case "roundabout", "circular":
			oneway = "yes"
		}
		if class == "motorway" {
			oneway = "yes"
		}
	}
	switch oneway {
	case "yes", "true", "1":
		h.Backward = false
	case "-1", "reverse":
		h.Forward = false
	}
	if l, err := strconv.ParseInt(w.Tags.Find("lanes"), 10, 64); err == nil {
		h.Lanes = l
	}
	h.Nodes = make([]int64, len(w.Nodes))
	for i, n := range w.Nodes {
		h.Nodes[i] = int64(n.ID)
	}
	return h, true
}

func restriction(r *osm.Relation) (Restriction, bool) {
	kind := r.Tags.Find("restriction")
	if kind == "" {
		kind = r.Tags.Find("restriction:motorcar")
	}
	if kind == "" {
		kind = r.Tags.Find("restriction:motor_vehicle")
	}
	if strings.Contains(r.Tags.Find("except"), "emergency") {
		return Restriction{}, false
	}
	rr := Restriction{ID: int64(r.ID), Kind: kind}
	switch {
	case strings.HasPrefix(kind, "only_"):
		rr.Only = true
	case strings.HasPrefix(kind, "no_"):
	default:
		return Restriction{}, false
	}
	var from, via, to int
	for _, m := range r.Members {
		switch {
		case m.Role == "from" && m.Type == osm.TypeWay:
			rr.From = m.Ref
			from++
		case m.Role == "to" && m.Type == osm.TypeWay:
			rr.To = m.Ref
			to++
		case m.Role == "via" && m.Type == osm.TypeNode:
			rr.Via = m.Ref
			via++
		case m.Role == "via":
			return Restriction{}, false // via way: not supported
		}
	}
	return rr, from == 1 && to == 1 && via == 1
}

// poi classifies a tagged object as a feature of one of the POI layers.
func poi(t osm.Tags, id int64) (string, layers.Feature, bool) {
	name := t.Find("name")
	if en := t.Find("name:zh"); en != "" && name == "" {
		name = en
	}
	props := map[string]any{}
	if name != "" {
		props["name"] = name
	}
	amenity := t.Find("amenity")
	layer := ""
	switch {
	case amenity == "fire_station":
		layer = layers.FireStations
		props["kind"] = "general"
		props["available"] = true
	case amenity == "school":
		layer = layers.Schools
	case amenity == "hospital":
		layer = layers.Hospitals
		if b, err := strconv.ParseInt(t.Find("beds"), 10, 64); err == nil {
			props["beds"] = b
		}
	case amenity == "nursing_home",
		amenity == "social_facility" && (t.Find("social_facility") == "nursing_home" || t.Find("social_facility") == "assisted_living" ||
			t.Find("social_facility:for") == "senior"):
		layer = layers.ElderlyCare
		if b, err := strconv.ParseInt(t.Find("beds"), 10, 64); err == nil {
			props["beds"] = b
		}
	default:
		return "", layers.Feature{}, false
	}
	if name == "" {
		props["name"] = fmt.Sprintf("%s %d", layer, id/2)
	}
	return layer, layers.Feature{ID: id, Properties: props}, true
}

// District turns the extract into a district with roads and POI layers
// (feature ids: roads keep their way id; POIs are 2×node id or 2×way id+1).
func (x *Extract) District(name string) *data.District {
	d := &data.District{Name: name, NameEN: name, Layers: map[string][]layers.Feature{}}
	roads := make([]layers.Feature, 0, len(x.Highways))
	for _, h := range x.Highways {
		ls := orb.LineString(h.Coords)
		if !h.Forward { // store one-ways in their direction of travel
			ls = append(orb.LineString(nil), ls...)
			ls.Reverse()
		}
		p := map[string]any{
			"class":     RoadClass(h.Highway),
			"oneway":    h.Forward != h.Backward,
			"speed_kmh": h.SpeedKmh,
		}
		if h.Name != "" {
			p["name"] = h.Name
		}
		if h.Lanes > 0 {
			p["lanes"] = h.Lanes
		}
		roads = append(roads, layers.Feature{ID: h.ID, Geometry: ls, Properties: p})
	}
	d.Layers[layers.Roads] = roads
	for layer, fs := range x.POIs {
		d.Layers[layer] = fs
	}
	return d
}
