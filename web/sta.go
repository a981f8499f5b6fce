package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/onemap/onemap/models/field"
	"github.com/onemap/onemap/models/sensors"
)

// STAPrefix is where the SensorThings API is served.
const STAPrefix = "/sta/v1.1"

// STA serves the sensing part of OGC SensorThings API v1.1 over a sensors
// service: GET of every entity set and entity, navigation between them,
// $filter/$top/$skip/$count/$orderby/$expand, POST of the entities and
// Observations, and the CreateObservations dataArray extension.
type STA struct {
	svc *sensors.Service
	now func() time.Time
}

// NewSTA serves svc.
func NewSTA(svc *sensors.Service) *STA { return &STA{svc: svc, now: time.Now} }

// Register adds the SensorThings routes; writes need the sensor role.
func (s *STA) Register(mux *http.ServeMux, log *slog.Logger, tokens Tokens) {
	mux.Handle("GET "+STAPrefix, Handle(log, s.root))
	mux.Handle("GET "+STAPrefix+"/", Handle(log, s.get))
	mux.Handle("POST "+STAPrefix+"/", Handle(log, tokens.Require(SensorRole, s.post)))
}

// staDefaultTop is the page size when $top is not given.
const staDefaultTop = 100

func (s *STA) root(w http.ResponseWriter, r *http.Request) error {
	base := BaseURL(r) + STAPrefix
	var vals []map[string]string
	for _, set := range sensors.Sets {
		vals = append(vals, map[string]string{"name": set, "url": base + "/" + set})
	}
	return WriteJSON(w, http.StatusOK, "", map[string]any{"value": vals, "serverSettings": map[string]any{
		"conformance": []string{
			"http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
			"http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
			"http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
			"http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete/create-entity",
			"http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array",
		}}})
}

// staPath is a parsed resource path: Set, Set(id) or Set(id)/Nav.
type staPath struct {
	set string
	id  int64 // 0: the collection
	nav string
}

func parseSTAPath(p string) (staPath, error) {
	var out staPath
	segs := strings.Split(strings.Trim(strings.TrimPrefix(p, STAPrefix), "/"), "/")
	if len(segs) == 0 || len(segs) > 2 || segs[0] == "" {
		return out, NotFound("path", "no resource %s", p)
	}
	head := segs[0]
	if i := strings.IndexByte(head, '('); i >= 0 {
		if !strings.HasSuffix(head, ")") {
			return out, BadRequest("path", "want Set(id), got %q", head)
		}
		id, err := strconv.ParseInt(head[i+1:len(head)-1], 10, 64)
		if err != nil || id < 1 {
			return out, BadRequest("path", "ids are positive integers, got %q", head[i+1:len(head)-1])
		}
		out.id, head = id, head[:i]
	}
	out.set = head
	known := head == "CreateObservations"
	for _, s := range sensors.Sets {
		known = known || s == head
	}
	if !known {
		return out, NotFound("path", "no entity set %q", head)
	}
	if len(segs) == 2 {
		if out.id == 0 {
			return out, NotFound("path", "navigate from one entity: %s(id)/%s", head, segs[1])
		}
		out.nav = segs[1]
	}
	return out, nil
}

// navTarget is the set a navigation property leads to, and whether it is
// one entity.
func navTarget(set, nav string) (string, bool, bool) {
	m := map[string]map[string]string{
		sensors.Things:             {"Locations": sensors.Locations, "Datastreams": sensors.Datastreams},
		sensors.Locations:          {"Things": sensors.Things},
		sensors.Sensors:            {"Datastreams": sensors.Datastreams},
		sensors.ObservedProperties: {"Datastreams": sensors.Datastreams},
		sensors.Datastreams:        {"Thing": sensors.Things, "Sensor": sensors.Sensors, "ObservedProperty": sensors.ObservedProperties, "Observations": sensors.Observations},
		sensors.Observations:       {"Datastream": sensors.Datastreams, "FeatureOfInterest": sensors.FeaturesOfInterest},
		sensors.FeaturesOfInterest: {"Observations": sensors.Observations},
	}
	t, ok := m[set][nav]
	return t, ok, ok && !strings.HasSuffix(nav, "s") && nav != "Observations"
}

