package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/models/demand"
	"github.com/onemap/onemap/models/planning"
	"github.com/onemap/onemap/models/scenario"
	"github.com/onemap/onemap/spatial/network"
)

var (
	demoOnce sync.Once
	demoDist *data.District
)

func demoDistrict() *data.District {
	demoOnce.Do(func() { demoDist = demo.Generate(demo.Options{Seed: demo.DefaultSeed}) })
	return demoDist
}

type modelsEnv struct {
	srv *httptest.Server
	svc *scenario.Service
	cat *layers.Catalog
}

func newModelsEnv(t testing.TB, withGraph bool) modelsEnv {
	t.Helper()
	d := demoDistrict()
	cat := layers.NewCatalog()
	d.Put(cat, layers.OwnerDemo)
	var g *network.Graph
	if withGraph {
		roads, _ := cat.Layer(layers.Roads)
		var err error
		g, err = network.FromRoads(roads.Snapshot())
		if err != nil {
			t.Fatal(err)
		}
	}
	svc := scenario.NewService(scenario.NewMemory(), nil)
	m := NewModels(planning.New(planning.Config{Catalog: cat, District: d, Graph: func() *network.Graph { return g }, Scenarios: svc}))
	mux := http.NewServeMux()
	m.Register(mux, slog.New(slog.NewTextHandler(io.Discard, nil)), Tokens{"plan": Planner, "look": Viewer})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return modelsEnv{srv: srv, svc: svc, cat: cat}
}

func (e modelsEnv) post(t *testing.T, path, body string, out any) int {
	t.Helper()
	resp, err := http.Post(e.srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v in %s", path, err, b)
		}
	}
	return resp.StatusCode
}

func (e modelsEnv) get(t *testing.T, path string, out any) int {
	t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s: %v in %s", path, err, b)
		}
	}
	return resp.StatusCode
}

type apiError struct {
	Error  string `json:"error"`
	Field  string `json:"field"`
	Status int    `json:"status"`
}

// TestAccessMatrix posts the hand-computed case of models/access (two
// demand points of 100 and 200, supplies 10 and 20) in every request form.
func TestAccessMatrix(t *testing.T) {
	e := newModelsEnv(t, false)
	cases := []struct {
		body   string
		scores []float64
	}{
		{`{"method":"2sfca","costs":[[5,15],[25,8]],"demand":[100,200],"supply":[10,20],"max_cost":20}`, []float64{0.1 + 1.0/15, 1.0 / 15}},
		{`{"method":"e2sfca","costs":[[5,15],[25,8]],"weights":[100,200],"supply":[10,20],"weight":{"type":"step","steps":[[10,1],[20,0.5]]}}`, []float64{0.14, 0.08}},
		{`{"method":"gravity","costs":[[5,15],[25,8]],"demand":[100,200],"supply":[10,20],"weight":{"type":"gravity","scale":1,"alpha":-1}}`,
			[]float64{0.2*10/28 + 60.0/95/15, 0.04*10/28 + 0.125*60/95}},
	}
	for _, c := range cases {
		var got planning.AccessResponse
		if code := e.post(t, "/api/models/access", c.body, &got); code != 200 {
			t.Fatalf("%s: status %d", c.body, code)
		}
		for i := range c.scores {
			if math.Abs(got.Scores[i]-c.scores[i]) > 1e-12 {
				t.Errorf("%s: scores %v, want %v", c.body, got.Scores, c.scores)
			}
		}
		if got.ReachedSupply != 30 || got.Unreachable != 0 || got.CostSource != "matrix" {
			t.Errorf("%s: %+v", c.body, got)
		}
	}
	// A point that reaches nothing scores 0 and is flagged.
	var got planning.AccessResponse
	e.post(t, "/api/models/access", `{"method":"2sfca","costs":[[5,15],[50,60]],"demand":[100,200],"supply":[10,20],"max_cost":20}`, &got)
	if got.Scores[1] != 0 || got.Reachable[1] || got.Unreachable != 1 {
		t.Errorf("unreachable: %+v", got)
	}
}

