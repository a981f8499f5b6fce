package dispatch

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial/network"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func demoCatalog(t testing.TB) *layers.Catalog {
	t.Helper()
	d := demo.Generate(demo.Options{Seed: demo.DefaultSeed})
	cat := layers.NewCatalog()
	if err := d.Put(cat, layers.OwnerDemo); err != nil {
		t.Fatal(err)
	}
	return cat
}

func demoDesk(t testing.TB) (*Desk, *layers.Catalog) {
	t.Helper()
	cat := demoCatalog(t)
	d, err := New(cat, nil, layers.Memory{Catalog: cat, Owner: layers.OwnerDemo}, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d, cat
}

var ctx = context.Background()

func stationPoint(t *testing.T, cat *layers.Catalog, id int64) orb.Point {
	l, _ := cat.Layer(layers.FireStations)
	f, ok := l.Snapshot().Get(id)
	if !ok {
		t.Fatalf("station %d missing", id)
	}
	return f.Geometry.(orb.Point)
}

func TestFireCirclesPublished(t *testing.T) {
	d, cat := demoDesk(t)
	l, ok := cat.Layer(layers.FireCircles)
	if !ok {
		t.Fatal("no fire_circles layer")
	}
	snap := l.Snapshot()
	avail := len(d.cur.Load().sites.List)
	if snap.Len() != avail || avail < 15 {
		t.Fatalf("%d circles, want one per available station (%d)", snap.Len(), avail)
	}
	snap.All(func(f *layers.Feature) bool {
		if f.Properties["method"] != "network" || f.Properties["minutes"] != 5.0 {
			t.Errorf("circle %d properties %v", f.ID, f.Properties)
		}
		poly, ok := f.Geometry.(orb.Polygon)
		if !ok {
			t.Fatalf("circle %d is a %T", f.ID, f.Geometry)
		}
		// The station itself lies inside its own circle.
		if !planar.PolygonContains(poly, d.cur.Load().sites.Snaps[0].Point) && f.ID == d.cur.Load().sites.List[0].ID {
			t.Errorf("station %d outside its circle", f.ID)
		}
		return true
	})
	// Taking a team out of service removes its circle at once.
	id := d.cur.Load().sites.List[0].ID
	if err := d.SetAvailable(ctx, id, false); err != nil {
		t.Fatal(err)
	}
	l, _ = cat.Layer(layers.FireCircles)
	if n := l.Snapshot().Len(); n != avail-1 {
		t.Errorf("%d circles after a team went out of service, want %d", n, avail-1)
	}
	if _, ok := l.Snapshot().Get(id); ok {
		t.Errorf("circle of the unavailable station %d still published", id)
	}
}

func TestNearestFollowsAvailability(t *testing.T) {
	d, cat := demoDesk(t)
	// An alarm 150 m from station 1 (on the roads): the first team is
	// usually that station; whichever it is, taking it out of service
	// drops it from the ranking at once.
	p := stationPoint(t, cat, d.cur.Load().sites.List[0].ID)
	a, err := d.Nearest(orb.Point{p[0] + 0.0012, p[1] + 0.0005}, 0, network.Time)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Units) != a.Available || a.Available < 15 || a.Stations != 23 {
		t.Fatalf("ranked %d of %d available of %d", len(a.Units), a.Available, a.Stations)
	}
	for i := 1; i < len(a.Units); i++ {
		if a.Units[i].Seconds < a.Units[i-1].Seconds {
			t.Fatalf("not ordered by ETA at %d", i)
		}
	}
	first := a.Units[0]
	if err := d.SetAvailable(ctx, first.ID, false); err != nil {
		t.Fatal(err)
	}
	b, err := d.Nearest(a.Alarm, 0, network.Time)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Units) != len(a.Units)-1 || b.Units[0].ID == first.ID {
		t.Fatalf("unit %d still ranked after going out of service", first.ID)
	}
	if b.Units[0].ID != a.Units[1].ID || b.Units[0].Seconds != a.Units[1].Seconds {
		t.Errorf("second team did not move up: %+v vs %+v", b.Units[0], a.Units[1])
	}
	if err := d.SetAvailable(ctx, first.ID, true); err != nil {
		t.Fatal(err)
	}
	if c, _ := d.Nearest(a.Alarm, 1, network.Time); len(c.Units) != 1 || c.Units[0].ID != first.ID {
		t.Errorf("team not back in service: %+v", c.Units)
	}
	if err := d.SetAvailable(ctx, 987654, true); !errors.Is(err, ErrUnknownUnit) {
		t.Errorf("unknown unit: %v", err)
	}
	if _, err := d.Nearest(orb.Point{0, 0}, 3, network.Time); !errors.Is(err, network.ErrTooFar) {
		t.Errorf("point at sea: %v", err)
	}
}

