package sensors

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers/postgis"
)

// gauges makes n water-level datastreams (with their Thing, Sensor and
// ObservedProperty) and returns their ids.
func gauges(t testing.TB, svc *Service, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	sen, err := svc.Create(ctx, Sensors, map[string]any{"name": "gauge", "description": "d", "encodingType": "application/pdf", "metadata": "m"})
	if err != nil {
		t.Fatal(err)
	}
	op, err := svc.Create(ctx, ObservedProperties, map[string]any{"name": "water level", "description": "d", "definition": "x"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := 0; i < n; i++ {
		th, err := svc.Create(ctx, Things, map[string]any{"name": fmt.Sprint("gauge ", i), "description": "d"})
		if err != nil {
			t.Fatal(err)
		}
		ds, err := svc.Create(ctx, Datastreams, map[string]any{"name": "level", "description": "d", "observationType": OMMeasurement,
			"unitOfMeasurement": map[string]any{"name": "metre", "symbol": "m"},
			"Thing":             map[string]any{"@iot.id": float64(th.ID)}, "Sensor": map[string]any{"@iot.id": float64(sen.ID)},
			"ObservedProperty": map[string]any{"@iot.id": float64(op.ID)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ds.ID)
	}
	return ids
}

func pgService(t testing.TB) (*Service, *PostGIS, *pgtest.DB) {
	t.Helper()
	db := pgtest.New(t)
	if err := postgis.Migrate(context.Background(), db.Pool); err != nil {
		t.Fatal(err)
	}
	st := NewPostGIS(db.Pool, 0)
	t.Cleanup(st.Close)
	svc, err := New(context.Background(), Config{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, db
}

func TestPostGISDurableAndReloaded(t *testing.T) {
	svc, st, db := pgService(t)
	ctx := context.Background()
	ids := gauges(t, svc, 20)
	base := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, len(ids))
	for _, id := range ids {
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			for k := 0; k < 50; k++ {
				at := base.Add(time.Duration(k) * time.Second).Format(time.RFC3339)
				if _, err := svc.Add(ctx, []NewObservation{{Datastream: id, PhenomenonTime: at, Result: float64(k) / 100}}, time.Now()); err != nil {
					errs <- err
					return
				}
			}
		}(id)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// A batch with a bad row stores nothing.
	if _, err := svc.Add(ctx, []NewObservation{{Datastream: ids[0], Result: 1.0}, {Datastream: ids[1], Result: "x", Index: 1}}, time.Now()); err == nil {
		t.Fatal("bad batch accepted")
	}
	var n int
	if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM sta_observations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 20*50 {
		t.Fatalf("%d rows, want 1000", n)
	}
	// Monthly partitions exist, and this month's rows are in one.
	var parts int
	var inDefault int
	_ = db.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_inherits WHERE inhparent = 'sta_observations'::regclass`).Scan(&parts)
	_ = db.Pool.QueryRow(ctx, `SELECT count(*) FROM sta_observations_default`).Scan(&inDefault)
	if parts < 14 || inDefault != 0 {
		t.Fatalf("%d partitions, %d rows in the default", parts, inDefault)
	}
	// A new service over the same tables (a restart) has the entities and
	// the latest value of every datastream.
	st.Close()
	st2 := NewPostGIS(db.Pool, 0)
	defer st2.Close()
	again, err := New(ctx, Config{Store: st2})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(again.List(Datastreams, nil)); got != 20 {
		t.Fatalf("%d datastreams after restart", got)
	}
	for _, id := range ids {
		o, ok := again.LatestOf(id)
		if !ok || o.Result != 0.49 || !o.PhenomenonTime.Equal(base.Add(49*time.Second)) {
			t.Fatalf("latest of %d after restart: %+v", id, o)
		}
	}
	// Ids continue; the time order holds across the restart.
	if _, err := again.Add(ctx, []NewObservation{{Datastream: ids[0], PhenomenonTime: base.Format(time.RFC3339), Result: 1.0}}, time.Now()); err == nil {
		t.Fatal("observation before the stored latest accepted after restart")
	}
	out, err := again.Add(ctx, []NewObservation{{Datastream: ids[0], Result: 1.0}}, time.Now())
	if err != nil || out[0].ID != 1001 {
		t.Fatalf("next id %+v %v", out, err)
	}
	// The store's queries agree with the memory store's on the same data.
	mem := NewMemory()
	all, _, err := st2.Observations(ctx, ObsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	_ = mem.Append(ctx, all)
	for _, q := range []ObsQuery{
		{Datastreams: ids[:3], Where: []Cond{{Field: "result", Op: "ge", Value: 0.3}}, OrderBy: []Order{{Field: "result"}}, Top: 7, Skip: 2, Count: true},
		{Where: []Cond{{Field: "phenomenonTime", Op: "lt", Value: base.Add(3 * time.Second)}}, OrderBy: []Order{{Field: "id", Desc: true}}, Count: true},
		{Datastreams: ids[5:6], Top: 1},
	} {
		a, na, err := st2.Observations(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		b, nb, _ := mem.Observations(ctx, q)
		if (q.Count && na != nb) || len(a) != len(b) {
			t.Fatalf("%+v: postgis %d/%d, memory %d/%d", q, len(a), na, len(b), nb)
		}
		for i := range a {
			if a[i].ID != b[i].ID {
				t.Fatalf("%+v: row %d postgis %d memory %d", q, i, a[i].ID, b[i].ID)
			}
		}
	}
}

// BenchmarkIngestPostGIS adds observations, one or 50 a request, from 32
// goroutines (round-robin over 200 datastreams) and reports the rate and
// the latency of a request.
func BenchmarkIngestPostGIS(b *testing.B) {
	for _, batch := range []int{1, 50} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) { benchIngest(b, 1, batch) })
	}
}

func benchIngest(b *testing.B, writers, batch int) {
	db := pgtest.New(b)
	if err := postgis.Migrate(context.Background(), db.Pool); err != nil {
		b.Fatal(err)
	}
	st := NewPostGIS(db.Pool, writers)
	b.Cleanup(st.Close)
	svc, err := New(context.Background(), Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	ids := gauges(b, svc, 200)
	var mu sync.Mutex
	var lat []time.Duration
	var next int64
	b.SetParallelism(16)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			mu.Lock()
			var in []NewObservation
			for k := 0; k < batch; k++ {
				next++
				in = append(in, NewObservation{Datastream: ids[next%int64(len(ids))], Result: 0.25, Index: k})
			}
			mu.Unlock()
			t0 := time.Now()
			if _, err := svc.Add(context.Background(), in, time.Now()); err != nil {
				b.Error(err)
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
	var n int
	_ = db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sta_observations`).Scan(&n)
	if n < b.N*batch {
		b.Fatalf("%d rows for %d acknowledged observations", n, b.N*batch)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(b.N*batch)/el.Seconds(), "obs/s")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
