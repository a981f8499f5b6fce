package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers/postgis"
	"github.com/onemap/onemap/models/sensors"
)

// staGauges creates n Things with a Datastream each over HTTP.
func staGauges(b *testing.B, base string, n int) {
	b.Helper()
	post := func(path, body string) {
		req, _ := http.NewRequest("POST", base+path, stringsReader(body))
		req.Header.Set("Authorization", "Bearer s")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 201 {
			b.Fatalf("POST %s: %d", path, res.StatusCode)
		}
	}
	post("/Sensors", `{"name":"gauge","description":"d","encodingType":"application/pdf","metadata":"m"}`)
	post("/ObservedProperties", `{"name":"water level","description":"d","definition":"x"}`)
	for i := 1; i <= n; i++ {
		post("/Things", fmt.Sprintf(`{"name":"gauge %d","description":"d"}`, i))
		post("/Datastreams", fmt.Sprintf(`{"name":"level","description":"d","unitOfMeasurement":{"name":"metre","symbol":"m"},
			"observationType":"%s","Thing":{"@iot.id":%d},"Sensor":{"@iot.id":1},"ObservedProperty":{"@iot.id":1}}`, sensors.OMMeasurement, i))
	}
}

func pgSTAStore(b *testing.B) *sensors.PostGIS {
	db := pgtest.New(b)
	if err := postgis.Migrate(context.Background(), db.Pool); err != nil {
		b.Fatal(err)
	}
	st := sensors.NewPostGIS(db.Pool, 0)
	b.Cleanup(st.Close)
	return st
}

// BenchmarkSTALatestOfEveryThing is FROST-Server #287's query, "the latest
// value of every Thing", for 200 Things with 50 observations each, served
// from PostGIS (the latest values from memory).
func BenchmarkSTALatestOfEveryThing(b *testing.B) {
	srv, svc := staServer(b, pgSTAStore(b))
	base := srv.URL + STAPrefix
	staGauges(b, base, 200)
	t0 := time.Now().Add(-time.Hour)
	for k := 0; k < 50; k++ {
		var in []sensors.NewObservation
		for ds := int64(1); ds <= 200; ds++ {
			in = append(in, sensors.NewObservation{Datastream: ds, PhenomenonTime: t0.Add(time.Duration(k) * time.Second).Format(time.RFC3339), Result: float64(k)})
		}
		if _, err := svc.Add(context.Background(), in, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	url := base + "/Things?$top=200&$expand=Datastreams/Observations($top=1)"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || n < 200*300 {
			b.Fatalf("%d, %d bytes", res.StatusCode, n)
		}
	}
}

// BenchmarkSTAIngestHTTP posts single observations over loopback HTTP from
// 32 clients to 200 datastreams, stored in PostGIS before each 201, and
// reports the rate and p99 latency; then counts the rows.
func BenchmarkSTAIngestHTTP(b *testing.B) {
	st := pgSTAStore(b)
	srv, svc := staServer(b, st)
	base := srv.URL + STAPrefix
	staGauges(b, base, 200)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var mu sync.Mutex
	var lat []time.Duration
	var next int
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			mu.Lock()
			next++
			ds := next%200 + 1
			mu.Unlock()
			req, _ := http.NewRequest("POST", base+"/Observations", stringsReader(fmt.Sprintf(`{"result":0.3,"Datastream":{"@iot.id":%d}}`, ds)))
			req.Header.Set("Authorization", "Bearer s")
			t0 := time.Now()
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 201 {
				b.Errorf("status %d", res.StatusCode)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	el := time.Since(start)
	b.StopTimer()
	_, n, err := svc.Observations(context.Background(), sensors.ObsQuery{Count: true, Top: 1})
	if err != nil || n != b.N {
		b.Fatalf("%d rows in PostGIS for %d answered 201 (%v)", n, b.N, err)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N)/el.Seconds(), "obs/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}

func stringsReader(s string) io.Reader { return strings.NewReader(s) }