// TestModelsBadInput: every bad request is a 4xx naming its field.
func TestModelsBadInput(t *testing.T) {
	e := newModelsEnv(t, false)
	cases := []struct {
		path, body string
		status     int
		field      string
	}{
		{"/api/models/access", `{"costs":[[1,2],[3]],"demand":[1,1],"supply":[1,1],"max_cost":5}`, 400, "costs[1]"},
		{"/api/models/access", `{"costs":[[1,null],[3,4]],"demand":[1,1],"supply":[1,1],"max_cost":5}`, 400, "costs[0][1]"},
		{"/api/models/access", `{"costs":[[-1,2],[3,4]],"demand":[1,1],"supply":[1,1],"max_cost":5}`, 400, "costs[0][0]"},
		{"/api/models/access", `{"costs":[[1,2],[3,4]],"demand":[1,-1],"supply":[1,1],"max_cost":5}`, 400, "demand[1]"},
		{"/api/models/access", `{"costs":[[1,2],[3,4]],"demand":[1,1],"supply":[1,-1],"max_cost":5}`, 400, "supply[1]"},
		{"/api/models/access", `{"costs":[[1,2],[3,4]],"weights":[-1,1],"supply":[1,1],"max_cost":5}`, 400, "weights[0]"},
		{"/api/models/access", `{"costs":[[1,2],[3,4]],"demand":[1,1,1],"supply":[1,1],"max_cost":5}`, 400, "costs"},
		{"/api/models/access", `{"costs":[[1,2],[3,4]],"demand":[1,1],"supply":[1,1],"weight":{"type":"cubic"}}`, 400, "weight.type"},
		{"/api/models/access", `{"costs":[[1,2],[3,4]],"demand":[1,1],"supply":[1,1],"weight":{"type":"step","steps":[[10,-1]]}}`, 400, "weight.steps"},
		{"/api/models/access", `{"costs":[[1,2],[3,4]],"demand":[1,1],"supply":[1,1],"weight":{"type":"gaussian"}}`, 400, "weight.sigma"},
		{"/api/models/access", `{"method":"9sfca","costs":[[1,2],[3,4]],"demand":[1,1],"supply":[1,1],"max_cost":5}`, 400, "method"},
		{"/api/models/access", `{"costs":[[1,2],[3,4]],"demand":[1,1],"supply":[1,1]}`, 400, "max_cost"},
		{"/api/models/access", `{"demand_layer":"nowhere","supply_layer":"hospitals","supply_field":"beds"}`, 404, "demand_layer"},
		{"/api/models/access", `{"demand_layer":"grids","demand_field":"name","supply_layer":"hospitals","supply_field":"beds","max_cost":10}`, 400, "demand_field"},
		{"/api/models/access", `{"resource":"water"}`, 400, "resource"},
		{"/api/models/access", `{"resource":"parking","max_cost":10}`, 422, "resource"},
		{"/api/models/access", `{"resource":"hospital_beds","cost":"network","max_cost":10}`, 422, "cost"},
		{"/api/models/access", `{"costs":[[1]],"demand":[1],"supply":[1],"max_cost":5,"colour":"red"}`, 400, "colour"},
		{"/api/models/siting", `{"p":3,"costs":[[1,2],[3,4]]}`, 400, "p"},
		{"/api/models/siting", `{"p":1,"costs":[[1,2],[3]]}`, 400, "costs[1]"},
		{"/api/models/siting", `{"p":1,"costs":[[1,-2],[3,4]]}`, 400, "costs[0][1]"},
		{"/api/models/siting", `{"p":1,"costs":[[1,2],[3,4]],"weights":[1,-1]}`, 400, "weights[1]"},
		{"/api/models/siting", `{"p":1,"costs":[[1,2],[3,4]],"demand":[-1,1]}`, 400, "demand[0]"},
		{"/api/models/siting", `{"model":"mclp","p":1,"costs":[[1,2],[3,4]]}`, 400, "radius"},
		{"/api/models/siting", `{"model":"k-means","p":1,"costs":[[1,2],[3,4]]}`, 400, "model"},
		{"/api/models/siting", `{"p":1,"costs":[[1,2],[3,4]],"required":[7]}`, 400, "required[0]"},
		{"/api/models/siting", `{"model":"lscp","costs":[[1,2],[3,4]],"radius":0.5}`, 400, "radius"},
		{"/api/models/siting", `{"p":1,"costs":[[1,2],[3,4]],"time_limit_s":600}`, 400, "time_limit_s"},
		{"/api/models/siting", `{"resource":"elderly_care","model":"capacitated-p-median","p":1,"site_capacity":-5}`, 400, "site_capacity"},
		{"/api/models/siting", `{"p":1,"costs":[[1,2],[3,4]],"supply":[1]}`, 400, "supply"},
		{"/api/models/siting", `{"p":1,"costs":[[1,2],[3,4]],"supply":[1,-1]}`, 400, "supply[1]"},
		{"/api/models/siting", `{"model":"capacitated-p-median","p":1,"costs":[[1,2],[3,4]],"supply":[1,1]}`, 400, "supply"},
		{"/api/models/siting", `{"model":"capacitated-p-median","p":1,"costs":[[1,2],[3,4]],"capacity":[1,1]}`, 400, "capacity"},
		{"/api/models/demand?resource=water&level=grid", "", 400, "resource"},
		{"/api/models/demand?resource=parking&level=planet", "", 400, "level"},
		{"/api/models/demand?resource=parking&scenario=sc_nope", "", 404, "scenario"},
		{"/api/models/demand?resource=parking&ratio=-2", "", 400, "ratio"},
		{"/api/models/access", `{"demand_layer":"grids","supply_layer":"hospitals","scenario":"x","max_cost":5}`, 400, "scenario"},
		{"/api/models/access", `{"resource":"hospital_beds","scenario":"sc_nope","max_cost":5}`, 404, "scenario"},
	}
	for _, c := range cases {
		var got apiError
		var code int
		if c.body == "" {
			code = e.get(t, c.path, &got)
		} else {
			code = e.post(t, c.path, c.body, &got)
		}
		if code != c.status || got.Field != c.field || got.Error == "" {
			t.Errorf("%s %s: %d %+v, want %d naming %s", c.path, c.body, code, got, c.status, c.field)
		}
	}
}