func (s *STA) get(w http.ResponseWriter, r *http.Request) error {
	p, err := parseSTAPath(r.URL.Path)
	if err != nil {
		return err
	}
	if p.set == "CreateObservations" {
		return &Error{Status: http.StatusMethodNotAllowed, Field: "method", Message: "CreateObservations takes POST"}
	}
	q, err := sensors.ParseQuery(r.URL.Query().Get, "")
	if err != nil {
		return err
	}
	enc := &staEncoder{svc: s.svc, base: BaseURL(r) + STAPrefix, r: r}
	switch {
	case p.id == 0:
		return enc.collection(w, p.set, nil, q)
	case p.nav == "":
		e, err := enc.one(p.set, p.id, q)
		if err != nil {
			return err
		}
		return WriteJSON(w, http.StatusOK, "", e)
	}
	target, ok, single := navTarget(p.set, p.nav)
	if !ok {
		return NotFound("path", "%s has no navigation property %s", p.set, p.nav)
	}
	if p.set == sensors.Observations {
		o, err := enc.observation(p.id)
		if err != nil {
			return err
		}
		id := o.Datastream
		if target == sensors.FeaturesOfInterest {
			id = o.FeatureOfInt
		}
		e, err := enc.one(target, id, q)
		if err != nil {
			return err
		}
		return WriteJSON(w, http.StatusOK, "", e)
	}
	parent, err := s.svc.Get(p.set, p.id)
	if err != nil {
		return err
	}
	if single {
		rel := s.svc.Related(parent, target)
		if len(rel) == 0 {
			return NotFound("path", "%s(%d) has no %s", p.set, p.id, p.nav)
		}
		return WriteJSON(w, http.StatusOK, "", enc.entity(rel[0], q))
	}
	return enc.collection(w, target, parent, q)
}

// staEncoder writes entities as SensorThings JSON.
type staEncoder struct {
	svc  *sensors.Service
	base string
	r    *http.Request
}

func (e *staEncoder) self(set string, id int64) string {
	return fmt.Sprintf("%s/%s(%d)", e.base, set, id)
}

var staNavs = map[string][]string{
	sensors.Things:             {"Locations", "HistoricalLocations", "Datastreams"},
	sensors.Locations:          {"Things", "HistoricalLocations"},
	sensors.Sensors:            {"Datastreams"},
	sensors.ObservedProperties: {"Datastreams"},
	sensors.Datastreams:        {"Thing", "Sensor", "ObservedProperty", "Observations"},
	sensors.FeaturesOfInterest: {"Observations"},
	sensors.Observations:       {"Datastream", "FeatureOfInterest"},
}

func (e *staEncoder) links(out map[string]any, set string, id int64) {
	out["@iot.id"] = id
	out["@iot.selfLink"] = e.self(set, id)
	for _, n := range staNavs[set] {
		out[n+"@iot.navigationLink"] = e.self(set, id) + "/" + n
	}
}

func (e *staEncoder) entity(x *sensors.Entity, q sensors.Query) map[string]any {
	out := map[string]any{}
	for k, v := range x.Props {
		if !strings.HasPrefix(k, "_") {
			out[k] = v
		}
	}
	e.links(out, x.Set, x.ID)
	for _, ex := range q.Expand {
		e.expand(out, x, ex)
	}
	return out
}

func (e *staEncoder) expand(out map[string]any, x *sensors.Entity, ex sensors.Expand) {
	target, ok, single := navTarget(x.Set, ex.Name)
	if !ok {
		return
	}
	if target == sensors.Observations {
		obs, err := e.observationsOf(x, ex.Query)
		if err != nil {
			out[ex.Name+"@iot.error"] = err.Error()
			return
		}
		list := make([]map[string]any, len(obs))
		for i, o := range obs {
			list[i] = e.obsJSON(o)
		}
		out[ex.Name] = list
		return
	}
	rel := e.svc.Related(x, target)
	if single {
		if len(rel) > 0 {
			out[ex.Name] = e.entity(rel[0], ex.Query)
		}
		return
	}
	list := []map[string]any{}
	for _, r := range rel {
		list = append(list, e.entity(r, ex.Query))
	}
	out[ex.Name] = list
}

