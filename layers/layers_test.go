package layers

import (
	"testing"

	"github.com/paulmach/orb"
)

func pt(id int64, x, y float64) Feature {
	return Feature{ID: id, Geometry: orb.Point{x, y}, Properties: map[string]any{"n": id}}
}

func TestSnapshotSearchAndPaging(t *testing.T) {
	s := NewSnapshot(1, []Feature{pt(3, 1, 1), pt(1, 5, 5), pt(2, 9, 9)})
	if s.Len() != 3 || s.At(0).ID != 1 || s.At(2).ID != 3 {
		t.Fatalf("order: len %d first %d", s.Len(), s.At(0).ID)
	}
	var got []int64
	s.Search(orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{6, 6}}, func(f *Feature) bool { got = append(got, f.ID); return true })
	if len(got) != 2 {
		t.Fatalf("search got %v", got)
	}
	var near []int64
	s.Nearby(orb.Point{8, 8}, func(f *Feature, _ float64) bool { near = append(near, f.ID); return len(near) < 2 })
	if near[0] != 2 || near[1] != 1 {
		t.Fatalf("nearby %v", near)
	}
}

func TestCatalogApplyIsCopyOnWrite(t *testing.T) {
	c := NewCatalog()
	var events []Event
	c.Subscribe(func(e Event) { events = append(events, e) })
	l, err := c.Put(Schema{Name: "p", Geometry: Point}, []Feature{pt(1, 0, 0), pt(2, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	before := l.Snapshot()
	next, err := c.Apply("", "p", []Change{{Op: Upsert, Feature: pt(1, 4, 4)}, {Op: Delete, ID: 2}, {Op: Upsert, Feature: pt(7, 2, 2)}})
	if err != nil {
		t.Fatal(err)
	}
	if before.Len() != 2 || next.Len() != 2 {
		t.Fatalf("lens %d %d", before.Len(), next.Len())
	}
	if f, _ := before.Get(1); f.Geometry.(orb.Point) != (orb.Point{0, 0}) {
		t.Fatal("old snapshot changed")
	}
	if f, _ := next.Get(1); f.Geometry.(orb.Point) != (orb.Point{4, 4}) {
		t.Fatal("upsert lost")
	}
	n := 0
	next.Search(orb.Bound{Min: orb.Point{-1, -1}, Max: orb.Point{1.5, 1.5}}, func(*Feature) bool { n++; return true })
	if n != 0 {
		t.Fatalf("stale index entries: %d", n)
	}
	if len(events) != 2 || len(events[1].Bounds) != 4 || next.Version() <= before.Version() {
		t.Fatalf("events %+v", events)
	}
	if _, err := c.Apply("", "nope", nil); err == nil {
		t.Fatal("unknown layer accepted")
	}
}