func TestSitingMatrix(t *testing.T) {
	e := newModelsEnv(t, false)
	// Four clients on a line at 0, 10, 20, 30, sites at the same places.
	body := `{"model":"p-median","p":2,"costs":[[0,10,20,30],[10,0,10,20],[20,10,0,10],[30,20,10,0]],"weights":[1,1,1,1]}`
	var got planning.SitingResponse
	if code := e.post(t, "/api/models/siting", body, &got); code != 200 {
		t.Fatalf("status %d", code)
	}
	if got.Objective != 20 || len(got.Chosen) != 2 || got.LowerBound == nil || *got.LowerBound != 20 || !got.Optimal || len(got.Assignment) != 4 {
		t.Errorf("p-median %+v", got)
	}
	// p-center with 2 sites: the worst client is 10 away; LSCP at radius
	// 10 needs 2 sites.
	for _, c := range []struct {
		body string
		obj  float64
	}{
		{`{"model":"p-center","p":2,"costs":[[0,10,20,30],[10,0,10,20],[20,10,0,10],[30,20,10,0]]}`, 10},
		{`{"model":"lscp","radius":10,"costs":[[0,10,20,30],[10,0,10,20],[20,10,0,10],[30,20,10,0]]}`, 2},
	} {
		got = planning.SitingResponse{}
		if code := e.post(t, "/api/models/siting", c.body, &got); code != 200 || got.Objective != c.obj || !got.Optimal {
			t.Errorf("%s: %d %+v", c.body, code, got)
		}
	}
	// Capacitated: each site holds 2 clients, so p = 2 must split the line
	// in halves: {0,10} at site 0 or 1 and {20,30} at site 2 or 3: cost 20.
	body = `{"model":"capacitated-p-median","p":2,"costs":[[0,10,20,30],[10,0,10,20],[20,10,0,10],[30,20,10,0]],"supply":[2,2,2,2]}`
	got = planning.SitingResponse{}
	if code := e.post(t, "/api/models/siting", body, &got); code != 200 || got.Objective != 20 || len(got.Chosen) != 2 {
		t.Errorf("capacitated %d %+v", code, got)
	}
	for _, s := range got.Sites {
		if s.Demand > 2 {
			t.Errorf("site %d serves %v > capacity 2", s.Column, s.Demand)
		}
	}
	body = `{"model":"mclp","p":1,"radius":10,"costs":[[0,10,20,30],[10,0,10,20],[20,10,0,10],[30,20,10,0]],"demand":[5,1,1,1]}`
	got = planning.SitingResponse{}
	e.post(t, "/api/models/siting", body, &got)
	// Site 1 covers clients 0–2 (weight 7): the best single site.
	if got.Objective != 7 || got.Chosen[0] != 1 || got.UpperBound == nil || *got.UpperBound != 7 || !got.Optimal {
		t.Errorf("mclp %+v", got)
	}
}

