package layers

// The thematic layers every onemap source provides. Sources (the demo
// district, PostGIS, OSM) fill them; tiles, the OGC API, the page and the
// models read them by these names and fields.
//
// Property values are plain Go values of the field's type: string, int64,
// float64 or bool. A missing value is absent from the map.

// Layer names.
const (
	Districts    = "districts"
	Streets      = "streets"
	Communities  = "communities"
	Grids        = "grids"
	Hazards      = "hazards"
	FloodPoints  = "flood_points"
	FireStations = "fire_stations"
	FireCircles  = "fire_circles"
	RoadClosures = "road_closures"
	Schools      = "schools"
	Catchments   = "catchments"
	Hospitals    = "hospitals"
	ElderlyCare  = "elderly_care"
	Cameras      = "cameras"
	Roads        = "roads"
	Buildings    = "buildings"
	Water        = "water"
)

// NewField is a field with its Chinese and English titles.
func NewField(name string, t FieldType, zh, en string) Field {
	return Field{Name: name, Type: t, TitleZH: zh, TitleEN: en}
}

func adminFields(parent bool) []Field {
	fs := []Field{
		NewField("code", String, "编码", "Code"),
		NewField("name", String, "名称", "Name"),
		NewField("name_en", String, "英文名", "English name"),
		NewField("level", String, "层级", "Level"),
	}
	if parent {
		fs = append(fs, NewField("parent_code", String, "上级编码", "Parent code"))
	}
	return append(fs,
		NewField("residents", Int, "户籍及常住人口", "Residents"),
		NewField("floating", Int, "流动人口", "Floating population"),
		NewField("area_km2", Float, "面积(km²)", "Area (km²)"),
	)
}

// OwnerDispatch is the owner of the derived fire_circles layer: the fire
// desk (models/dispatch) computes it from the stations, roads and closures.
const OwnerDispatch = "dispatch"

// SourceSchemas are the thematic schemas a source fills (the derived ones
// left out), each owned by owner.
func SourceSchemas(owner string, synthetic bool) []Schema {
	var out []Schema
	for _, s := range ThematicSchemas(synthetic) {
		if s.Derived {
			continue
		}
		s.Owner = owner
		out = append(out, s)
	}
	return out
}