// observationsOf lists a datastream's observations: the latest from
// memory for $top=1 in the default order without a filter, the store
// otherwise.
func (e *staEncoder) observationsOf(x *sensors.Entity, q sensors.Query) ([]sensors.Observation, error) {
	if x.Set != sensors.Datastreams {
		return nil, nil
	}
	if q.TopSet && q.Top == 1 && q.Skip == 0 && len(q.Where) == 0 && len(q.OrderBy) == 0 {
		if o, ok := e.svc.LatestOf(x.ID); ok {
			return []sensors.Observation{o}, nil
		}
		return nil, nil
	}
	top := q.Top
	if !q.TopSet {
		top = staDefaultTop
	}
	obs, _, err := e.svc.Observations(e.r.Context(), sensors.ObsQuery{Datastreams: []int64{x.ID}, Where: q.Where, OrderBy: q.OrderBy, Top: top, Skip: q.Skip})
	return obs, err
}

func (e *staEncoder) obsJSON(o sensors.Observation) map[string]any {
	out := map[string]any{"result": o.Result, "resultTime": nil}
	pt := o.PhenomenonTime.Format(time.RFC3339Nano)
	if !o.PhenomenonEnd.IsZero() {
		pt += "/" + o.PhenomenonEnd.Format(time.RFC3339Nano)
	}
	out["phenomenonTime"] = pt
	if !o.ResultTime.IsZero() {
		out["resultTime"] = o.ResultTime.Format(time.RFC3339Nano)
	}
	if o.Parameters != nil {
		out["parameters"] = o.Parameters
	}
	e.links(out, sensors.Observations, o.ID)
	return out
}

func (e *staEncoder) observation(id int64) (sensors.Observation, error) {
	obs, _, err := e.svc.Observations(e.r.Context(), sensors.ObsQuery{Where: []sensors.Cond{{Field: "id", Op: "eq", Value: float64(id)}}, Top: 1})
	if err != nil {
		return sensors.Observation{}, err
	}
	if len(obs) == 0 {
		return sensors.Observation{}, field.Missingf("id", "no Observations(%d)", id)
	}
	return obs[0], nil
}

func (e *staEncoder) one(set string, id int64, q sensors.Query) (map[string]any, error) {
	if set == sensors.Observations {
		o, err := e.observation(id)
		if err != nil {
			return nil, err
		}
		out := e.obsJSON(o)
		for _, ex := range q.Expand {
			if ex.Name == "Datastream" || ex.Name == "FeatureOfInterest" {
				rid := o.Datastream
				if ex.Name == "FeatureOfInterest" {
					rid = o.FeatureOfInt
				}
				if x, err := e.svc.Get(map[string]string{"Datastream": sensors.Datastreams, "FeatureOfInterest": sensors.FeaturesOfInterest}[ex.Name], rid); err == nil {
					out[ex.Name] = e.entity(x, ex.Query)
				}
			}
		}
		return out, nil
	}
	x, err := e.svc.Get(set, id)
	if err != nil {
		return nil, err
	}
	return e.entity(x, q), nil
}