// TestModelsOnDemo runs the layer forms on the demo district, with
// straight-line and with road-network costs.
func TestModelsOnDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("demo district")
	}
	for _, net := range []bool{false, true} {
		e := newModelsEnv(t, net)
		var got planning.AccessResponse
		if code := e.post(t, "/api/models/access", `{"resource":"hospital_beds","method":"2sfca","max_cost":15}`, &got); code != 200 {
			t.Fatalf("status %d", code)
		}
		want := map[bool]string{false: "line", true: "network"}[net]
		if got.CostSource != want || len(got.Scores) != len(demoDistrict().Layers[layers.Grids]) {
			t.Fatalf("network %v: %s, %d scores", net, got.CostSource, len(got.Scores))
		}
		for i, s := range got.Scores {
			if math.IsNaN(s) || s < 0 || (!got.Reachable[i] && s != 0) {
				t.Fatalf("score %d = %v (reachable %v)", i, s, got.Reachable[i])
			}
		}
		t.Logf("network %v: %d grids, %d unreachable, reached supply %.0f, %d unsnapped, %.3fs", net, len(got.Scores), got.Unreachable, got.ReachedSupply, got.Unsnapped, got.Seconds)

		// Job accessibility: jobs located in grids are the supply.
		var jobs planning.AccessResponse
		if code := e.post(t, "/api/models/access", `{"resource":"jobs","method":"gravity","weight":{"type":"gaussian","sigma":10},"max_cost":30}`, &jobs); code != 200 || len(jobs.SupplyIDs) == 0 || jobs.ReachedSupply <= 0 {
			t.Errorf("jobs access %d: %d supply points, reached %v", code, len(jobs.SupplyIDs), jobs.ReachedSupply)
		}
		var fc struct {
			Type     string `json:"type"`
			Features []struct {
				Properties map[string]any `json:"properties"`
			} `json:"features"`
		}
		if code := e.post(t, "/api/models/access", `{"demand_layer":"grids","demand_field":"residents","supply_layer":"elderly_care","supply_field":"beds","method":"e2sfca","format":"geojson"}`, &fc); code != 200 || fc.Type != "FeatureCollection" || len(fc.Features) == 0 {
			t.Fatalf("geojson %d %s %d", code, fc.Type, len(fc.Features))
		}
		if _, ok := fc.Features[0].Properties["score"]; !ok {
			t.Errorf("no score property: %v", fc.Features[0].Properties)
		}

		var sg planning.SitingResponse
		if code := e.post(t, "/api/models/siting", `{"resource":"elderly_care","p":3,"time_limit_s":5}`, &sg); code != 200 {
			t.Fatalf("siting status %d", code)
		}
		if len(sg.Chosen) != 3 || sg.LowerBound == nil || *sg.LowerBound > sg.Objective || len(sg.Sites) < 3 || sg.Sites[0].ID == 0 || sg.Sites[0].Layer != layers.Grids {
			t.Errorf("siting %+v", sg.Sites)
		}
		t.Logf("suggest 3 elderly-care sites: objective %.0f bound %.0f optimal %v %.2fs", sg.Objective, *sg.LowerBound, sg.Optimal, sg.Seconds)
		if !net {
			// Capacitated: three new 300-bed homes beside the existing ones,
			// none serving more than it holds.
			var cp planning.SitingResponse
			if code := e.post(t, "/api/models/siting", `{"resource":"elderly_care","model":"capacitated-p-median","p":3,"site_capacity":300,"time_limit_s":2}`, &cp); code != 200 || len(cp.Chosen) != 3 {
				t.Fatalf("capacitated %d %+v", code, cp.Chosen)
			}
			for _, s := range cp.Sites {
				if !s.Existing && s.Demand > 300+1e-9 {
					t.Errorf("new site %d serves %.1f beds of demand, capacity 300", s.Column, s.Demand)
				}
			}
		}
	}
}

