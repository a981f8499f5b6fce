// Package sensors is the sensing part of OGC SensorThings API v1.1: Things,
// Locations, Sensors, ObservedProperties, Datastreams, FeaturesOfInterest
// and Observations, with the latest observation of every datastream held
// in memory.
//
// The metadata entities are few (one Thing per gauge) and are held in
// memory and written through to the Store; observations are many and live
// in the Store (a time-partitioned PostGIS table when serving from it),
// appended durably before Add returns.
package sensors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/onemap/onemap/models/field"
)

// The entity sets.
const (
	Things             = "Things"
	Locations          = "Locations"
	Sensors            = "Sensors"
	ObservedProperties = "ObservedProperties"
	Datastreams        = "Datastreams"
	Observations       = "Observations"
	FeaturesOfInterest = "FeaturesOfInterest"
)

// Sets lists the entity sets in the order of the service root.
var Sets = []string{Things, Locations, Sensors, ObservedProperties, Datastreams, Observations, FeaturesOfInterest}

// The observation types a datastream may declare.
const (
	OMMeasurement = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
	OMCountObs    = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CountObservation"
	OMTruthObs    = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_TruthObservation"
	OMCategoryObs = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_CategoryObservation"
	OMObservation = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Observation"
)

// Entity is one metadata entity: its set, id, own properties as posted
// (name, description, …) and its links to other entities by set.
type Entity struct {
	Set   string
	ID    int64
	Props map[string]any
	Links map[string][]int64 // e.g. a Datastream's {"Thing": [1], "Sensor": [2], "ObservedProperty": [3]}
}

// Observation is one observation of a datastream.
type Observation struct {
	ID              int64
	Datastream      int64
	FeatureOfInt    int64
	PhenomenonTime  time.Time
	PhenomenonEnd   time.Time // zero unless the phenomenon time is an interval
	ResultTime      time.Time // zero when not given
	Result          any       // float64, bool, string or a JSON value
	Parameters      map[string]any
	ResultQualities any
}

// Store keeps the entities and observations durably.
type Store interface {
	// Entities returns every metadata entity, and the largest observation id.
	Load(ctx context.Context) ([]Entity, int64, error)
	// PutEntity stores (or replaces) one metadata entity.
	PutEntity(ctx context.Context, e Entity) error
	// Append stores observations durably, all or none.
	Append(ctx context.Context, obs []Observation) error
	// Observations lists observations matching q.
	Observations(ctx context.Context, q ObsQuery) ([]Observation, int, error)
}

// ObsQuery selects observations.
type ObsQuery struct {
	Datastreams []int64 // empty: all
	Where       []Cond
	OrderBy     []Order // empty: phenomenonTime desc, then id desc
	Top, Skip   int
	Count       bool
}

// Cond is one comparison of $filter: Field op Value, with Field one of
// "result", "phenomenonTime", "resultTime", "id" for observations, or a
// property name (or "id") for other entities.
type Cond struct {
	Field string
	Op    string // eq ne gt ge lt le
	Value any    // float64, string, bool or time.Time
}

// Order is one key of $orderby.
type Order struct {
	Field string
	Desc  bool
}

// Latest is the newest observation of a datastream, as held in memory.
type Latest struct {
	Datastream int64
	Obs        Observation
}

// Service serves the entities over a Store. It is safe for concurrent use.
type Service struct {
	store Store
	// Accepted is called after observations are stored, with the
	// datastream of each, in the caller's goroutine.
	accepted func([]Observation)

	mu       sync.RWMutex
	entities map[string]map[int64]*Entity
	nextID   map[string]int64
	latest   map[int64]Observation
	foiOfLoc map[int64]int64 // Location id → its FeatureOfInterest
	obsID    int64

	// locks serialise the adds of one datastream (time order), striped.
	locks [64]sync.Mutex
}

// Config is what a Service is made with.
type Config struct {
	Store Store
	// Accepted, when set, is called with every batch of stored
	// observations (a flood model following its gauges).
	Accepted func([]Observation)
}

