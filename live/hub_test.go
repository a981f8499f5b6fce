package live

import (
	"encoding/json"
	"testing"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

func TestFilterAndResume(t *testing.T) {
	h := NewHub(Config{Buffer: 8, History: 4})
	in := orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{1, 1}}
	out := orb.Bound{Min: orb.Point{5, 5}, Max: orb.Point{5, 5}}
	box := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{2, 2}}
	c := h.Subscribe(Filter{Types: map[string]bool{TypeReading: true}, BBox: &box}, 0)
	h.Publish(TypeReading, "flood_points", &in, 1)  // 1 passes
	h.Publish(TypeReading, "flood_points", &out, 2) // 2 outside the box
	h.Publish(TypeUnitPosition, "", nil, 3)         // 3 other type
	h.Publish(TypeReading, "", nil, 4)              // 4 no place: passes
	var got []uint64
	for len(c.C) > 0 {
		got = append(got, (<-c.C).ID)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 4 {
		t.Fatalf("filtered ids %v, want [1 4]", got)
	}
	// Resuming after 2 replays 3 and 4 from the history.
	r := h.Subscribe(Filter{}, 2)
	if a, b := <-r.C, <-r.C; a.ID != 3 || b.ID != 4 {
		t.Fatalf("resume: %d %d", a.ID, b.ID)
	}
	// History holds 4: after six messages, resuming after 1 misses 2 and
	// gets a reset first, then 3..6.
	h.Publish(TypeReading, "", nil, 5)
	h.Publish(TypeReading, "", nil, 6)
	old := h.Subscribe(Filter{}, 1)
	if m := <-old.C; m.Type != TypeReset {
		t.Fatalf("want reset, got %s", m.Type)
	}
	for want := uint64(3); want <= 6; want++ {
		if m := <-old.C; m.ID != want {
			t.Fatalf("got %d want %d", m.ID, want)
		}
	}
	// An id from another run resets.
	if m := <-h.Subscribe(Filter{}, 1<<62).C; m.Type != TypeReset {
		t.Fatalf("want reset for a future id, got %s", m.Type)
	}
}

func TestSlowClientDropped(t *testing.T) {
	h := NewHub(Config{Buffer: 3, History: 16})
	slow := h.Subscribe(Filter{}, 0)
	fast := h.Subscribe(Filter{}, 0)
	for i := 0; i < 10; i++ {
		h.Publish(TypeReading, "", nil, i)
		for len(fast.C) > 0 {
			<-fast.C
		}
	}
	n := 0
	for range slow.C { // closed once dropped
		n++
	}
	if !slow.Dropped() || n != 3 || h.Dropped() != 1 || h.Clients() != 1 {
		t.Fatalf("slow: dropped %v after %d, hub dropped %d, clients %d", slow.Dropped(), n, h.Dropped(), h.Clients())
	}
	if fast.Dropped() {
		t.Fatal("fast client dropped")
	}
}

func TestFollowCatalog(t *testing.T) {
	cat := layers.NewCatalog()
	h := NewHub(Config{})
	stop := h.FollowCatalog(cat)
	defer stop()
	c := h.Subscribe(Filter{Layers: map[string]bool{"a": true}}, 0)
	s := layers.Schema{Name: "a", Geometry: layers.Point, Owner: "x"}
	if _, err := cat.Put(s, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Put(layers.Schema{Name: "b", Geometry: layers.Point, Owner: "x"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Apply("x", "a", []layers.Change{{Op: layers.Upsert, Feature: layers.Feature{ID: 1, Geometry: orb.Point{3, 4}}}}); err != nil {
		t.Fatal(err)
	}
	first, second := <-c.C, <-c.C
	var lc LayerChange
	if err := json.Unmarshal(second.Data, &lc); err != nil {
		t.Fatal(err)
	}
	if first.Layer != "a" || second.Type != TypeLayer || lc.Version != 3 || len(lc.Bounds) != 1 || lc.Bounds[0] != [4]float64{3, 4, 3, 4} {
		t.Fatalf("first %+v second %+v data %+v", first, second, lc)
	}
	if len(c.C) != 0 {
		t.Fatal("layer b's change passed the layer filter")
	}
}
