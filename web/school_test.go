package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/scenario"
	"github.com/onemap/onemap/models/school"
)

// schoolInput is a small district: grids G1 (street S1), G2 and G3 (S2);
// primary catchments P (G1, school 1) and P2 (G2+G3, school 3); junior J
// over all three (school 2). Six years of history with 50–100 pupils per
// grade.
func schoolInput() *school.Input {
	in := &school.Input{
		Year:  2024,
		Grids: []school.Grid{{Code: "G1", Street: "S1"}, {Code: "G2", Street: "S2"}, {Code: "G3", Street: "S2"}},
		Catchments: []school.Catchment{
			{Code: "P", Name: "East", Level: school.Primary, Grids: []string{"G1"}},
			{Code: "P2", Name: "West", Level: school.Primary, Grids: []string{"G2", "G3"}},
			{Code: "J", Level: school.Junior, Grids: []string{"G1", "G2", "G3"}},
		},
		Schools: []school.School{
			{ID: 1, Level: school.Primary, Seats: 600, Catchment: "P", Grid: "G1"},
			{ID: 2, Level: school.Junior, Seats: 400, Catchment: "J", Grid: "G1"},
			{ID: 3, Level: school.Primary, Seats: 300, Catchment: "P2", Grid: "G2"},
		},
		Policy: school.DefaultPolicy(),
	}
	for y := 2010; y <= 2024; y++ {
		in.Births = append(in.Births, school.BirthRow{Grid: "G1", Year: y, Births: 100}, school.BirthRow{Grid: "G2", Year: y, Births: 30}, school.BirthRow{Grid: "G3", Year: y, Births: 20})
	}
	for y := 2019; y <= 2024; y++ {
		for g := 1; g <= 9; g++ {
			switch {
			case g <= 6:
				in.Enrolment = append(in.Enrolment, school.EnrolmentRow{School: 1, Year: y, Grade: g, Pupils: 100}, school.EnrolmentRow{School: 3, Year: y, Grade: g, Pupils: 50})
			default:
				in.Enrolment = append(in.Enrolment, school.EnrolmentRow{School: 2, Year: y, Grade: g, Pupils: 140})
			}
		}
	}
	return in
}

type schoolServer struct {
	*httptest.Server
	catalog *layers.Catalog
	svc     *scenario.Service
}

func newSchoolServer(t *testing.T) *schoolServer {
	t.Helper()
	in := schoolInput()
	cat := layers.NewCatalog()
	var schema layers.Schema
	for _, s := range layers.ThematicSchemas(true) {
		if s.Name == layers.Catchments {
			schema = s
		}
	}
	sq := func(x float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x, 0}, {x + 1, 0}, {x + 1, 1}, {x, 1}, {x, 0}}}}
	}
	cat.Put(schema, []layers.Feature{
		{ID: 1, Geometry: sq(0), Properties: map[string]any{"code": "P", "level": "primary"}},
		{ID: 2, Geometry: sq(1), Properties: map[string]any{"code": "P2", "level": "primary"}},
		{ID: 3, Geometry: sq(0), Properties: map[string]any{"code": "J", "level": "junior"}},
	})
	svc := scenario.NewService(scenario.NewMemory(), nil)
	mux := http.NewServeMux()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	live, err := school.NewLive(ctx, cat, func(context.Context) (*school.Input, error) { return in, nil }, svc, log)
	if err != nil {
		t.Fatal(err)
	}
	NewSchool(live, svc).Register(mux, log, Tokens{"plan": Planner, "view": Viewer})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &schoolServer{srv, cat, svc}
}

// do sends a request and decodes a JSON answer into out (when non-nil).
func (s *schoolServer) do(t *testing.T, method, path, token, body string, out any) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header, string(b)
}

