package school

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/onemap/onemap/models/scenario"
)

// estate is the benchmarks' scenario: 3,000 dwellings completed in two
// years in the given grid.
func estate(grid string, year int) []scenario.Change {
	return []scenario.Change{change(OpAddHousing, Housing{Grid: grid, Dwellings: map[string]int{"commodity": 2000, "affordable": 1000}, Completion: year})}
}

// BenchmarkDemo: the demo district's baseline and one scenario, 10 years
// (applying and validating the scenario included). Target ≤ 50 ms.
func BenchmarkDemo(b *testing.B) {
	in := demoInput(b)
	ch := estate(in.Grids[len(in.Grids)/2].Code, in.Year+2)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := RunPair(in, ch, Options{Years: 10}); err != nil {
			b.Fatal(err)
		}
	}
}

// cityInput generates a city: nGrids grids in streets of 100, primary
// catchments of 50 grids (one school each), junior catchments of two
// primaries, 12 years of births and enrolment, 200 housing projects.
func cityInput(nGrids int) *Input {
	r := rand.New(rand.NewPCG(1, 2))
	const base = 2026
	in := &Input{Year: base, Policy: DefaultPolicy()}
	nPrim := nGrids / 50
	nJun := nPrim / 2
	births := make([]float64, nGrids)
	for g := range nGrids {
		code := fmt.Sprintf("G%06d", g)
		in.Grids = append(in.Grids, Grid{Code: code, Street: fmt.Sprintf("S%04d", g/100)})
		births[g] = 5 + 10*r.Float64()
		for a := 0; a <= 17; a++ {
			in.Population = append(in.Population, AgeRow{Grid: code, Age: a, Residents: int(births[g]), Floating: r.IntN(4)})
		}
		for y := base - 11; y <= base; y++ {
			in.Births = append(in.Births, BirthRow{Grid: code, Year: y, Births: int(births[g] * (0.9 + 0.2*r.Float64()))})
		}
	}
	for p := range nPrim {
		c := Catchment{Code: fmt.Sprintf("P%05d", p), Level: Primary}
		for g := p * 50; g < (p+1)*50 && g < nGrids; g++ {
			c.Grids = append(c.Grids, in.Grids[g].Code)
		}
		in.Catchments = append(in.Catchments, c)
		in.Schools = append(in.Schools, School{ID: int64(p + 1), Level: Primary, Seats: 3600, Catchment: c.Code, Grid: c.Grids[0]})
		for y := base - 11; y <= base; y++ {
			for g := 1; g <= 6; g++ {
				in.Enrolment = append(in.Enrolment, EnrolmentRow{School: int64(p + 1), Year: y, Grade: g, Pupils: 550 + r.IntN(100)})
			}
		}
	}
	for j := range nJun {
		c := Catchment{Code: fmt.Sprintf("J%05d", j), Level: Junior}
		for g := j * 100; g < (j+1)*100 && g < nGrids; g++ {
			c.Grids = append(c.Grids, in.Grids[g].Code)
		}
		in.Catchments = append(in.Catchments, c)
		id := int64(nPrim + j + 1)
		in.Schools = append(in.Schools, School{ID: id, Level: Junior, Seats: 3300, Catchment: c.Code, Grid: c.Grids[0]})
		for y := base - 11; y <= base; y++ {
			for g := 7; g <= 9; g++ {
				in.Enrolment = append(in.Enrolment, EnrolmentRow{School: id, Year: y, Grade: g, Pupils: 1000 + r.IntN(200)})
			}
		}
	}
	for i := range 200 {
		in.Housing = append(in.Housing, Housing{ID: int64(i + 1), Grid: in.Grids[r.IntN(nGrids)].Code,
			Dwellings: map[string]int{"commodity": 500 + r.IntN(2000), "rental": r.IntN(500)}, Completion: base - 3 + r.IntN(8)})
	}
	return in
}

// BenchmarkCity: 50,000 grids, 1,500 schools (1,000 primary, 500
// junior), 10 years, baseline only. Target ≤ 1 s; memory reported as
// B/op and the input's live heap (input-MB).
func BenchmarkCity(b *testing.B) {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	in := cityInput(50_000)
	runtime.GC()
	runtime.ReadMemStats(&m1)
	if len(in.Schools) < 1500 || len(in.Grids) < 50_000 {
		b.Fatalf("%d schools, %d grids", len(in.Schools), len(in.Grids))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Project(in, Options{Years: 10}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(m1.HeapAlloc-m0.HeapAlloc)/1e6, "input-MB")
}

// BenchmarkCityScenario: the city's baseline and one scenario.
func BenchmarkCityScenario(b *testing.B) {
	in := cityInput(50_000)
	ch := estate(in.Grids[777].Code, in.Year+2)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := RunPair(in, ch, Options{Years: 10}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRolling: the rolling-origin backtest (origins over the whole
// history, leads 1–3, five methods) of the demo district and of the
// real-shaped one; and Calibrate on the demo, which the chart runs per
// request for its intervals.
func BenchmarkRolling(b *testing.B) {
	demo := demoInput(b)
	rs, err := LoadCSV(realShapedDir)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		run  func() error
	}{
		{"demo", func() error { _, err := RunRolling(demo, RollingOptions{}); return err }},
		{"realshaped", func() error { _, err := RunRolling(rs, RollingOptions{}); return err }},
		{"calibrate-demo", func() error { _, err := Calibrate(demo, 3, 0.8); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
