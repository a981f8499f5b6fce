package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onemap/onemap/models/sensors"
)

func staServer(t testing.TB, store sensors.Store) (*httptest.Server, *sensors.Service) {
	t.Helper()
	svc, err := sensors.New(context.Background(), sensors.Config{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	NewSTA(svc).Register(mux, slog.New(slog.NewTextHandler(io.Discard, nil)), Tokens{"s": SensorRole, "v": Viewer})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, svc
}

// post sends body and returns the status, the error field and the decoded answer.
func staPost(t testing.TB, url, body string) (int, string, map[string]any) {
	t.Helper()
	var out any
	code, f := call(t.(*testing.T), "POST", url, "s", body, &out)
	m, _ := out.(map[string]any)
	return code, f, m
}

// The entities of the spec's examples (OGC 18-088, 8.2 and 10.2):
// a Thing with its Location, a Sensor, an ObservedProperty and a
// Datastream linked to them.
func staFixture(t *testing.T, base string) {
	t.Helper()
	for _, c := range []struct{ set, body string }{
		{"Locations", `{"name":"UofC CCIT","description":"University of Calgary, CCIT building","encodingType":"application/geo+json","location":{"type":"Point","coordinates":[-114.133,51.08]}}`},
		{"Things", `{"name":"Oven","description":"This thing is an oven.","properties":{"owner":"Noah Liang","color":"Black"},"Locations":[{"@iot.id":1}]}`},
		{"Sensors", `{"name":"TMP36","description":"TMP36 - Analog Temperature sensor","encodingType":"application/pdf","metadata":"http://example.org/TMP35_36_37.pdf"}`},
		{"ObservedProperties", `{"name":"DewPoint Temperature","definition":"http://dbpedia.org/page/Dew_point","description":"The dewpoint temperature is the temperature to which the air must be cooled, at constant pressure, for dew to form."}`},
		{"Datastreams", `{"name":"oven temperature","description":"This is a datastream measuring the air temperature in an oven.","unitOfMeasurement":{"name":"degree Celsius","symbol":"°C","definition":"http://unitsofmeasure.org/ucum.html#para-30"},"observationType":"http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement","Thing":{"@iot.id":1},"Sensor":{"@iot.id":1},"ObservedProperty":{"@iot.id":1}}`},
	} {
		code, f, m := staPost(t, base+"/"+c.set, c.body)
		if code != 201 || m["@iot.id"] != 1.0 {
			t.Fatalf("POST %s: %d %s %v", c.set, code, f, m)
		}
	}
}

func staGet(t *testing.T, url string) map[string]any {
	t.Helper()
	var out map[string]any
	if code, f := call(t, "GET", url, "", "", &out); code != 200 {
		t.Fatalf("GET %s: %d %s", url, code, f)
	}
	return out
}

func TestSTAEntitiesAndObservations(t *testing.T) {
	srv, _ := staServer(t, sensors.NewMemory())
	base := srv.URL + STAPrefix
	staFixture(t, base)
	root := staGet(t, base)
	if v := root["value"].([]any); len(v) != 7 || v[0].(map[string]any)["name"] != "Things" {
		t.Fatalf("root %v", root)
	}
	thing := staGet(t, base+"/Things(1)")
	if thing["name"] != "Oven" || thing["@iot.selfLink"] != base+"/Things(1)" || thing["Datastreams@iot.navigationLink"] != base+"/Things(1)/Datastreams" {
		t.Fatalf("thing %v", thing)
	}
	if loc := staGet(t, base+"/Things(1)/Locations")["value"].([]any); len(loc) != 1 {
		t.Fatalf("locations of the thing %v", loc)
	}
	if th := staGet(t, base+"/Locations(1)/Things")["value"].([]any); len(th) != 1 {
		t.Fatalf("things at the location %v", th)
	}
	if ds := staGet(t, base+"/Datastreams(1)/Thing"); ds["name"] != "Oven" {
		t.Fatalf("datastream's thing %v", ds)
	}

	// 10.2: create an Observation with a link to an existing Datastream.
	code, f, obs := staPost(t, base+"/Observations", `{"phenomenonTime":"2017-02-07T18:02:00.000Z","resultTime":"2017-02-07T18:02:05.000Z","result":21.6,"Datastream":{"@iot.id":1}}`)
	if code != 201 || obs["result"] != 21.6 || obs["phenomenonTime"] != "2017-02-07T18:02:00Z" || obs["resultTime"] != "2017-02-07T18:02:05Z" {
		t.Fatalf("POST Observations: %d %s %v", code, f, obs)
	}
	// Under the datastream's navigation path.
	if code, f, _ := staPost(t, base+"/Datastreams(1)/Observations", `{"phenomenonTime":"2017-02-07T18:03:00Z","result":22.1}`); code != 201 {
		t.Fatalf("POST Datastreams(1)/Observations: %d %s", code, f)
	}
	// 14.2: CreateObservations with a dataArray (the spec's basic ISO offsets).
	var links []string
	code, f = call(t, "POST", base+"/CreateObservations", "s", `[{"Datastream":{"@iot.id":1},"components":["phenomenonTime","result","FeatureOfInterest/id"],
		"dataArray@iot.count":2,"dataArray":[["2017-02-07T11:20:00-0700",20,1],["2017-02-07T11:21:00-0700",30,1]]}]`, &links)
	if code != 201 || len(links) != 2 || links[1] != base+"/Observations(4)" {
		t.Fatalf("CreateObservations: %d %s %v", code, f, links)
	}

	// Latest value of every Thing, from memory.
	things := staGet(t, base+"/Things?$expand=Datastreams/Observations($top=1)")
	ds := things["value"].([]any)[0].(map[string]any)["Datastreams"].([]any)[0].(map[string]any)
	latest := ds["Observations"].([]any)
	if len(latest) != 1 || latest[0].(map[string]any)["result"] != 30.0 {
		t.Fatalf("latest %v", ds)
	}
	// $filter, $orderby, $top, $skip, $count and the next link.
	page := staGet(t, base+"/Datastreams(1)/Observations?$filter=result%20gt%2021%20and%20phenomenonTime%20lt%202017-02-07T18:22:00Z&$orderby=result%20asc&$top=2&$count=true")
	vals := page["value"].([]any)
	if page["@iot.count"] != 3.0 || len(vals) != 2 || vals[0].(map[string]any)["result"] != 21.6 || vals[1].(map[string]any)["result"] != 22.1 {
		t.Fatalf("filtered page %v", page)
	}
	next, _ := page["@iot.nextLink"].(string)
	if !strings.Contains(next, "%24skip=2") {
		t.Fatalf("next link %q", next)
	}
	if rest := staGet(t, next)["value"].([]any); len(rest) != 1 || rest[0].(map[string]any)["result"] != 30.0 {
		t.Fatalf("second page %v", rest)
	}
	if one := staGet(t, base+"/Observations(1)?$expand=Datastream"); one["Datastream"].(map[string]any)["name"] != "oven temperature" {
		t.Fatalf("observation with its datastream %v", one)
	}
	if th := staGet(t, base+"/Things?$filter=name%20eq%20'Oven'")["value"].([]any); len(th) != 1 {
		t.Fatalf("things named Oven: %v", th)
	}
	if th := staGet(t, base+"/Things?$filter=name%20eq%20'Fridge'")["value"].([]any); len(th) != 0 {
		t.Fatalf("things named Fridge: %v", th)
	}
}

func TestSTABadRequests(t *testing.T) {
	srv, svc := staServer(t, sensors.NewMemory())
	base := srv.URL + STAPrefix
	staFixture(t, base)
	if code, _, _ := staPost(t, base+"/Observations", `{"phenomenonTime":"2026-01-01T10:00:00Z","result":1.5,"Datastream":{"@iot.id":1}}`); code != 201 {
		t.Fatal(code)
	}
	count := func() int {
		obs, n, err := svc.Observations(context.Background(), sensors.ObsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		_ = obs
		return n
	}
	for _, c := range []struct {
		name, method, path, token, body string
		status                          int
		field                           string
	}{
		{"unknown datastream", "POST", "/Observations", "s", `{"result":1,"Datastream":{"@iot.id":9}}`, 400, "Datastream"},
		{"no datastream", "POST", "/Observations", "s", `{"result":1}`, 400, "Datastream"},
		{"text for a measurement", "POST", "/Observations", "s", `{"result":"high","Datastream":{"@iot.id":1}}`, 400, "result"},
		{"no result", "POST", "/Observations", "s", `{"Datastream":{"@iot.id":1}}`, 400, "result"},
		{"before the latest", "POST", "/Observations", "s", `{"phenomenonTime":"2025-12-31T10:00:00Z","result":1,"Datastream":{"@iot.id":1}}`, 400, "phenomenonTime"},
		{"not a time", "POST", "/Observations", "s", `{"phenomenonTime":"yesterday","result":1,"Datastream":{"@iot.id":1}}`, 400, "phenomenonTime"},
		{"unknown field", "POST", "/Observations", "s", `{"result":1,"colour":"red","Datastream":{"@iot.id":1}}`, 400, "colour"},
		{"batch with a bad row", "POST", "/CreateObservations", "s", `[{"Datastream":{"@iot.id":1},"components":["phenomenonTime","result"],"dataArray":[["2026-01-01T11:00:00Z",2],["2026-01-01T12:00:00Z","x"]]}]`, 400, "Observations[1].result"},
		{"batch out of order", "POST", "/CreateObservations", "s", `[{"Datastream":{"@iot.id":1},"components":["phenomenonTime","result"],"dataArray":[["2026-01-01T12:00:00Z",2],["2026-01-01T11:00:00Z",3]]}]`, 400, "Observations[1].phenomenonTime"},
		{"batch short row", "POST", "/CreateObservations", "s", `[{"Datastream":{"@iot.id":1},"components":["phenomenonTime","result"],"dataArray":[["2026-01-01T12:00:00Z"]]}]`, 400, "[0].dataArray[0]"},
		{"datastream without a thing", "POST", "/Datastreams", "s", `{"name":"x","description":"x","unitOfMeasurement":{},"observationType":"http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement","Sensor":{"@iot.id":1},"ObservedProperty":{"@iot.id":1}}`, 400, "Thing"},
		{"thing without a name", "POST", "/Things", "s", `{"description":"x"}`, 400, "name"},
		{"viewer may not post", "POST", "/Observations", "v", `{"result":1,"Datastream":{"@iot.id":1}}`, 403, "Authorization"},
		{"no token", "POST", "/Observations", "", `{"result":1,"Datastream":{"@iot.id":1}}`, 401, "Authorization"},
		{"unknown thing", "GET", "/Things(99)", "", "", 404, "id"},
		{"unknown set", "GET", "/Gadgets", "", "", 404, "path"},
		{"bad top", "GET", "/Things?$top=-1", "", "", 400, "$top"},
		{"bad filter", "GET", "/Observations?$filter=result%20gt", "", "", 400, "$filter"},
		{"bad expand option", "GET", "/Things?$expand=Datastreams($top=x)", "", "", 400, "$expand/Datastreams.$top"},
		{"bad orderby", "GET", "/Observations?$orderby=colour", "", "", 400, "$orderby"},
	} {
		before := count()
		code, f := call(t, c.method, base+c.path, c.token, c.body, nil)
		if code != c.status || f != c.field {
			t.Errorf("%s: %d %q, want %d %q", c.name, code, f, c.status, c.field)
		}
		if after := count(); after != before {
			t.Errorf("%s: %d observations stored by a refused request", c.name, after-before)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("%d observations, want 1", n)
	}
}