// wantError checks a 4xx JSON error naming field.
func wantError(t *testing.T, code int, body string, status int, field string) {
	t.Helper()
	var e struct {
		Error  string `json:"error"`
		Field  string `json:"field"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || code != status || e.Field != field || e.Error == "" {
		t.Errorf("got %d %s, want %d naming %q", code, body, status, field)
	}
}

func housingChange(grid string, dwellings int) string {
	return `{"op":"add_housing","params":{"grid":"` + grid + `","dwellings":{"commodity":` + schoolItoa(dwellings) + `},"completion_year":2026}}`
}

func schoolItoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestSchoolProjection(t *testing.T) {
	s := newSchoolServer(t)
	var res school.Result
	code, _, body := s.do(t, "GET", "/api/school/projection?years=3", "", "", &res)
	if code != 200 || len(res.Years) != 3 || len(res.Catchments) != 3 || len(res.District) != 2 || res.Scenario != "baseline" {
		t.Fatalf("%d %s", code, body)
	}
	code, h, body := s.do(t, "GET", "/api/school/projection?years=2&level=junior&format=csv", "", "", nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || strings.Count(body, "\n") != 1+2*(1+2+1) {
		t.Fatalf("csv %d %s", code, body)
	}
	for _, c := range []struct{ path, field string }{
		{"/api/school/projection?years=0", "years"},
		{"/api/school/projection?years=11", "years"},
		{"/api/school/projection?years=x", "years"},
		{"/api/school/projection?level=senior", "level"},
		{"/api/school/projection?format=xml", "format"},
	} {
		code, _, body := s.do(t, "GET", c.path, "", "", nil)
		wantError(t, code, body, 400, c.field)
	}
	code, _, body = s.do(t, "GET", "/api/school/projection?scenario=nope", "", "", nil)
	wantError(t, code, body, 404, "scenario")

	// A planner's own input: overlapping catchments and negative seats are refused.
	in := schoolInput()
	in.Catchments[1].Grids = []string{"G2", "G1"}
	js, _ := json.Marshal(in)
	code, _, body = s.do(t, "POST", "/api/school/projection", "", string(js), nil)
	wantError(t, code, body, 400, "catchments[1].grids[1]")
	in = schoolInput()
	in.Schools[2].Seats = -10
	js, _ = json.Marshal(in)
	code, _, body = s.do(t, "POST", "/api/school/projection", "", string(js), nil)
	wantError(t, code, body, 400, "schools[2].seats")
	in = schoolInput()
	in.Enrolment[0].School = 77
	js, _ = json.Marshal(in)
	code, _, body = s.do(t, "POST", "/api/school/projection", "", string(js), nil)
	wantError(t, code, body, 400, "enrolment[0].school_id")
	js, _ = json.Marshal(schoolInput())
	code, _, body = s.do(t, "POST", "/api/school/projection?years=4", "", string(js), &res)
	if code != 200 || len(res.Years) != 4 || res.Scenario != "input" {
		t.Fatalf("own input: %d %s", code, body)
	}
}

func TestSchoolScenarios(t *testing.T) {
	s := newSchoolServer(t)
	list := func() []scenario.Scenario {
		var out struct{ Scenarios []scenario.Scenario }
		if code, _, body := s.do(t, "GET", "/api/scenarios", "", "", &out); code != 200 {
			t.Fatalf("list %d %s", code, body)
		}
		return out.Scenarios
	}
	good := `{"name":"estate","description":"3,000 homes in G3","changes":[` + housingChange("G3", 3000) + `]}`
	code, _, body := s.do(t, "POST", "/api/scenarios", "", good, nil)
	wantError(t, code, body, 401, "Authorization")
	code, _, body = s.do(t, "POST", "/api/scenarios", "view", good, nil)
	wantError(t, code, body, 403, "Authorization")
	var sc scenario.Scenario
	code, h, body := s.do(t, "POST", "/api/scenarios", "plan", good, &sc)
	if code != 201 || sc.ID == "" || sc.Model != school.Name || h.Get("Location") != "/api/scenarios/"+sc.ID {
		t.Fatalf("create %d %s", code, body)
	}
	bad := []struct {
		body   string
		status int
		field  string
	}{
		{`{"name":"neg","changes":[{"op":"add_school","params":{"level":"primary","seats":-40,"catchment":"P"}}]}`, 400, "changes[0].params.seats"},
		{`{"name":"ghost","changes":[{"op":"expand_school","params":{"id":99,"seats":90,"year":2026}}]}`, 400, "changes[0].params.id"},
		{`{"name":"nogrid","changes":[` + housingChange("G9", 10) + `]}`, 400, "changes[0].params.grid"},
		{`{"name":"overlap","changes":[` +
			`{"op":"add_school","params":{"level":"primary","seats":100,"new_catchment":{"code":"N1","grids":["G2"]}}},` +
			`{"op":"add_school","params":{"level":"primary","seats":100,"new_catchment":{"code":"N2","grids":["G2"]}}}]}`, 400, "changes[1].params.new_catchment.grids[0]"},
		{`{"name":"late","changes":[{"op":"close_school","params":{"id":1,"year":2040}}]}`, 400, "changes[0].params.year"},
		{`{"name":"estate","changes":[` + housingChange("G1", 5) + `]}`, 409, "name"},
		{`{"name":"x","model":"weather","changes":[` + housingChange("G1", 5) + `]}`, 400, "model"},
		{`{"name":"x","changes":[],"extra":1}`, 400, "extra"},
		{`{"name":"","changes":[` + housingChange("G1", 5) + `]}`, 400, "name"},
	}
	for _, b := range bad {
		code, _, body := s.do(t, "POST", "/api/scenarios", "plan", b.body, nil)
		wantError(t, code, body, b.status, b.field)
		if l := list(); len(l) != 1 || l[0].ID != sc.ID {
			t.Fatalf("after a failed write the store holds %+v", l)
		}
	}
	var got scenario.Scenario
	if code, _, body := s.do(t, "GET", "/api/scenarios/"+sc.ID, "", "", &got); code != 200 || got.Name != "estate" || len(got.Changes) != 1 {
		t.Fatalf("get %d %s", code, body)
	}
	if code, _, body := s.do(t, "GET", "/api/scenarios/baseline", "", "", &got); code != 200 || got.ID != "baseline" {
		t.Fatalf("baseline %d %s", code, body)
	}
	var cmp struct {
		Deltas []scenario.Delta
	}
	code, _, body = s.do(t, "GET", "/api/scenarios/"+sc.ID+"/compare?changed=true", "", "", &cmp)
	if code != 200 {
		t.Fatalf("compare %d %s", code, body)
	}
	// Default commodity yields, 3,000 dwellings completed 2026: primary +120
	// in 2026, +240 in 2027; junior +30, +90 (demand, and so the gap). Only
	// P2, J and the district change.
	want := map[string]float64{"P2/2026": 120, "P2/2027": 240, "J/2026": 30, "J/2027": 90}
	for _, d := range cmp.Deltas {
		if d.Metric == "seats" {
			t.Errorf("unexpected change %+v", d)
			continue
		}
		if d.Key == "P" {
			t.Errorf("P changed: %+v", d)
		}
		if w, ok := want[d.Key+"/"+schoolItoa(d.Year)]; ok && (d.Diff-w > 1e-9 || w-d.Diff > 1e-9) {
			t.Errorf("%s %d: %v, want %v", d.Key, d.Year, d.Diff, w)
		}
	}
	var res school.Result
	if code, _, body := s.do(t, "GET", "/api/school/projection?years=3&scenario="+sc.ID, "", "", &res); code != 200 || res.Scenario != "estate" {
		t.Fatalf("scenario run %d %s", code, body)
	}
	code, _, body = s.do(t, "DELETE", "/api/scenarios/"+sc.ID, "", "", nil)
	wantError(t, code, body, 401, "Authorization")
	if code, _, body := s.do(t, "DELETE", "/api/scenarios/"+sc.ID, "plan", "", nil); code != 204 {
		t.Fatalf("delete %d %s", code, body)
	}
	code, _, body = s.do(t, "DELETE", "/api/scenarios/"+sc.ID, "plan", "", nil)
	wantError(t, code, body, 404, "id")
	code, _, body = s.do(t, "DELETE", "/api/scenarios/baseline", "plan", "", nil)
	wantError(t, code, body, 400, "id")
	code, _, body = s.do(t, "GET", "/api/scenarios/"+sc.ID+"/compare", "", "", nil)
	wantError(t, code, body, 404, "id")
	if l := list(); len(l) != 0 {
		t.Fatalf("after delete: %+v", l)
	}
}

func TestSchoolLayerChartBacktest(t *testing.T) {
	s := newSchoolServer(t)
	code, _, body := s.do(t, "POST", "/api/school/layer?year=2026", "", "", nil)
	wantError(t, code, body, 401, "Authorization")
	code, _, body = s.do(t, "POST", "/api/school/layer?year=2040", "plan", "", nil)
	wantError(t, code, body, 400, "year")
	var out map[string]any
	code, _, body = s.do(t, "POST", "/api/school/layer?year=2026", "plan", "", &out)
	if code != 200 || out["features"] != float64(3) {
		t.Fatalf("layer %d %s", code, body)
	}
	l, ok := s.catalog.Layer(school.LayerName)
	if !ok || l.Snapshot().Len() != 3 {
		t.Fatal("no school_pressure layer")
	}
	f, _ := l.Snapshot().Get(2)
	if f.Properties["code"] != "P2" || f.Properties["year"] != int64(2026) || f.Properties["seats"] != int64(300) {
		t.Fatalf("feature %v", f.Properties)
	}

	code, h, body := s.do(t, "GET", "/api/school/chart.svg?catchment=P2", "", "", nil)
	if code != 200 || h.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg") || !strings.Contains(body, "West") {
		t.Fatalf("chart %d %s", code, body)
	}
	code, _, body = s.do(t, "GET", "/api/school/chart.svg?level=junior", "", "", nil)
	if code != 200 || !strings.Contains(body, "District junior") {
		t.Fatalf("district chart %d %s", code, body)
	}
	code, _, body = s.do(t, "GET", "/api/school/chart.svg?catchment=nope", "", "", nil)
	wantError(t, code, body, 404, "catchment")

	var bt struct {
		District  map[string]float64 `json:"district"`
		Catchment map[string]float64 `json:"catchment"`
	}
	code, _, body = s.do(t, "GET", "/api/school/backtest", "", "", &bt)
	if _, ok := bt.District["mape_3y"]; code != 200 || !ok {
		t.Fatalf("backtest %d %s", code, body)
	}
	// The steady history is forecast exactly.
	if bt.District["mape_1y"] > 1e-9 || bt.Catchment["mape_3y"] > 1e-9 {
		t.Fatalf("backtest of a steady district: %s", body)
	}
}

// TestSchoolRollingAndIntervals: the rolling backtest of the steady
// baseline scores every method 0 (persistence too), names bad parameters,
// and the chart carries the 80% interval band unless asked not to.
func TestSchoolRollingAndIntervals(t *testing.T) {
	s := newSchoolServer(t)
	var r school.Rolling
	code, _, body := s.do(t, "GET", "/api/school/rolling?horizons=2", "", "", &r)
	if code != 200 || len(r.Horizons) != 2 || len(r.Methods) != 5 || r.Chosen == "" || len(r.Catchments) != 3 {
		t.Fatalf("rolling %d %s", code, body)
	}
	for _, m := range r.Methods {
		for _, h := range append(m.Selection, m.Evaluation...) {
			if h.Catchment > 1e-9 || h.District > 1e-9 {
				t.Errorf("%s %dy: %v / %v on a steady history", m.Method, h.Horizon, h.Catchment, h.District)
			}
		}
	}
	code, _, body = s.do(t, "GET", "/api/school/rolling?methods=cohort,magic", "", "", nil)
	wantError(t, code, body, 400, "methods")
	code, _, body = s.do(t, "GET", "/api/school/rolling?horizons=0", "", "", nil)
	wantError(t, code, body, 400, "horizons")
	code, _, body = s.do(t, "GET", "/api/school/rolling?from=2000", "", "", nil)
	wantError(t, code, body, 400, "from")

	code, _, body = s.do(t, "GET", "/api/school/chart.svg?catchment=P2", "", "", nil)
	if code != 200 || strings.Count(body, `<polygon class="interval"`) != 1 || !strings.Contains(body, "80% interval") {
		t.Fatalf("chart with intervals %d %s", code, body)
	}
	code, _, body = s.do(t, "GET", "/api/school/chart.svg?catchment=P2&intervals=false", "", "", nil)
	if code != 200 || strings.Contains(body, "<polygon") {
		t.Fatalf("chart without intervals %d %s", code, body)
	}
	code, _, body = s.do(t, "GET", "/api/school/chart.svg?intervals=maybe", "", "", nil)
	wantError(t, code, body, 400, "intervals")
	var res school.Result
	code, _, body = s.do(t, "GET", "/api/school/projection?years=2&intervals=true", "", "", &res)
	if p := res.Catchments[0].Points[0]; code != 200 || p.High < p.Demand || p.Low > p.Demand || p.High == 0 {
		t.Fatalf("projection with intervals %d %s", code, body)
	}
	code, _, body = s.do(t, "GET", "/api/school/projection?years=2", "", "", nil)
	if code != 200 || strings.Contains(body, `"high"`) {
		t.Fatalf("projection without intervals %d %s", code, body)
	}
}
