package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/onemap/onemap/models/scenario"
	"github.com/onemap/onemap/models/school"
)

// School serves the school-place model and the planners' scenarios:
//
//	GET    /api/school/projection?years=5&scenario=baseline|ID&level=all|primary|junior&format=json|csv&intervals=false|true
//	POST   /api/school/projection?years=&level=&format=   body: a whole school.Input (run offline data; nothing stored)
//	GET    /api/school/backtest
//	GET    /api/school/rolling?from=&to=&horizons=3&split=&methods=a,b   rolling-origin backtest with the baselines
//	GET    /api/school/chart.svg?catchment=CODE&scenario=&level=&years=&intervals=true   (no catchment: the district;
//	       80% prediction intervals calibrated by the rolling backtest unless intervals=false)
//	POST   /api/school/layer?scenario=&year=   (planner) puts the school_pressure layer in the catalog
//	GET    /api/scenarios?model=school          list ("model=" empty: every model)
//	POST   /api/scenarios                       (planner) {"model":"school","name","description","changes":[…]}
//	GET    /api/scenarios/{id}
//	DELETE /api/scenarios/{id}                  (planner)
//	GET    /api/scenarios/{id}/compare?changed=true
type School struct {
	live *school.Live
	svc  *scenario.Service
	iv   intervalCache
}

// intervalCache keeps the prediction intervals calibrated for one
// baseline input (the live input is a new value when its data change).
type intervalCache struct {
	mu  sync.Mutex
	in  *school.Input
	iv  *school.Intervals
	err error
}

// get returns the intervals for in, calibrating them on first use.
func (c *intervalCache) get(in *school.Input) (*school.Intervals, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.in != in {
		iv, err := school.Calibrate(in, 3, 0.8)
		c.in, c.iv, c.err = in, &iv, err
	}
	return c.iv, c.err
}

// NewSchool serves the school model live over the catalog, with scenarios
// kept by svc (other models' scenarios are listed, stored and compared
// through the same routes).
func NewSchool(live *school.Live, svc *scenario.Service) *School {
	return &School{live: live, svc: svc}
}

// Register adds the school and scenario routes to mux.
func (s *School) Register(mux *http.ServeMux, log *slog.Logger, tokens Tokens) {
	mux.Handle("GET /api/school/projection", Handle(log, s.projection))
	mux.Handle("POST /api/school/projection", Handle(log, s.projectInput))
	mux.Handle("GET /api/school/backtest", Handle(log, s.backtest))
	mux.Handle("GET /api/school/rolling", Handle(log, s.rolling))
	mux.Handle("GET /api/school/chart.svg", Handle(log, s.chart))
	mux.Handle("POST /api/school/layer", Handle(log, tokens.Require(Planner, s.layer)))
	mux.Handle("GET /api/scenarios", Handle(log, s.list))
	mux.Handle("POST /api/scenarios", Handle(log, tokens.Require(Planner, s.create)))
	mux.Handle("GET /api/scenarios/{id}", Handle(log, s.get))
	mux.Handle("DELETE /api/scenarios/{id}", Handle(log, tokens.Require(Planner, s.remove)))
	mux.Handle("GET /api/scenarios/{id}/compare", Handle(log, s.compare))
}

func level(r *http.Request) (string, error) {
	lv := r.URL.Query().Get("level")
	switch lv {
	case "", "all", school.Primary, school.Junior:
		return lv, nil
	}
	return "", BadRequest("level", "%q: want primary, junior or all", lv)
}