func TestClosuresApplyAtOnce(t *testing.T) {
	d, cat := demoDesk(t)
	p := stationPoint(t, cat, d.cur.Load().sites.List[3].ID)
	alarm := orb.Point{p[0] + 0.004, p[1] - 0.003}
	before, err := d.Nearest(alarm, 1, network.Time)
	if err != nil {
		t.Fatal(err)
	}
	circlesBefore := d.Coverage(5)
	// Close the road the alarm lies on: the alarm snaps to another road
	// and the best route changes or gets longer.
	e, err := d.AddClosure(ctx, network.Closure{RoadID: before.Snap.RoadID}, "")
	if err != nil {
		t.Fatal(err)
	}
	after, err := d.Nearest(alarm, 1, network.Time)
	if err != nil {
		t.Fatal(err)
	}
	if after.Snap.RoadID == before.Snap.RoadID {
		t.Errorf("alarm still snapped to the closed road %d", before.Snap.RoadID)
	}
	if len(d.Closures()) != 1 || e.Segments == 0 {
		t.Errorf("closures %+v", d.Closures())
	}
	// A polygon closure around the best team's station: its routes leave
	// by roads outside the closed area.
	sp := stationPoint(t, cat, before.Units[0].ID)
	r := 0.004
	poly := orb.Polygon{{{sp[0] - r, sp[1] - r}, {sp[0] + r, sp[1] - r}, {sp[0] + r, sp[1] + r}, {sp[0] - r, sp[1] + r}, {sp[0] - r, sp[1] - r}}}
	e2, err := d.AddClosure(ctx, network.Closure{Polygon: poly}, "")
	if err != nil {
		t.Fatal(err)
	}
	cut, err := d.Nearest(alarm, 0, network.Time)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range cut.Units {
		for _, p := range u.Route {
			if planar.PolygonContains(poly, p) {
				t.Fatalf("route of %d enters the closed area at %v", u.ID, p)
			}
		}
	}
	if cov := d.Coverage(5); cov.Grids.Covered > circlesBefore.Grids.Covered {
		t.Errorf("closures increased coverage: %d > %d", cov.Grids.Covered, circlesBefore.Grids.Covered)
	}
	for _, id := range []int64{e.ID, e2.ID} {
		if err := d.RemoveClosure(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	again, _ := d.Nearest(alarm, 1, network.Time)
	if again.Units[0].ID != before.Units[0].ID || math.Abs(again.Units[0].Seconds-before.Units[0].Seconds) > 1e-9 {
		t.Errorf("lifting closures did not restore the answer: %+v vs %+v", again.Units[0], before.Units[0])
	}
	if err := d.RemoveClosure(ctx, e.ID); !errors.Is(err, ErrUnknownClosure) {
		t.Errorf("removing twice: %v", err)
	}
	if _, err := d.AddClosure(ctx, network.Closure{RoadID: -77}, ""); err == nil {
		t.Error("closing an unknown road succeeded")
	}
}

func TestCoverageAgainstPlainPointInPolygon(t *testing.T) {
	d, cat := demoDesk(t)
	cov := d.Coverage(5)
	// Recount grids with orb's planar.PolygonContains.
	l, _ := cat.Layer(layers.Grids)
	var covered, residents, total int64
	l.Snapshot().All(func(f *layers.Feature) bool {
		c, _ := planar.CentroidArea(f.Geometry)
		r, _ := f.Properties["residents"].(int64)
		total += r
		for _, ci := range d.Circles() {
			if planar.PolygonContains(ci.Iso.Polygon, c) {
				covered++
				residents += r
				break
			}
		}
		return true
	})
	if cov.Grids.Covered != covered || cov.Residents.Covered != residents || cov.Residents.Total != total {
		t.Errorf("coverage %+v %+v, plain count %d grids %d/%d residents", cov.Grids, cov.Residents, covered, residents, total)
	}
	if cov.Grids.Total != 1547 || cov.Buildings.Total == 0 {
		t.Errorf("totals %+v %+v", cov.Grids, cov.Buildings)
	}
	if int64(len(cov.Uncovered)) != cov.Grids.Total-cov.Grids.Covered {
		t.Errorf("%d uncovered listed, %d uncovered counted", len(cov.Uncovered), cov.Grids.Total-cov.Grids.Covered)
	}
	if len(cov.Worst) != WorstN {
		t.Fatalf("%d worst", len(cov.Worst))
	}
	for i := 1; i < len(cov.Worst); i++ {
		if cov.Worst[i].Seconds > cov.Worst[i-1].Seconds {
			t.Errorf("worst not ordered")
		}
	}
	// A longer drive covers at least as much.
	if c10 := d.Coverage(10); c10.Grids.Covered < cov.Grids.Covered || c10.Buildings.Covered < cov.Buildings.Covered {
		t.Errorf("10-minute coverage %+v below 5-minute %+v", c10.Grids, cov.Grids)
	}
	t.Logf("5-minute coverage: grids %.3f, residents %.3f, buildings %.3f; worst %s %.0f s",
		cov.Grids.Share, cov.Residents.Share, cov.Buildings.Share, cov.Worst[0].Code, cov.Worst[0].Seconds)
}

func BenchmarkCoverage(b *testing.B) {
	d, _ := demoDesk(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Coverage(5)
	}
}

func TestRoadEditsRebuildTheGraph(t *testing.T) {
	d, cat := demoDesk(t)
	a, err := d.Nearest(stationPoint(t, cat, d.cur.Load().sites.List[5].ID), 1, network.Time)
	if err != nil {
		t.Fatal(err)
	}
	before := d.Graph()
	// Delete the road the alarm snapped to: the desk rebuilds its graph
	// from the layer and the alarm lands on another road.
	snap, err := cat.Apply(layers.OwnerDemo, layers.Roads, []layers.Change{{Op: layers.Delete, ID: a.Snap.RoadID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Wait(ctx, snap.Version()); err != nil {
		t.Fatal(err)
	}
	if d.Graph() == before || d.Graph().Segments() >= before.Segments() {
		t.Fatalf("graph not rebuilt: %d → %d segments", before.Segments(), d.Graph().Segments())
	}
	b, err := d.Nearest(a.Alarm, 1, network.Time)
	if err != nil {
		t.Fatal(err)
	}
	if b.Snap.RoadID == a.Snap.RoadID {
		t.Errorf("alarm still on deleted road %d", a.Snap.RoadID)
	}
}

// TestConcurrentReadsAndWrites runs answers while closures and statuses
// change (run with -race).
func TestConcurrentReadsAndWrites(t *testing.T) {
	d, cat := demoDesk(t)
	p := stationPoint(t, cat, d.cur.Load().sites.List[0].ID)
	roads, _ := cat.Layer(layers.Roads)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 5; i++ {
			e, err := d.AddClosure(ctx, network.Closure{RoadID: roads.Snapshot().At(100 + i).ID}, "drill")
			if err != nil {
				t.Error(err)
				return
			}
			if err := d.SetAvailable(ctx, d.cur.Load().sites.List[1].ID, i%2 == 0); err != nil {
				t.Error(err)
			}
			if err := d.RemoveClosure(ctx, e.ID); err != nil {
				t.Error(err)
			}
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-done:
			if i == 0 {
				t.Error("no reads ran")
			}
			return
		default:
		}
		if _, err := d.Nearest(orb.Point{p[0] + 0.001*float64(i%7), p[1]}, 3, network.Time); err != nil {
			t.Fatal(err)
		}
		d.Isochrone(p, 3)
	}
}

// BenchmarkDeskNearest is the API's path: snap the alarm, rank every
// available team with routes.
func BenchmarkDeskNearest(b *testing.B) {
	d, cat := demoDesk(b)
	l, _ := cat.Layer(layers.Districts)
	bd := l.Snapshot().Bound()
	var pts []orb.Point
	for i := 0; len(pts) < 500; i++ {
		p := orb.Point{bd.Min[0] + float64(i%37)/37*(bd.Max[0]-bd.Min[0]), bd.Min[1] + float64(i%41)/41*(bd.Max[1]-bd.Min[1])}
		if _, err := d.Nearest(p, 1, network.Time); err == nil {
			pts = append(pts, p)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Nearest(pts[i%len(pts)], 0, network.Time); err != nil {
			b.Fatal(err)
		}
	}
}