// ThematicSchemas returns the schemas of the standard layers in drawing
// order (base first). synthetic marks them as generated demo data.
func ThematicSchemas(synthetic bool) []Schema {
	s := []Schema{
		{Name: Water, TitleZH: "水系", TitleEN: "Water", Geometry: MultiPolygon, MinZoom: 8, MaxZoom: 18,
			Fields: []Field{NewField("name", String, "名称", "Name"), NewField("kind", String, "类型", "Kind")}},
		{Name: Districts, TitleZH: "区", TitleEN: "District", Geometry: MultiPolygon, MinZoom: 8, MaxZoom: 18, Fields: adminFields(false), Labels: true},
		{Name: Streets, TitleZH: "街道", TitleEN: "Streets", Geometry: MultiPolygon, MinZoom: 8, MaxZoom: 18, Fields: adminFields(true), Labels: true},
		{Name: Communities, TitleZH: "社区", TitleEN: "Communities", Geometry: MultiPolygon, MinZoom: 10, MaxZoom: 18, Fields: adminFields(true), Labels: true, LabelMinZoom: 12},
		{Name: Grids, TitleZH: "网格", TitleEN: "Grids", Geometry: MultiPolygon, MinZoom: 12, MaxZoom: 18, Fields: adminFields(true), Labels: true, LabelMinZoom: 14},
		{Name: Buildings, TitleZH: "建筑", TitleEN: "Buildings", Geometry: Polygon, MinZoom: 14, MaxZoom: 18, Fields: []Field{
			NewField("address_code", String, "地址编码", "Address code"),
			NewField("use", String, "用途", "Use"),
			NewField("floors", Int, "层数", "Floors"),
			NewField("dwellings", Int, "住宅套数", "Dwellings"),
			NewField("grid_code", String, "所属网格", "Grid"),
		}},
		{Name: Roads, TitleZH: "道路", TitleEN: "Roads", Geometry: LineString, MinZoom: 8, MaxZoom: 18, Fields: []Field{
			NewField("name", String, "名称", "Name"),
			NewField("class", String, "等级", "Class"), // arterial | secondary | local
			NewField("oneway", Bool, "单行", "One-way"),
			NewField("speed_kmh", Float, "限速(km/h)", "Speed (km/h)"),
			NewField("lanes", Int, "车道数", "Lanes"),
		}},
		{Name: Catchments, TitleZH: "学区", TitleEN: "School catchments", Geometry: MultiPolygon, MinZoom: 10, MaxZoom: 18, Fields: []Field{
			NewField("code", String, "学区编码", "Catchment code"),
			NewField("name", String, "名称", "Name"),
			NewField("level", String, "学段", "Level"), // primary | junior
			NewField("school_id", Int, "学校编号", "School id"),
		}},
		{Name: FireCircles, TitleZH: "5分钟消防圈", TitleEN: "Fire circles", Geometry: Polygon, MinZoom: 8, MaxZoom: 18, Derived: true, Owner: OwnerDispatch, Fields: []Field{
			NewField("station_id", Int, "消防站编号", "Station id"),
			NewField("station_name", String, "消防站", "Station"),
			NewField("minutes", Float, "分钟", "Minutes"),
			NewField("radius_m", Float, "半径(米)", "Radius (m)"),
			NewField("method", String, "计算方法", "Method"), // radius | network
		}},
		// Closures are state a dispatcher sets: stored by the source (a
		// PostGIS table when serving from one) so that a restart or another
		// replica routes around the same roads.
		{Name: RoadClosures, TitleZH: "道路封闭", TitleEN: "Road closures", Geometry: Geometry, MinZoom: 10, MaxZoom: 18, Fields: []Field{
			NewField("road_id", Int, "道路编号", "Road id"), // 0: every road inside the polygon
			NewField("reason", String, "原因", "Reason"),
			NewField("created", String, "封闭时间", "Closed at"), // RFC 3339
		}},
		{Name: Hazards, TitleZH: "危险源", TitleEN: "Hazard sources", Geometry: Point, MinZoom: 10, MaxZoom: 18, Fields: []Field{
			NewField("name", String, "名称", "Name"),
			NewField("class", String, "类别", "Class"),          // industrial | crowded | public_facility | chemicals
			NewField("risk_level", Int, "风险等级", "Risk level"), // 1 (major) .. 4 (low)
			NewField("owner", String, "责任单位", "Owner"),
			NewField("grid_code", String, "所属网格", "Grid"),
		}},
		{Name: FloodPoints, TitleZH: "易涝点", TitleEN: "Flood-prone points", Geometry: Point, MinZoom: 10, MaxZoom: 18, Fields: []Field{
			NewField("name", String, "名称", "Name"),
			NewField("alert_level_m", Float, "警戒水位(米)", "Alert level (m)"),
			NewField("water_level_m", Float, "当前水位(米)", "Water level (m)"),
			NewField("state", String, "状态", "State"), // normal | warning | alarm
			NewField("grid_code", String, "所属网格", "Grid"),
		}},
		{Name: FireStations, TitleZH: "消防站", TitleEN: "Fire stations", Geometry: Point, MinZoom: 8, MaxZoom: 18, Fields: []Field{
			NewField("name", String, "名称", "Name"),
			NewField("kind", String, "类型", "Kind"), // special | general | small
			NewField("vehicles", Int, "车辆", "Vehicles"),
			NewField("crew", Int, "人员", "Crew"),
			NewField("available", Bool, "可出动", "Available"),
			NewField("grid_code", String, "所属网格", "Grid"),
		}},
		{Name: Schools, TitleZH: "学校", TitleEN: "Schools", Geometry: Point, MinZoom: 10, MaxZoom: 18, Fields: []Field{
			NewField("name", String, "名称", "Name"),
			NewField("level", String, "学段", "Level"), // primary | junior
			NewField("seats", Int, "学位", "Seats"),
			NewField("catchment_code", String, "学区", "Catchment"),
			NewField("grid_code", String, "所属网格", "Grid"),
		}},
		{Name: Hospitals, TitleZH: "医院", TitleEN: "Hospitals", Geometry: Point, MinZoom: 10, MaxZoom: 18, Fields: []Field{
			NewField("name", String, "名称", "Name"),
			NewField("grade", String, "等级", "Grade"),
			NewField("beds", Int, "床位", "Beds"),
			NewField("grid_code", String, "所属网格", "Grid"),
		}},
		{Name: ElderlyCare, TitleZH: "养老机构", TitleEN: "Elderly care", Geometry: Point, MinZoom: 10, MaxZoom: 18, Fields: []Field{
			NewField("name", String, "名称", "Name"),
			NewField("beds", Int, "床位", "Beds"),
			NewField("occupied", Int, "已入住", "Occupied"),
			NewField("grid_code", String, "所属网格", "Grid"),
		}},
		// Cameras in tiles from z14: a few thousand points are noise at
		// district zooms (the page clusters them from the features API
		// there), and at z12–13 they were a third of the district tile's
		// bytes, which pushed it over the 500 KB budget into thinning.
		{Name: Cameras, TitleZH: "视频监控", TitleEN: "Cameras", Geometry: Point, MinZoom: 14, MaxZoom: 18, Fields: []Field{
			NewField("name", String, "名称", "Name"),
			NewField("kind", String, "类型", "Kind"),
			NewField("channel", String, "通道编码", "Channel"),
			NewField("grid_code", String, "所属网格", "Grid"),
		}},
	}
	for i := range s {
		s[i].Synthetic = synthetic
		if synthetic {
			s[i].Description = "synthetic demo data"
		}
	}
	return s
}