func (s *School) writeResult(w http.ResponseWriter, r *http.Request, res *school.Result) error {
	lv, err := level(r)
	if err != nil {
		return err
	}
	res = school.Filter(res, lv)
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		return WriteJSON(w, http.StatusOK, "", res)
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="school-projection.csv"`)
		return school.WriteCSV(w, res)
	default:
		return BadRequest("format", "%q: want json or csv", f)
	}
}

func (s *School) projection(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	years, err := ParseInt(q, "years", 5, 1, school.MaxYears)
	if err != nil {
		return err
	}
	if _, err := level(r); err != nil {
		return err
	}
	res, err := s.intervalResult(r, years, false)
	if err != nil {
		return err
	}
	return s.writeResult(w, r, res)
}

func (s *School) projectInput(w http.ResponseWriter, r *http.Request) error {
	years, err := ParseInt(r.URL.Query(), "years", 5, 1, school.MaxYears)
	if err != nil {
		return err
	}
	var in school.Input
	if err := DecodeJSON(r, &in); err != nil {
		return err
	}
	res, err := school.Project(&in, school.Options{Years: years, Scenario: "input"})
	if err != nil {
		return err
	}
	return s.writeResult(w, r, res)
}

func (s *School) backtest(w http.ResponseWriter, r *http.Request) error {
	base, err := s.live.Input(r.Context())
	if err != nil {
		return err
	}
	bt, err := school.RunBacktest(base)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, "", bt)
}

func (s *School) chart(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	years, err := ParseInt(q, "years", school.MaxYears, 1, school.MaxYears)
	if err != nil {
		return err
	}
	lv, err := level(r)
	if err != nil {
		return err
	}
	res, err := s.intervalResult(r, years, true)
	if err != nil {
		return err
	}
	code := q.Get("catchment")
	var found *school.Series
	var title string
	if code == "" {
		if lv == "" || lv == "all" {
			lv = school.Primary
		}
		for i := range res.District {
			if res.District[i].Level == lv {
				found = &res.District[i]
			}
		}
		if found == nil {
			return NotFound("level", "no %s schools", lv)
		}
		title = "District " + lv + " places"
	} else {
		for i := range res.Catchments {
			if res.Catchments[i].Code == code {
				found = &res.Catchments[i]
			}
		}
		if found == nil {
			return NotFound("catchment", "no catchment %q", code)
		}
		title = "Catchment " + code
		if found.Name != "" {
			title += " " + found.Name
		}
		title += " (" + found.Level + ")"
	}
	title += " — " + res.Scenario
	w.Header().Set("Content-Type", "image/svg+xml")
	return school.Chart(w, *found, res.BaseYear, title)
}

// intervalResult projects the request's scenario, with 80% prediction
// intervals calibrated by a rolling backtest of the baseline when
// intervals=true (or by default when def), unless the history is too
// short to calibrate them.
func (s *School) intervalResult(r *http.Request, years int, def bool) (*school.Result, error) {
	q := r.URL.Query()
	opt := school.Options{Years: years}
	v := q.Get("intervals")
	if v == "" && def {
		v = "true"
	}
	switch v {
	case "true", "1":
		base, err := s.live.Input(r.Context())
		if err != nil {
			return nil, err
		}
		if iv, err := s.iv.get(base); err == nil {
			opt.Intervals = iv
		}
	case "", "false", "0":
	default:
		return nil, BadRequest("intervals", "%q: want true or false", v)
	}
	return s.live.RunWith(r.Context(), q.Get("scenario"), opt)
}

// rolling is the rolling-origin backtest of the baseline with the baselines
// beside the methods.
func (s *School) rolling(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	base, err := s.live.Input(r.Context())
	if err != nil {
		return err
	}
	opt := school.RollingOptions{}
	if opt.Horizons, err = ParseInt(q, "horizons", 3, 1, school.MaxYears); err != nil {
		return err
	}
	for _, p := range []struct {
		name string
		v    *int
	}{{"from", &opt.From}, {"to", &opt.To}, {"split", &opt.Split}} {
		if *p.v, err = ParseInt(q, p.name, 0, 0, base.Year+1); err != nil {
			return err
		}
	}
	if m := q.Get("methods"); m != "" {
		opt.Methods = strings.Split(m, ",")
	}
	res, err := school.RunRolling(base, opt)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, "", res)
}

func (s *School) layer(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	base, err := s.live.Input(r.Context())
	if err != nil {
		return err
	}
	year, err := ParseInt(q, "year", base.Year+1, base.Year+1, base.Year+school.MaxYears)
	if err != nil {
		return err
	}
	n, name, err := s.live.PutLayer(r.Context(), q.Get("scenario"), year)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, "", map[string]any{"layer": school.LayerName, "features": n, "year": year, "scenario": name})
}

func (s *School) list(w http.ResponseWriter, r *http.Request) error {
	model := school.Name
	if q := r.URL.Query(); q.Has("model") {
		model = q.Get("model")
	}
	list, err := s.svc.List(r.Context(), model)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, "", map[string]any{"scenarios": list})
}

// scenarioRequest is the body of POST /api/scenarios.
type scenarioRequest struct {
	Model       string            `json:"model"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Changes     []scenario.Change `json:"changes"`
}

func (s *School) create(w http.ResponseWriter, r *http.Request) error {
	var req scenarioRequest
	if err := DecodeJSON(r, &req); err != nil {
		return err
	}
	if req.Model == "" {
		req.Model = school.Name
	}
	sc, err := s.svc.Create(r.Context(), scenario.Scenario{Model: req.Model, Name: req.Name, Description: req.Description, Changes: req.Changes})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/scenarios/"+sc.ID)
	return WriteJSON(w, http.StatusCreated, "", sc)
}

func (s *School) get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	model := ""
	if id == scenario.Baseline {
		model = school.Name
		if q := r.URL.Query(); q.Has("model") {
			model = q.Get("model")
		}
	}
	sc, err := s.svc.Get(r.Context(), model, id)
	if err != nil {
		return err
	}
	return WriteJSON(w, http.StatusOK, "", sc)
}

func (s *School) remove(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *School) compare(w http.ResponseWriter, r *http.Request) error {
	changed := strings.EqualFold(r.URL.Query().Get("changed"), "true")
	sc, deltas, err := s.svc.Compare(r.Context(), r.PathValue("id"))
	if err != nil {
		var fe *scenario.FieldError
		if errors.As(err, &fe) && fe.Field != "id" {
			return Unprocessable("scenario", "scenario no longer applies to the current data: %s", fe.Error())
		}
		return err
	}
	if changed {
		kept := deltas[:0:0]
		for _, d := range deltas {
			if d.Diff != 0 {
				kept = append(kept, d)
			}
		}
		deltas = kept
	}
	if deltas == nil {
		deltas = []scenario.Delta{}
	}
	return WriteJSON(w, http.StatusOK, "", map[string]any{"scenario": sc, "deltas": deltas})
}