// New loads the entities from the store and the latest observation of each
// datastream.
func New(ctx context.Context, cfg Config) (*Service, error) {
	s := &Service{store: cfg.Store, accepted: cfg.Accepted, entities: map[string]map[int64]*Entity{},
		nextID: map[string]int64{}, latest: map[int64]Observation{}, foiOfLoc: map[int64]int64{}}
	for _, set := range Sets {
		s.entities[set] = map[int64]*Entity{}
	}
	es, maxObs, err := cfg.Store.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("sensors: loading: %w", err)
	}
	s.obsID = maxObs
	for i := range es {
		e := es[i]
		s.entities[e.Set][e.ID] = &e
		if e.ID > s.nextID[e.Set] {
			s.nextID[e.Set] = e.ID
		}
		if e.Set == FeaturesOfInterest {
			if loc, ok := e.Props["_location"].(float64); ok {
				s.foiOfLoc[int64(loc)] = e.ID
			}
		}
	}
	for id := range s.entities[Datastreams] {
		obs, _, err := cfg.Store.Observations(ctx, ObsQuery{Datastreams: []int64{id}, Top: 1})
		if err != nil {
			return nil, fmt.Errorf("sensors: latest of datastream %d: %w", id, err)
		}
		if len(obs) == 1 {
			s.latest[id] = obs[0]
		}
	}
	return s, nil
}

// linkSpec is the links an entity set has: name → target set, and whether
// it is required and single.
type linkSpec struct {
	name, target string
	required     bool
	many         bool
}

var links = map[string][]linkSpec{
	Things:             {{"Locations", Locations, false, true}},
	Locations:          {{"Things", Things, false, true}},
	Datastreams:        {{"Thing", Things, true, false}, {"Sensor", Sensors, true, false}, {"ObservedProperty", ObservedProperties, true, false}},
	Sensors:            nil,
	ObservedProperties: nil,
	FeaturesOfInterest: nil,
}

// required properties of each set, per the spec's tables.
var required = map[string][]string{
	Things:             {"name", "description"},
	Locations:          {"name", "description", "encodingType", "location"},
	Sensors:            {"name", "description", "encodingType", "metadata"},
	ObservedProperties: {"name", "definition", "description"},
	Datastreams:        {"name", "description", "unitOfMeasurement", "observationType"},
	FeaturesOfInterest: {"name", "description", "encodingType", "feature"},
}

