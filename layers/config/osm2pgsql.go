package config

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// OSM2pgsqlTables are the tables osm2pgsql's pgsql output makes (EPSG:3857
// by default). The built-in profile reads them; they are not also
// published raw.
var OSM2pgsqlTables = []string{"planet_osm_point", "planet_osm_line", "planet_osm_polygon", "planet_osm_roads"}

// drivable are the highway values routed on, with their class and speed
// (km/h) where no maxspeed says otherwise.
var drivable = []struct {
	highway, class string
	speed          int
}{
	{"motorway", "arterial", 100}, {"motorway_link", "arterial", 60}, {"trunk", "arterial", 80}, {"trunk_link", "arterial", 50},
	{"primary", "arterial", 60}, {"primary_link", "arterial", 40}, {"secondary", "secondary", 50}, {"secondary_link", "secondary", 40},
	{"tertiary", "secondary", 40}, {"tertiary_link", "secondary", 30}, {"unclassified", "local", 30}, {"residential", "local", 30},
	{"living_street", "local", 10}, {"service", "local", 15}, {"road", "local", 30},
}

// DetectOSM2pgsql looks for osm2pgsql's tables on the search path and, when
// they are there, returns the built-in profile over them (OSM2pgsql) and
// the relations it reads (schema.table). It only reads the catalogs.
func DetectOSM2pgsql(ctx context.Context, q Querier) (*File, []string, error) {
	rows, err := q.Query(ctx, `SELECT n.nspname, c.relname,
		EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tags' AND NOT a.attisdropped)
		FROM unnest($1::text[]) AS t(name)
		JOIN pg_class c ON c.oid = to_regclass(t.name) JOIN pg_namespace n ON n.oid = c.relnamespace`, OSM2pgsqlTables)
	if err != nil {
		return nil, nil, fmt.Errorf("config: look for osm2pgsql tables: %w", err)
	}
	found := map[string]string{}
	tags := false
	var used []string
	for rows.Next() {
		var schema, name string
		var t bool
		if err := rows.Scan(&schema, &name, &t); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("config: look for osm2pgsql tables: %w", err)
		}
		found[name] = pgx.Identifier{schema, name}.Sanitize()
		used = append(used, schema+"."+name)
		tags = tags || t && name == "planet_osm_line"
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("config: look for osm2pgsql tables: %w", err)
	}
	if found["planet_osm_line"] == "" || found["planet_osm_point"] == "" || found["planet_osm_polygon"] == "" {
		return nil, nil, nil
	}
	var levels []int
	rows, err = q.Query(ctx, `SELECT DISTINCT admin_level::int FROM `+found["planet_osm_polygon"]+`
		WHERE boundary = 'administrative' AND admin_level ~ '^[0-9]+$' ORDER BY 1`)
	if err != nil {
		return nil, nil, fmt.Errorf("config: osm2pgsql admin levels: %w", err)
	}
	for rows.Next() {
		var l int
		if err := rows.Scan(&l); err != nil {
			rows.Close()
			return nil, nil, err
		}
		levels = append(levels, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("config: osm2pgsql admin levels: %w", err)
	}
	f, err := Parse(OSM2pgsql(found["planet_osm_point"], found["planet_osm_line"], found["planet_osm_polygon"], tags, levels))
	if err != nil {
		return nil, nil, fmt.Errorf("config: the osm2pgsql profile: %w", err)
	}
	sort.Strings(used)
	return f, used, nil
}