// collection writes a page of set (those related to parent when given).
func (e *staEncoder) collection(w http.ResponseWriter, set string, parent *sensors.Entity, q sensors.Query) error {
	top := q.Top
	if !q.TopSet {
		top = staDefaultTop
	}
	var vals []map[string]any
	total := 0
	if set == sensors.Observations {
		oq := sensors.ObsQuery{Where: q.Where, OrderBy: q.OrderBy, Top: top + 1, Skip: q.Skip, Count: q.Count}
		if parent != nil {
			if parent.Set != sensors.Datastreams {
				return NotFound("path", "observations are listed per Datastream")
			}
			oq.Datastreams = []int64{parent.ID}
		}
		for _, c := range q.Where {
			if c.Field != "result" && c.Field != "phenomenonTime" && c.Field != "resultTime" && c.Field != "id" {
				return BadRequest("$filter", "observations filter on result, phenomenonTime, resultTime or id, not %q", c.Field)
			}
		}
		for _, o := range q.OrderBy {
			if o.Field != "result" && o.Field != "phenomenonTime" && o.Field != "resultTime" && o.Field != "id" {
				return BadRequest("$orderby", "observations order by result, phenomenonTime, resultTime or id, not %q", o.Field)
			}
		}
		if top == 0 {
			oq.Top = 1
		}
		obs, n, err := e.svc.Observations(e.r.Context(), oq)
		if err != nil {
			return err
		}
		total = n
		for _, o := range obs {
			vals = append(vals, e.obsJSON(o))
		}
	} else {
		var list []*sensors.Entity
		if parent != nil {
			for _, x := range e.svc.Related(parent, set) {
				if matchAll(e.svc, x, q.Where) {
					list = append(list, x)
				}
			}
		} else {
			list = e.svc.List(set, q.Where)
		}
		sortEntities(list, q.OrderBy)
		total = len(list)
		end := q.Skip + top + 1
		if q.Skip > len(list) {
			list = nil
		} else {
			if end > len(list) {
				end = len(list)
			}
			list = list[q.Skip:end]
		}
		for _, x := range list {
			vals = append(vals, e.entity(x, q))
		}
	}
	out := map[string]any{}
	if q.Count {
		out["@iot.count"] = total
	}
	if len(vals) > top {
		vals = vals[:top]
		nq := e.r.URL.Query()
		nq.Set("$skip", strconv.Itoa(q.Skip+top))
		nq.Set("$top", strconv.Itoa(top))
		out["@iot.nextLink"] = BaseURL(e.r) + e.r.URL.Path + "?" + nq.Encode()
	}
	if vals == nil {
		vals = []map[string]any{}
	}
	out["value"] = vals
	return WriteJSON(w, http.StatusOK, "", out)
}

func matchAll(svc *sensors.Service, x *sensors.Entity, where []sensors.Cond) bool {
	for _, e := range svc.List(x.Set, where) {
		if e.ID == x.ID {
			return true
		}
	}
	return false
}

func sortEntities(list []*sensors.Entity, keys []sensors.Order) {
	if len(keys) == 0 {
		return
	}
	less := func(a, b *sensors.Entity, k sensors.Order) int {
		if k.Field == "id" {
			return cmpInt(a.ID, b.ID)
		}
		x, _ := a.Props[k.Field].(string)
		y, _ := b.Props[k.Field].(string)
		return strings.Compare(x, y)
	}
	sortStable(list, func(a, b *sensors.Entity) bool {
		for _, k := range keys {
			c := less(a, b, k)
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *STA) post(w http.ResponseWriter, r *http.Request) error {
	p, err := parseSTAPath(r.URL.Path)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 32<<20))
	if err != nil {
		return BadRequest("body", "reading the body: %v", err)
	}
	enc := &staEncoder{svc: s.svc, base: BaseURL(r) + STAPrefix, r: r}
	switch {
	case p.set == "CreateObservations" && p.id == 0:
		return s.createObservations(w, r, enc, body)
	case p.set == sensors.Observations && p.id == 0:
		return s.postObservation(w, r, enc, body, 0)
	case p.set == sensors.Datastreams && p.nav == "Observations":
		return s.postObservation(w, r, enc, body, p.id)
	case p.id == 0 && p.nav == "":
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return BadRequest("body", "want a JSON object: %v", err)
		}
		x, err := s.svc.Create(r.Context(), p.set, m)
		if err != nil {
			return err
		}
		w.Header().Set("Location", enc.self(x.Set, x.ID))
		return WriteJSON(w, http.StatusCreated, "", enc.entity(x, sensors.Query{}))
	}
	return &Error{Status: http.StatusMethodNotAllowed, Field: "path", Message: "POST creates in an entity set, Datastreams(id)/Observations or CreateObservations"}
}

// staObservation is a posted Observation.
type staObservation struct {
	PhenomenonTime    *string         `json:"phenomenonTime"`
	ResultTime        *string         `json:"resultTime"`
	Result            json.RawMessage `json:"result"`
	Parameters        map[string]any  `json:"parameters"`
	ResultQuality     any             `json:"resultQuality"`
	ValidTime         *string         `json:"validTime"`
	Datastream        *staRef         `json:"Datastream"`
	FeatureOfInterest *staRef         `json:"FeatureOfInterest"`
}

type staRef struct {
	ID int64 `json:"@iot.id"`
}

