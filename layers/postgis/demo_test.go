package postgis

import (
	"cmp"
	"context"
	"slices"
	"testing"

	"github.com/onemap/onemap/data"
	"github.com/onemap/onemap/data/demo"
	"github.com/onemap/onemap/internal/pgtest"
	"github.com/onemap/onemap/layers"
)

// inKeyOrder returns a copy of d with every layer in id order and every
// table in the order of its primary key: the order Read returns.
func inKeyOrder(d *data.District) *data.District {
	c := *d
	c.Layers = make(map[string][]layers.Feature, len(d.Layers))
	for name, fs := range d.Layers {
		c.Layers[name] = slices.SortedFunc(slices.Values(fs), func(a, b layers.Feature) int { return cmp.Compare(a.ID, b.ID) })
	}
	c.Ages = slices.SortedFunc(slices.Values(d.Ages), func(a, b data.AgeRow) int {
		return cmp.Or(cmp.Compare(a.Grid, b.Grid), cmp.Compare(a.Age, b.Age))
	})
	c.Groups = slices.SortedFunc(slices.Values(d.Groups), func(a, b data.GroupRow) int { return cmp.Compare(a.Grid, b.Grid) })
	c.Births = slices.SortedFunc(slices.Values(d.Births), func(a, b data.BirthRow) int {
		return cmp.Or(cmp.Compare(a.Grid, b.Grid), cmp.Compare(a.Year, b.Year))
	})
	c.Catchments = slices.SortedFunc(slices.Values(d.Catchments), func(a, b data.CatchmentRow) int { return cmp.Compare(a.Code, b.Code) })
	c.Enrolment = slices.SortedFunc(slices.Values(d.Enrolment), func(a, b data.EnrolmentRow) int {
		return cmp.Or(cmp.Compare(a.SchoolID, b.SchoolID), cmp.Compare(a.Year, b.Year), cmp.Compare(a.Grade, b.Grade))
	})
	c.Housing = slices.SortedFunc(slices.Values(d.Housing), func(a, b data.HousingProject) int { return cmp.Compare(a.ID, b.ID) })
	return &c
}

// demoWritten is a fresh schema holding the demo district.
func demoWritten(tb testing.TB) (*data.District, *pgtest.DB) {
	tb.Helper()
	db := migrated(tb)
	d := demo.Generate(demo.Options{})
	if err := Write(context.Background(), db.Pool, d); err != nil {
		tb.Fatal(err)
	}
	return d, db
}

func TestDemoDistrictRoundTrip(t *testing.T) {
	want, db := demoWritten(t)
	got, err := Read(context.Background(), db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range layers.SourceSchemas(layers.OwnerPostGIS, false) {
		if len(want.Layers[s.Name]) == 0 && s.Name != layers.RoadClosures { // state: smallDistrict covers it
			t.Errorf("demo layer %s is empty: the round trip would not cover it", s.Name)
		}
	}
	equalDistricts(t, inKeyOrder(want), got)
}

// BenchmarkRead loads the whole demo district from PostGIS, as
// `onemap serve --db` does at start-up (issue 2: at most 3 s).
func BenchmarkRead(b *testing.B) {
	_, db := demoWritten(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := Read(ctx, db.Pool); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWrite replaces the demo district in PostGIS with COPY, as
// `onemap load --db` does.
func BenchmarkWrite(b *testing.B) {
	d, db := demoWritten(b)
	ctx := context.Background()
	for b.Loop() {
		if err := Write(ctx, db.Pool, d); err != nil {
			b.Fatal(err)
		}
	}
}
