package demand

import (
	"math"

	"github.com/onemap/onemap/layers"
)

// LayerName is the map layer of resource shortage and accessibility.
const LayerName = "resource_access"

// LayerSchema is the resource_access layer's schema: grid polygons with a
// resource's demand, supply and gap by standard and its accessibility score.
func LayerSchema(synthetic bool) layers.Schema {
	f := layers.NewField
	s := layers.Schema{Name: LayerName, TitleZH: "资源供需与可达性", TitleEN: "Resource shortage and access", Geometry: layers.MultiPolygon,
		MinZoom: 12, MaxZoom: 18, Synthetic: synthetic, Owner: Name, Derived: true,
		Description: "per grid: demand by planning standard, supply located in the grid, gap, and the floating-catchment accessibility score (supply per unit of demand reachable; 1 = fully served)",
		Fields: []layers.Field{
			f("code", layers.String, "网格编码", "Grid code"),
			f("name", layers.String, "名称", "Name"),
			f("resource", layers.String, "资源", "Resource"),
			f("demand", layers.Float, "需求", "Demand"),
			f("supply", layers.Float, "供给", "Supply"),
			f("gap", layers.Float, "缺口(需求−供给)", "Gap (demand − supply)"),
			f("score", layers.Float, "可达性", "Access score"),
			f("reachable", layers.Bool, "可达", "Reaches supply"),
			f("method", layers.String, "方法", "Method"),
			f("scenario", layers.String, "情景", "Scenario"),
		}}
	if synthetic {
		s.Description += " (synthetic demo data)"
	}
	return s
}

// LayerFeatures joins a grid-level table and per-grid scores (in the
// inputs' grid order) onto the grid polygons (features of the grids layer,
// matched by code).
func LayerFeatures(in *Inputs, t Table, scores []float64, reachable []bool, method, scenario string, grids []layers.Feature) []layers.Feature {
	rows := make(map[string]Row, len(t.Rows))
	for _, r := range t.Rows {
		rows[r.Code] = r
	}
	out := make([]layers.Feature, 0, len(grids))
	for _, f := range grids {
		code, _ := f.Properties["code"].(string)
		k, ok := in.byCode[code]
		r, ok2 := rows[code]
		if !ok || !ok2 {
			continue
		}
		p := map[string]any{"code": code, "name": r.Name, "resource": string(t.Resource),
			"demand": round(r.Demand, 2), "supply": round(r.Supply, 2), "gap": round(r.Gap, 2),
			"method": method, "scenario": scenario}
		if k < len(scores) {
			p["score"] = round(scores[k], 4)
			p["reachable"] = reachable[k]
		}
		out = append(out, layers.Feature{ID: f.ID, Geometry: f.Geometry, Properties: p})
	}
	return out
}

func round(v float64, d int) float64 {
	s := math.Pow(10, float64(d))
	return math.Round(v*s) / s
}
