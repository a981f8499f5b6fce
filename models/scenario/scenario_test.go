package scenario_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/models/scenario"
)

// counter is a toy model: its baseline is a map of counts, a change
// {"op":"add","params":{"key":"a","n":2}} adds to a count; negative counts
// are invalid.
type counter struct{ base map[string]float64 }

type addParams struct {
	Key string  `json:"key"`
	N   float64 `json:"n"`
}

func (c counter) apply(changes []scenario.Change) (map[string]float64, error) {
	out := map[string]float64{}
	for k, v := range c.base {
		out[k] = v
	}
	for i, ch := range changes {
		if ch.Op != "add" {
			return nil, scenario.Invalid(fmt.Sprintf("[%d].op", i), "unknown op %q", ch.Op)
		}
		var p addParams
		if err := json.Unmarshal(ch.Params, &p); err != nil {
			return nil, scenario.Invalid(fmt.Sprintf("[%d].params", i), "%v", err)
		}
		if _, ok := out[p.Key]; !ok {
			return nil, scenario.Invalid(fmt.Sprintf("[%d].params.key", i), "unknown key %q", p.Key)
		}
		out[p.Key] += p.N
		if out[p.Key] < 0 {
			return nil, scenario.Invalid(fmt.Sprintf("[%d].params.n", i), "count of %s would be negative", p.Key)
		}
	}
	return out, nil
}

func values(m map[string]float64) []scenario.Value {
	var v []scenario.Value
	for k, x := range m {
		v = append(v, scenario.Value{Key: k, Metric: "count", Value: x})
	}
	return v
}

func (c counter) Validate(_ context.Context, changes []scenario.Change) error {
	_, err := c.apply(changes)
	return err
}

func (c counter) Compare(_ context.Context, changes []scenario.Change) ([]scenario.Delta, error) {
	alt, err := c.apply(changes)
	if err != nil {
		return nil, err
	}
	return scenario.Compare(values(c.base), values(alt)), nil
}

func add(key string, n float64) scenario.Change {
	b, _ := json.Marshal(addParams{key, n})
	return scenario.Change{Op: "add", Params: b}
}

func newService(store scenario.Store) *scenario.Service {
	s := scenario.NewService(store, map[string]scenario.Model{"count": counter{map[string]float64{"a": 1, "b": 5}}})
	n := 0
	s.NewID = func() string { n++; return fmt.Sprintf("s%d", n) }
	s.Now = func() time.Time { return time.Date(2026, 1, 1, 0, 0, n, 0, time.UTC) }
	return s
}