func decodeResult(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	var v any
	_ = json.Unmarshal(raw, &v)
	return v
}

func (s *STA) postObservation(w http.ResponseWriter, r *http.Request, enc *staEncoder, body []byte, ds int64) error {
	var o staObservation
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return decodeError(err)
	}
	if ds == 0 {
		if o.Datastream == nil || o.Datastream.ID == 0 {
			return BadRequest("Datastream", "an Observation needs a Datastream link ({\"@iot.id\": n})")
		}
		ds = o.Datastream.ID
	}
	n := sensors.NewObservation{Datastream: ds, Result: decodeResult(o.Result), Parameters: o.Parameters}
	if o.PhenomenonTime != nil {
		n.PhenomenonTime = *o.PhenomenonTime
	}
	if o.ResultTime != nil {
		n.ResultTime = *o.ResultTime
	}
	out, err := s.svc.Add(r.Context(), []sensors.NewObservation{n}, s.now())
	if err != nil {
		return err
	}
	w.Header().Set("Location", enc.self(sensors.Observations, out[0].ID))
	return WriteJSON(w, http.StatusCreated, "", enc.obsJSON(out[0]))
}

func decodeError(err error) error {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return BadRequest(ute.Field, "expected %s, got %s", ute.Type, ute.Value)
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field ") {
		return BadRequest(strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`), "unknown field")
	}
	return BadRequest("body", "invalid JSON: %v", err)
}

// staDataArray is one item of a CreateObservations request.
type staDataArray struct {
	Datastream *staRef             `json:"Datastream"`
	Components []string            `json:"components"`
	Count      int                 `json:"dataArray@iot.count"`
	DataArray  [][]json.RawMessage `json:"dataArray"`
}

// createObservations takes the data-array extension's batch. Unlike the
// spec's per-row "error" answers, a batch is stored all or nothing: the
// first bad row is a 400 naming it, and nothing of the batch is stored.
func (s *STA) createObservations(w http.ResponseWriter, r *http.Request, enc *staEncoder, body []byte) error {
	var items []staDataArray
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&items); err != nil {
		return decodeError(err)
	}
	var batch []sensors.NewObservation
	for i, it := range items {
		at := fmt.Sprintf("[%d]", i)
		if it.Datastream == nil || it.Datastream.ID == 0 {
			return BadRequest(at+".Datastream", "each item needs a Datastream link")
		}
		col := map[string]int{}
		for j, c := range it.Components {
			switch c {
			case "phenomenonTime", "resultTime", "result", "parameters", "FeatureOfInterest/id", "resultQuality", "validTime":
				col[c] = j
			default:
				return BadRequest(at+".components", "unknown component %q", c)
			}
		}
		if _, ok := col["result"]; !ok {
			return BadRequest(at+".components", "components must include result")
		}
		for k, row := range it.DataArray {
			if len(row) != len(it.Components) {
				return BadRequest(fmt.Sprintf("%s.dataArray[%d]", at, k), "%d values for %d components", len(row), len(it.Components))
			}
			n := sensors.NewObservation{Datastream: it.Datastream.ID, Index: len(batch), Result: decodeResult(row[col["result"]])}
			for name, dst := range map[string]*string{"phenomenonTime": &n.PhenomenonTime, "resultTime": &n.ResultTime} {
				if j, ok := col[name]; ok {
					var v *string
					if err := json.Unmarshal(row[j], &v); err != nil {
						return BadRequest(fmt.Sprintf("%s.dataArray[%d].%s", at, k, name), "want an ISO 8601 string or null")
					}
					if v != nil {
						*dst = *v
					}
				}
			}
			if j, ok := col["parameters"]; ok {
				_ = json.Unmarshal(row[j], &n.Parameters)
			}
			batch = append(batch, n)
		}
	}
	out, err := s.svc.Add(r.Context(), batch, s.now())
	if err != nil {
		return err
	}
	links := make([]string, len(out))
	for i, o := range out {
		links[i] = enc.self(sensors.Observations, o.ID)
	}
	return WriteJSON(w, http.StatusCreated, "", links)
}

func sortStable[T any](xs []T, less func(a, b T) bool) {
	sort.SliceStable(xs, func(i, j int) bool { return less(xs[i], xs[j]) })
}