// Create adds a metadata entity of set from its JSON body (links given as
// {"@iot.id": n} or, for the many-valued, a list of them) and returns it.
func (s *Service) Create(ctx context.Context, set string, body map[string]any) (*Entity, error) {
	req, ok := required[set]
	if !ok {
		return nil, field.Errorf("set", "cannot create %s here", set)
	}
	e := &Entity{Set: set, Props: map[string]any{}, Links: map[string][]int64{}}
	specs := map[string]linkSpec{}
	for _, l := range links[set] {
		specs[l.name] = l
	}
	for k, v := range body {
		if l, ok := specs[k]; ok {
			ids, err := linkIDs(k, v, l.many)
			if err != nil {
				return nil, err
			}
			e.Links[k] = ids
			continue
		}
		if k == "@iot.id" || k == "id" {
			return nil, field.Errorf(k, "ids are given by the server")
		}
		if len(k) > 0 && (k[0] == '@' || k[0] == '_') {
			return nil, field.Errorf(k, "unknown property")
		}
		e.Props[k] = v
	}
	for _, p := range req {
		if _, ok := e.Props[p]; !ok {
			return nil, field.Errorf(p, "%s needs %s", set, p)
		}
	}
	if set == Datastreams {
		ot, _ := e.Props["observationType"].(string)
		switch ot {
		case OMMeasurement, OMCountObs, OMTruthObs, OMCategoryObs, OMObservation:
		default:
			return nil, field.Errorf("observationType", "unknown observation type %q", ot)
		}
		if _, ok := e.Props["unitOfMeasurement"].(map[string]any); !ok {
			return nil, field.Errorf("unitOfMeasurement", "want an object with name, symbol and definition")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range links[set] {
		ids := e.Links[l.name]
		if l.required && len(ids) == 0 {
			return nil, field.Errorf(l.name, "%s needs a %s link ({\"@iot.id\": n})", set, l.name)
		}
		for _, id := range ids {
			if _, ok := s.entities[l.target][id]; !ok {
				return nil, field.Errorf(l.name, "no %s(%d)", l.target, id)
			}
		}
	}
	s.nextID[set]++
	e.ID = s.nextID[set]
	if err := s.store.PutEntity(ctx, *e); err != nil {
		s.nextID[set]--
		return nil, err
	}
	s.entities[set][e.ID] = e
	// Links both ways for Things and Locations.
	if set == Things || set == Locations {
		// A Thing's link is "Locations", a Location's "Things": the link
		// to the other set is named as it, the way back as this one.
		other, back := map[string]string{Things: Locations, Locations: Things}[set], set
		for _, id := range e.Links[other] {
			other := s.entities[other][id]
			cp := *other
			cp.Links = cloneLinks(other.Links)
			cp.Links[back] = append(cp.Links[back], e.ID)
			if err := s.store.PutEntity(ctx, cp); err != nil {
				return nil, err
			}
			s.entities[cp.Set][cp.ID] = &cp
		}
	}
	return e, nil
}

func cloneLinks(m map[string][]int64) map[string][]int64 {
	out := make(map[string][]int64, len(m))
	for k, v := range m {
		out[k] = append([]int64(nil), v...)
	}
	return out
}

func linkIDs(name string, v any, many bool) ([]int64, error) {
	one := func(x any) (int64, error) {
		m, ok := x.(map[string]any)
		if !ok {
			return 0, field.Errorf(name, "want {\"@iot.id\": n}")
		}
		id, ok := m["@iot.id"].(float64)
		if !ok || id != math.Trunc(id) || id < 1 {
			return 0, field.Errorf(name, "want {\"@iot.id\": n} with a positive integer (deep insert is not supported)")
		}
		return int64(id), nil
	}
	if list, ok := v.([]any); ok && many {
		var out []int64
		for _, x := range list {
			id, err := one(x)
			if err != nil {
				return nil, err
			}
			out = append(out, id)
		}
		return out, nil
	}
	id, err := one(v)
	if err != nil {
		return nil, err
	}
	return []int64{id}, nil
}

// Get returns one entity.
func (s *Service) Get(set string, id int64) (*Entity, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.entities[set]
	if !ok {
		return nil, field.Missingf("set", "no entity set %s", set)
	}
	e, ok := m[id]
	if !ok {
		return nil, field.Missingf("id", "no %s(%d)", set, id)
	}
	return e, nil
}

// List returns the entities of set in id order, those passing where.
func (s *Service) List(set string, where []Cond) []*Entity {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Entity
	for _, e := range s.entities[set] {
		if matchEntity(e, where) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Related lists the entities of target set linked from e (a Thing's
// Datastreams, a Datastream's Thing, …).
func (s *Service) Related(e *Entity, target string) []*Entity {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Entity
	for _, l := range links[e.Set] {
		if l.target == target {
			for _, id := range e.Links[l.name] {
				if x, ok := s.entities[target][id]; ok {
					out = append(out, x)
				}
			}
			return out
		}
	}
	// The reverse of a single link: a Thing's, Sensor's or
	// ObservedProperty's Datastreams.
	if target == Datastreams {
		name := map[string]string{Things: "Thing", Sensors: "Sensor", ObservedProperties: "ObservedProperty"}[e.Set]
		for _, d := range s.entities[Datastreams] {
			for _, id := range d.Links[name] {
				if id == e.ID {
					out = append(out, d)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// LatestOf returns the newest observation of datastream id held in memory.
func (s *Service) LatestOf(id int64) (Observation, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.latest[id]
	return o, ok
}

// Observations lists observations matching q from the store.
func (s *Service) Observations(ctx context.Context, q ObsQuery) ([]Observation, int, error) {
	return s.store.Observations(ctx, q)
}

// NewObservation is an observation as posted, before validation.
type NewObservation struct {
	Datastream     int64
	PhenomenonTime string // ISO 8601 instant or start/end interval; empty: now
	ResultTime     string
	Result         any
	Parameters     map[string]any
	Index          int // position in a batch, for error messages
}

// Add validates a batch and stores it, all or nothing: an unknown
// datastream, a result of the wrong type for the datastream's
// observationType or a phenomenonTime before the datastream's latest is a
// *field.Error naming the field and the batch position. Observations of
// one datastream are ordered; batches of different datastreams go
// concurrently.
func (s *Service) Add(ctx context.Context, in []NewObservation, now time.Time) ([]Observation, error) {
	if len(in) == 0 {
		return nil, field.Errorf("dataArray", "no observations")
	}
	out := make([]Observation, len(in))
	var dss []int64
	seen := map[int64]bool{}
	s.mu.RLock()
	for i, n := range in {
		at := func(f string) string {
			if len(in) > 1 {
				return fmt.Sprintf("%s[%d].%s", "Observations", n.Index, f)
			}
			return f
		}
		ds, ok := s.entities[Datastreams][n.Datastream]
		if !ok {
			s.mu.RUnlock()
			return nil, field.Errorf(at("Datastream"), "no Datastream(%d)", n.Datastream)
		}
		o := Observation{Datastream: n.Datastream, Parameters: n.Parameters}
		var err error
		if o.PhenomenonTime, o.PhenomenonEnd, err = parseTime(n.PhenomenonTime, now); err != nil {
			s.mu.RUnlock()
			return nil, field.Errorf(at("phenomenonTime"), "%v", err)
		}
		if n.ResultTime != "" {
			if o.ResultTime, _, err = parseTime(n.ResultTime, now); err != nil {
				s.mu.RUnlock()
				return nil, field.Errorf(at("resultTime"), "%v", err)
			}
		}
		ot, _ := ds.Props["observationType"].(string)
		if o.Result, err = checkResult(ot, n.Result); err != nil {
			s.mu.RUnlock()
			return nil, field.Errorf(at("result"), "%v", err)
		}
		if foi, ok := s.foiFor(ds); ok {
			o.FeatureOfInt = foi
		}
		out[i] = o
		if !seen[n.Datastream] {
			seen[n.Datastream] = true
			dss = append(dss, n.Datastream)
		}
	}
	s.mu.RUnlock()
	// Lock the batch's datastreams (stripes in order: no deadlock), check
	// time order against the latest, store, then publish the latest.
	stripes := map[int]bool{}
	for _, id := range dss {
		stripes[int(id%int64(len(s.locks)))] = true
	}
	order := make([]int, 0, len(stripes))
	for k := range stripes {
		order = append(order, k)
	}
	sort.Ints(order)
	for _, k := range order {
		s.locks[k].Lock()
	}
	defer func() {
		for _, k := range order {
			s.locks[k].Unlock()
		}
	}()
	s.mu.Lock()
	last := map[int64]time.Time{}
	for _, id := range dss {
		if l, ok := s.latest[id]; ok {
			last[id] = l.PhenomenonTime
		}
	}
	for i := range out {
		o := &out[i]
		if in[i].PhenomenonTime == "" {
			// Stamped by the server: now, taken in the datastream's order.
			o.PhenomenonTime = time.Now().UTC()
			if t, ok := last[o.Datastream]; ok && o.PhenomenonTime.Before(t) {
				o.PhenomenonTime = t
			}
		}
		if t, ok := last[o.Datastream]; ok && o.PhenomenonTime.Before(t) {
			s.mu.Unlock()
			f := "phenomenonTime"
			if len(in) > 1 {
				f = fmt.Sprintf("Observations[%d].phenomenonTime", in[i].Index)
			}
			return nil, field.Errorf(f, "%s is before the latest of Datastream(%d), %s", o.PhenomenonTime.Format(time.RFC3339Nano), o.Datastream, t.Format(time.RFC3339Nano))
		}
		last[o.Datastream] = o.PhenomenonTime
		s.obsID++
		o.ID = s.obsID
	}
	s.mu.Unlock()
	if err := s.store.Append(ctx, out); err != nil {
		return nil, err
	}
	s.mu.Lock()
	for _, o := range out {
		if l, ok := s.latest[o.Datastream]; !ok || !o.PhenomenonTime.Before(l.PhenomenonTime) {
			s.latest[o.Datastream] = o
		}
	}
	s.mu.Unlock()
	if s.accepted != nil {
		s.accepted(out)
	}
	return out, nil
}

// foiFor is the FeatureOfInterest of a datastream's observations: the one
// made from its Thing's first Location (made by EnsureFeatures). s.mu held.
func (s *Service) foiFor(ds *Entity) (int64, bool) {
	for _, th := range ds.Links["Thing"] {
		if t, ok := s.entities[Things][th]; ok {
			for _, loc := range t.Links["Locations"] {
				if foi, ok := s.foiOfLoc[loc]; ok {
					return foi, true
				}
			}
		}
	}
	return 0, false
}

// EnsureFeatures makes a FeatureOfInterest for every Location lacking one,
// as the spec has the service do for observations posted without one.
func (s *Service) EnsureFeatures(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.entities[Locations]))
	for id := range s.entities[Locations] {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if _, ok := s.foiOfLoc[id]; ok {
			continue
		}
		loc := s.entities[Locations][id]
		s.nextID[FeaturesOfInterest]++
		e := &Entity{Set: FeaturesOfInterest, ID: s.nextID[FeaturesOfInterest], Links: map[string][]int64{}, Props: map[string]any{
			"name": loc.Props["name"], "description": loc.Props["description"], "encodingType": loc.Props["encodingType"],
			"feature": loc.Props["location"], "_location": float64(id)}}
		if err := s.store.PutEntity(ctx, *e); err != nil {
			return err
		}
		s.entities[FeaturesOfInterest][e.ID] = e
		s.foiOfLoc[id] = e.ID
	}
	return nil
}

func parseTime(v string, now time.Time) (time.Time, time.Time, error) {
	if v == "" {
		return now.UTC(), time.Time{}, nil
	}
	start, end, interval := cut(v, '/')
	t, err := parseInstant(start)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("want an ISO 8601 time (RFC 3339) or interval, got %q", v)
	}
	if !interval {
		return t.UTC(), time.Time{}, nil
	}
	e, err := parseInstant(end)
	if err != nil || e.Before(t) {
		return time.Time{}, time.Time{}, fmt.Errorf("want start/end with end not before start, got %q", v)
	}
	return t.UTC(), e.UTC(), nil
}

// parseInstant reads RFC 3339 and the ISO 8601 basic offset the
// SensorThings examples use ("2010-12-23T10:20:00-0700").
func parseInstant(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if t2, err2 := time.Parse("2006-01-02T15:04:05.999999999-0700", s); err2 == nil {
			return t2, nil
		}
	}
	return t, err
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// checkResult checks a result against the datastream's observation type.
func checkResult(ot string, r any) (any, error) {
	if r == nil {
		return nil, errors.New("result is required")
	}
	switch ot {
	case OMMeasurement:
		f, ok := r.(float64)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("an OM_Measurement datastream takes a number, got %s", jsonOf(r))
		}
		return f, nil
	case OMCountObs:
		f, ok := r.(float64)
		if !ok || f != math.Trunc(f) {
			return nil, fmt.Errorf("an OM_CountObservation datastream takes an integer, got %s", jsonOf(r))
		}
		return f, nil
	case OMTruthObs:
		if _, ok := r.(bool); !ok {
			return nil, fmt.Errorf("an OM_TruthObservation datastream takes true or false, got %s", jsonOf(r))
		}
	case OMCategoryObs:
		if _, ok := r.(string); !ok {
			return nil, fmt.Errorf("an OM_CategoryObservation datastream takes a string, got %s", jsonOf(r))
		}
	}
	return r, nil
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// matchEntity applies $filter conditions to a metadata entity's properties.
func matchEntity(e *Entity, where []Cond) bool {
	for _, c := range where {
		var v any
		if c.Field == "id" {
			v = float64(e.ID)
		} else {
			v = e.Props[c.Field]
		}
		if !compare(v, c.Op, c.Value) {
			return false
		}
	}
	return true
}

// MatchObservation applies $filter conditions to an observation.
func MatchObservation(o Observation, where []Cond) bool {
	for _, c := range where {
		var v any
		switch c.Field {
		case "result":
			v = o.Result
		case "phenomenonTime":
			v = o.PhenomenonTime
		case "resultTime":
			if !o.ResultTime.IsZero() {
				v = o.ResultTime
			}
		case "id":
			v = float64(o.ID)
		}
		if !compare(v, c.Op, c.Value) {
			return false
		}
	}
	return true
}

func compare(v any, op string, want any) bool {
	var c int
	switch w := want.(type) {
	case float64:
		x, ok := v.(float64)
		if !ok {
			return op == "ne"
		}
		c = cmp3(x < w, x > w)
	case string:
		x, ok := v.(string)
		if !ok {
			return op == "ne"
		}
		c = cmp3(x < w, x > w)
	case time.Time:
		x, ok := v.(time.Time)
		if !ok {
			return op == "ne"
		}
		c = cmp3(x.Before(w), x.After(w))
	case bool:
		x, ok := v.(bool)
		if !ok {
			return op == "ne"
		}
		if op == "eq" {
			return x == w
		}
		return op == "ne" && x != w
	default:
		return false
	}
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

func cmp3(less, more bool) int {
	switch {
	case less:
		return -1
	case more:
		return 1
	}
	return 0
}
