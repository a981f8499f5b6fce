package school

import (
	"encoding/json"
	"testing"

	"github.com/onemap/onemap/data"
)

func demoInput(t testing.TB) *Input {
	t.Helper()
	in, err := FromDistrict(data.Generate(data.DemoOptions{Seed: data.DefaultSeed}), DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TestDemoBacktest: on the demo district's history the district-level
// MAPE is at most 2% one year ahead and 4% three years ahead.
func TestDemoBacktest(t *testing.T) {
	in := demoInput(t)
	bt, err := RunBacktest(in)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(bt)
	t.Logf("%s", js)
	if bt.District.MAPE1y > 2 || bt.District.MAPE3y > 4 {
		t.Errorf("district MAPE %.2f%% (1y), %.2f%% (3y); targets 2%% and 4%%", bt.District.MAPE1y, bt.District.MAPE3y)
	}
}