func TestDemandEndpoint(t *testing.T) {
	e := newModelsEnv(t, false)
	var tb demand.Table
	if code := e.get(t, "/api/models/demand?resource=elderly_care&level=street", &tb); code != 200 {
		t.Fatalf("status %d", code)
	}
	if len(tb.Rows) != 10 || tb.Total.Demand <= 0 || tb.Total.Supply <= 0 {
		t.Fatalf("streets %d, total %+v", len(tb.Rows), tb.Total)
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if code := e.get(t, "/api/models/demand?resource=hospital_beds&level=community&format=geojson", &fc); code != 200 || len(fc.Features) == 0 {
		t.Fatalf("geojson %d, %d features", code, len(fc.Features))
	}
	// A scenario with a planned 500-bed home in one grid raises the
	// district's supply by 500 and changes only that grid's community,
	// street and district figures.
	var gt demand.Table
	e.get(t, "/api/models/demand?resource=elderly_care&level=grid", &gt)
	target := gt.Rows[0].Code
	params, _ := json.Marshal(map[string]any{"resource": "elderly_care", "capacity": 500, "grid": target, "name": "planned"})
	sc, err := e.svc.Create(context.Background(), scenario.Scenario{Model: demand.Name, Name: "new home", Changes: []scenario.Change{{Op: demand.OpAddFacility, Params: params}}})
	if err != nil {
		t.Fatal(err)
	}
	var alt demand.Table
	if code := e.get(t, "/api/models/demand?resource=elderly_care&level=district&scenario="+sc.ID, &alt); code != 200 {
		t.Fatalf("scenario status %d", code)
	}
	if alt.Total.Supply != tb.Total.Supply+500 || alt.Total.Demand != tb.Total.Demand {
		t.Errorf("scenario total %+v, baseline %+v", alt.Total, tb.Total)
	}
	// The same scenario in an accessibility run adds the planned beds to
	// the supply that demand reaches.
	var base, withPlan planning.AccessResponse
	e.post(t, "/api/models/access", `{"resource":"elderly_care","method":"2sfca","max_cost":30}`, &base)
	if code := e.post(t, "/api/models/access", `{"resource":"elderly_care","method":"2sfca","max_cost":30,"scenario":"`+sc.ID+`"}`, &withPlan); code != 200 {
		t.Fatalf("access with scenario: %d", code)
	}
	if withPlan.ReachedSupply != base.ReachedSupply+500 || len(withPlan.SupplyIDs) != len(base.SupplyIDs)+1 {
		t.Errorf("reached supply %v → %v with the plan", base.ReachedSupply, withPlan.ReachedSupply)
	}
	// A ratio given in the query replaces the standard.
	var doubled demand.Table
	e.get(t, "/api/models/demand?resource=elderly_care&level=district&ratio=70", &doubled)
	if math.Abs(doubled.Total.Demand-2*tb.Total.Demand) > 1e-6 {
		t.Errorf("ratio 70: demand %v, baseline %v", doubled.Total.Demand, tb.Total.Demand)
	}
	_, deltas, err := e.svc.Compare(context.Background(), sc.ID)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range deltas {
		if d.Diff != 0 {
			n++
			if !strings.HasPrefix(d.Metric, "elderly_care.") {
				t.Errorf("unexpected change %+v", d)
			}
		}
	}
	if n != 6 { // supply and gap of its community, street and the district
		t.Errorf("%d changed figures, want 6", n)
	}
}

// BenchmarkModelsDemo times the page's two model actions over HTTP on the
// demo district with straight-line costs: a 2SFCA shortage map for
// hospital beds and "suggest 3 sites" for elderly care (1,547 grid
// candidates beside the existing homes).
func BenchmarkModelsDemo(b *testing.B) {
	e := newModelsEnv(b, false)
	for _, c := range []struct{ name, path, body string }{
		{"access", "/api/models/access", `{"resource":"hospital_beds","method":"2sfca","max_cost":15}`},
		{"suggest", "/api/models/siting", `{"resource":"elderly_care","p":3,"cost":"line"}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := http.Post(e.srv.URL+c.path, "application/json", strings.NewReader(c.body))
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
		})
	}
}

// TestModelsLayer: the resource_access layer is a planner's write; it puts
// every grid with its gap and score into the catalog.
func TestModelsLayer(t *testing.T) {
	e := newModelsEnv(t, false)
	post := func(path, token string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", e.srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if code, _ := post("/api/models/layer?resource=elderly_care", ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, _ := post("/api/models/layer?resource=elderly_care", "look"); code != 403 {
		t.Errorf("viewer: %d", code)
	}
	if code, out := post("/api/models/layer?resource=water", "plan"); code != 400 || out["field"] != "resource" {
		t.Errorf("bad resource: %d %v", code, out)
	}
	code, out := post("/api/models/layer?resource=hospital_beds", "plan")
	if code != 200 || out["features"] != float64(len(demoDistrict().Layers[layers.Grids])) {
		t.Fatalf("put: %d %v", code, out)
	}
	l, ok := e.cat.Layer(demand.LayerName)
	if !ok {
		t.Fatal("no resource_access layer")
	}
	n, scored := 0, 0
	l.Snapshot().All(func(f *layers.Feature) bool {
		n++
		if s, ok := f.Properties["score"].(float64); ok && s >= 0 && !math.IsNaN(s) {
			scored++
		}
		if _, ok := f.Properties["gap"].(float64); !ok {
			t.Errorf("feature %d: no gap", f.ID)
			return false
		}
		return true
	})
	if scored != n {
		t.Errorf("%d of %d grids scored", scored, n)
	}
	// Parking has no supply layer: the layer still has demand, no score.
	if code, out := post("/api/models/layer?resource=parking", "plan"); code != 200 {
		t.Errorf("parking: %d %v", code, out)
	}
}