// OSM2pgsql is the built-in profile over osm2pgsql's tables (quoted
// names), as onemap.toml text: roads with class, one-way and speed
// (maxspeed from the tags hstore when imported with --hstore, else by
// highway class), buildings, water, landuse, administrative boundaries as
// the grid hierarchy (the coarsest admin_level present as the district,
// the finest as grids, parents by containment; the parts osm2pgsql
// splits a multipolygon into are collected again), and fire stations,
// schools, hospitals and elderly care (amenity=nursing_home or
// social_facility) from points and areas alike.
func OSM2pgsql(point, line, polygon string, tags bool, adminLevels []int) string {
	var b strings.Builder
	b.WriteString("# onemap's built-in profile for osm2pgsql's default pgsql output (EPSG:3857, no --hstore),\n" +
		"# here for an extract with admin_level 2, 6 and 8. serve --db uses it by itself when it finds\n" +
		"# planet_osm_* tables and no --config; copy and edit it to change it. Regenerate this copy with\n" +
		"# go test ./layers/config -run TestExamples -update\n")
	var cls, spd []string
	var hw []string
	for _, d := range drivable {
		hw = append(hw, "'"+d.highway+"'")
		cls = append(cls, fmt.Sprintf("WHEN '%s' THEN '%s'", d.highway, d.class))
		spd = append(spd, fmt.Sprintf("WHEN '%s' THEN %d", d.highway, d.speed))
	}
	speed := "CASE highway " + strings.Join(spd, " ") + " END"
	if tags {
		speed = `coalesce(CASE WHEN tags->'maxspeed' ~ '^[0-9]+$' THEN (tags->'maxspeed')::float8
			WHEN tags->'maxspeed' ~ '^[0-9]+ ?mph$' THEN 1.609 * substring(tags->'maxspeed' from '^[0-9]+')::float8 END, ` + speed + `)`
	}
	fmt.Fprintf(&b, `
[[layers]]
role = "roads"
id = "osm_id"
sql = '''
SELECT osm_id, name, CASE highway %s END AS class,
	(%s)::float8 AS speed_kmh,
	oneway IN ('yes', 'true', '1', '-1') OR junction = 'roundabout' OR highway IN ('motorway', 'motorway_link') AS oneway,
	highway, ref,
	CASE WHEN oneway = '-1' THEN ST_Reverse(way) ELSE way END AS way
FROM %s WHERE highway IN (%s)
'''
`, strings.Join(cls, " "), speed, line, strings.Join(hw, ", "))
	fmt.Fprintf(&b, `
[[layers]]
role = "buildings"
id = "osm_id"
sql = '''SELECT osm_id, min(building) AS use, min(name) AS name, ST_Multi(ST_Collect(way)) AS way FROM %s WHERE building IS NOT NULL AND building <> 'no' GROUP BY osm_id'''

[[layers]]
role = "water"
id = "osm_id"
sql = '''SELECT osm_id, min(name) AS name, min(coalesce("natural", waterway, landuse)) AS kind, ST_Multi(ST_Collect(way)) AS way FROM %[2]s WHERE "natural" = 'water' OR waterway = 'riverbank' OR landuse IN ('reservoir', 'basin') GROUP BY osm_id'''

[[layers]]
name = "landuse"
title_zh = "土地利用"
title_en = "Land use"
id = "osm_id"
minzoom = 10
sql = '''SELECT osm_id, min(landuse) AS landuse, min(name) AS name, ST_Multi(ST_Collect(way)) AS way FROM %[2]s WHERE landuse IS NOT NULL GROUP BY osm_id'''
`, polygon, polygon)
	facility := func(role, where, extra string) {
		fmt.Fprintf(&b, `
[[layers]]
role = "%s"
id = "fid"
sql = '''
SELECT osm_id * 2 AS fid, name, amenity%[3]s, way FROM %[4]s WHERE %[2]s
UNION ALL
SELECT osm_id * 2 + 1, name, amenity%[3]s, ST_PointOnSurface(way) FROM %[5]s WHERE %[2]s
'''
`, role, where, extra, point, polygon)
	}
	facility("fire_stations", "amenity = 'fire_station'", "")
	facility("schools", "amenity = 'school'", "")
	facility("hospitals", "amenity = 'hospital'", "")
	facility("elderly_care", "amenity IN ('nursing_home', 'social_facility')", "")
	roles := hierarchyRoles(adminLevels)
	for i, r := range roles {
		parent := "NULL::text"
		if i > 0 {
			parent = fmt.Sprintf(`(SELECT 'osm' || p.osm_id FROM %s p WHERE p.boundary = 'administrative' AND p.admin_level = '%d'
	AND ST_Contains(p.way, ST_PointOnSurface(u.way)) ORDER BY p.way_area LIMIT 1)`, polygon, roles[i-1].level)
		}
		fmt.Fprintf(&b, `
[[layers]]
role = "%[1]s"
id = "osm_id"
sql = '''
WITH u AS (SELECT osm_id, min(name) AS name, min(admin_level) AS admin_level, ST_Multi(ST_Collect(way)) AS way
	FROM %[3]s WHERE boundary = 'administrative' AND admin_level = '%[4]d' GROUP BY osm_id)
SELECT u.osm_id, 'osm' || u.osm_id AS code, u.name, %[2]s AS parent_code, u.admin_level, u.way FROM u
'''
`, r.role, parent, polygon, r.level)
	}
	return b.String()
}

type levelRole struct {
	role  string
	level int
}

// hierarchyRoles assigns OSM admin levels (ascending) to onemap's four:
// the coarsest is the district, the finest the grids, the next coarsest
// streets and then communities when there are more.
func hierarchyRoles(levels []int) []levelRole {
	switch n := len(levels); {
	case n == 0:
		return nil
	case n == 1:
		return []levelRole{{"grids", levels[0]}}
	case n == 2:
		return []levelRole{{"districts", levels[0]}, {"grids", levels[1]}}
	case n == 3:
		return []levelRole{{"districts", levels[0]}, {"streets", levels[1]}, {"grids", levels[2]}}
	default:
		return []levelRole{{"districts", levels[0]}, {"streets", levels[1]}, {"communities", levels[2]}, {"grids", levels[n-1]}}
	}
}