func testService(t *testing.T, store scenario.Store) {
	ctx := context.Background()
	svc := newService(store)
	sc, err := svc.Create(ctx, scenario.Scenario{Model: "count", Name: "more a", Changes: []scenario.Change{add("a", 2)}})
	if err != nil {
		t.Fatal(err)
	}
	if sc.ID != "s1" {
		t.Fatalf("id %q", sc.ID)
	}
	// Failed writes: each leaves the store as it was.
	bad := []struct {
		sc    scenario.Scenario
		field string
		is    error
	}{
		{scenario.Scenario{Model: "nope", Name: "x", Changes: []scenario.Change{add("a", 1)}}, "model", nil},
		{scenario.Scenario{Model: "count", Name: " ", Changes: []scenario.Change{add("a", 1)}}, "name", nil},
		{scenario.Scenario{Model: "count", Name: "Baseline", Changes: []scenario.Change{add("a", 1)}}, "name", nil},
		{scenario.Scenario{Model: "count", Name: "empty"}, "changes", nil},
		{scenario.Scenario{Model: "count", Name: "neg", Changes: []scenario.Change{add("a", 1), add("b", -9)}}, "changes[1].params.n", nil},
		{scenario.Scenario{Model: "count", Name: "unknown", Changes: []scenario.Change{add("zz", 1)}}, "changes[0].params.key", nil},
		{scenario.Scenario{Model: "count", Name: "noop", Changes: []scenario.Change{{Params: json.RawMessage(`{}`)}}}, "changes[0].op", nil},
		{scenario.Scenario{Model: "count", Name: "more a", Changes: []scenario.Change{add("b", 1)}}, "", scenario.ErrExists},
	}
	for _, b := range bad {
		_, err := svc.Create(ctx, b.sc)
		if err == nil {
			t.Fatalf("%+v: stored", b.sc)
		}
		if b.is != nil {
			if !errors.Is(err, b.is) {
				t.Errorf("%q: err %v, want %v", b.sc.Name, err, b.is)
			}
		} else {
			var fe *scenario.FieldError
			if !errors.As(err, &fe) || fe.Field != b.field {
				t.Errorf("%q: err %v, want field %s", b.sc.Name, err, b.field)
			}
		}
		list, err := svc.List(ctx, "count")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].ID != "s1" {
			t.Fatalf("after failed write %q the store holds %+v", b.sc.Name, list)
		}
	}
	// A stored scenario cannot be changed through a returned copy.
	got, err := svc.Get(ctx, "count", "s1")
	if err != nil {
		t.Fatal(err)
	}
	got.Changes[0].Op = "hacked"
	again, _ := svc.Get(ctx, "count", "s1")
	if again.Changes[0].Op != "add" || again.Name != "more a" || !again.Created.Equal(sc.Created) {
		t.Fatalf("stored scenario changed or lost: %+v", again)
	}
	lessB, err := svc.Create(ctx, scenario.Scenario{Model: "count", Name: "less b", Changes: []scenario.Change{add("b", -5)}})
	if err != nil {
		t.Fatal(err)
	}
	_, d, err := svc.Compare(ctx, lessB.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []scenario.Delta{{Key: "a", Metric: "count", Baseline: 1, Scenario: 1}, {Key: "b", Metric: "count", Baseline: 5, Scenario: 0, Diff: -5}}
	if fmt.Sprint(d) != fmt.Sprint(want) {
		t.Fatalf("compare: %+v, want %+v", d, want)
	}
	if base, err := svc.Get(ctx, "count", scenario.Baseline); err != nil || base.ID != scenario.Baseline || len(base.Changes) != 0 {
		t.Fatalf("baseline: %+v %v", base, err)
	}
	if err := svc.Delete(ctx, scenario.Baseline); err == nil {
		t.Fatal("deleted the baseline")
	}
	if err := svc.Delete(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, "s1"); !errors.Is(err, scenario.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := svc.Get(ctx, "count", "s1"); !errors.Is(err, scenario.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	list, _ := svc.List(ctx, "")
	if len(list) != 1 || list[0].ID != lessB.ID {
		t.Fatalf("list after delete: %+v", list)
	}
}

func TestMemory(t *testing.T) { testService(t, scenario.NewMemory()) }

func TestPostGIS(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	store, err := scenario.NewPostGIS(ctx, db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	// Creating the table twice is harmless (a second server on the same database).
	if _, err := scenario.NewPostGIS(ctx, db.Pool); err != nil {
		t.Fatal(err)
	}
	testService(t, store)
}

func TestCompareOneSided(t *testing.T) {
	d := scenario.Compare(
		[]scenario.Value{{Key: "x", Year: 2027, Metric: "m", Value: 2}},
		[]scenario.Value{{Key: "x", Year: 2027, Metric: "m", Value: 3}, {Key: "y", Year: 2027, Metric: "m", Value: 4}})
	want := []scenario.Delta{{Key: "x", Year: 2027, Metric: "m", Baseline: 2, Scenario: 3, Diff: 1}, {Key: "y", Year: 2027, Metric: "m", Scenario: 4, Diff: 4}}
	if fmt.Sprint(d) != fmt.Sprint(want) {
		t.Fatalf("%+v", d)
	}
}
