package tiles

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Sample lists up to perZoom tiles at each zoom from minZ to maxZ that
// cover b, spread evenly over the covering range in row-major order. The
// list depends only on its arguments.
func Sample(b orb.Bound, minZ, maxZ maptile.Zoom, perZoom int) []maptile.Tile {
	var out []maptile.Tile
	for z := minZ; z <= maxZ; z++ {
		nw := maptile.At(orb.Point{b.Min[0], b.Max[1]}, z)
		se := maptile.At(orb.Point{b.Max[0], b.Min[1]}, z)
		w, h := int(se.X-nw.X)+1, int(se.Y-nw.Y)+1
		n := w * h
		k := min(perZoom, n)
		for i := 0; i < k; i++ {
			j := i * n / k
			if k < n {
				j += n / (2 * k) // centre each pick in its stride
			}
			out = append(out, maptile.New(nw.X+uint32(j%w), nw.Y+uint32(j/w), z))
		}
	}
	return out
}

// PostGISSQL is the query that makes the same tile of one layer with
// PostGIS, as pg_tileserv and Martin do: ST_AsMVTGeom with extent 4096 and
// buffer 64 over the rows whose geometry meets the buffered tile, encoded
// by ST_AsMVT with the id column as feature id. Its arguments are z, x, y.
// The layer's table is its name, with columns id, geom (SRID 4326) and one
// per field, as onemap's PostGIS source has them.
func PostGISSQL(s layers.Schema) string {
	var cols strings.Builder
	for _, f := range s.Fields {
		cols.WriteString(pgx.Identifier{f.Name}.Sanitize())
		cols.WriteString(", ")
	}
	return fmt.Sprintf(`SELECT COALESCE((SELECT ST_AsMVT(q, %s, 4096, 'geom', 'id') FROM (
  SELECT id, %sST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom
  FROM %s
  WHERE geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0/4096), 4326)
) q WHERE geom IS NOT NULL), ''::bytea)`,
		quoteLiteral(s.Name), cols.String(), pgx.Identifier{s.Name}.Sanitize())
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// PostGISTile renders tile t of the layers with PostGIS: one ST_AsMVT per
// layer in its zoom range, concatenated (MVT layers concatenate).
func PostGISTile(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, schemas []layers.Schema, t maptile.Tile) ([]byte, error) {
	var out []byte
	for _, s := range schemas {
		if int(t.Z) < s.MinZoom || int(t.Z) > s.MaxZoom {
			continue
		}
		var b []byte
		if err := q.QueryRow(ctx, PostGISSQL(s), int(t.Z), int(t.X), int(t.Y)).Scan(&b); err != nil {
			return nil, fmt.Errorf("tiles: postgis %s %d/%d/%d: %w", s.Name, t.Z, t.X, t.Y, err)
		}
		out = append(out, b...)
	}
	return out, nil
}

// BenchRow is one tile of a benchmark: mean render time by onemap
// (uncached) and by PostGIS, and the features each tile holds.
type BenchRow struct {
	Layers          string
	Tile            maptile.Tile
	Onemap, PostGIS time.Duration
	OnemapFeatures  int
	PostGISFeatures int
}

// BenchReport sums up a benchmark run.
type BenchReport struct {
	Rows                   []BenchRow
	OnemapMean             time.Duration
	PostGISMean            time.Duration
	OnemapP50, OnemapP99   time.Duration
	PostGISP50, PostGISP99 time.Duration
	// Ratio is PostGIS's mean time per tile over onemap's.
	Ratio float64
}

// BenchPostGIS renders every tile of list for every layer set with onemap
// (Render with Prepared options, no tile cache) and with PostGIS ST_AsMVT
// (PostGISTile) on the same data in the same run, once to warm up and then
// reps times each, and writes a per-tile table and a
// summary to w. The catalog must hold what the database's layer tables
// hold (as after `onemap load`); the row counts are checked first. Layer
// sets name catalog layers.
func BenchPostGIS(ctx context.Context, pool *pgxpool.Pool, cat *layers.Catalog, sets [][]string, list []maptile.Tile, reps int, w io.Writer) (BenchReport, error) {
	var rep BenchReport
	if reps < 1 {
		reps = 1
	}
	checked := map[string]bool{}
	resolved := make([][]*layers.Layer, len(sets))
	for i, set := range sets {
		for _, name := range set {
			l, ok := cat.Layer(name)
			if !ok {
				return rep, fmt.Errorf("tiles: bench: unknown layer %q", name)
			}
			resolved[i] = append(resolved[i], l)
			if checked[name] {
				continue
			}
			var n int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{name}.Sanitize()).Scan(&n); err != nil {
				return rep, fmt.Errorf("tiles: bench: table %s: %w", name, err)
			}
			if n != l.Snapshot().Len() {
				return rep, fmt.Errorf("tiles: bench: table %s has %d rows, the catalog %d features: not the same data", name, n, l.Snapshot().Len())
			}
			checked[name] = true
		}
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return rep, fmt.Errorf("tiles: bench: %w", err)
	}
	defer conn.Release()

	// onemap renders as the server does (features' Mercator geometry
	// prepared once); each side renders every tile once untimed first, so
	// both are measured warm.
	o := DefaultOptions().Prepared()
	fmt.Fprintf(w, "%-40s %-16s %12s %12s %8s %9s\n", "layers", "tile", "onemap", "postgis", "ratio", "features")
	var oms, pgs []time.Duration
	var omSum, pgSum time.Duration
	for i, set := range sets {
		srcs := make([]Source, len(resolved[i]))
		schemas := make([]layers.Schema, len(resolved[i]))
		for j, l := range resolved[i] {
			// The same layers on both sides: the label points onemap adds
			// to a labelled layer's tiles have no counterpart in the tables
			// ST_AsMVT reads, so they are left out of the comparison.
			s := l.Schema
			s.Labels = false
			srcs[j] = Source{Schema: s, Snapshot: l.Snapshot()}
			schemas[j] = s
		}
		name := strings.Join(set, ",")
		for _, t := range list {
			row := BenchRow{Layers: name, Tile: t}
			ours, err := o.Render(srcs, t)
			if err != nil {
				return rep, err
			}
			theirs, err := PostGISTile(ctx, conn, schemas, t)
			if err != nil {
				return rep, err
			}
			start := time.Now()
			for r := 0; r < reps; r++ {
				if ours, err = o.Render(srcs, t); err != nil {
					return rep, err
				}
			}
			row.Onemap = time.Since(start) / time.Duration(reps)
			start = time.Now()
			for r := 0; r < reps; r++ {
				if theirs, err = PostGISTile(ctx, conn, schemas, t); err != nil {
					return rep, err
				}
			}
			row.PostGIS = time.Since(start) / time.Duration(reps)
			row.OnemapFeatures = countFeatures(ours)
			row.PostGISFeatures = countFeatures(theirs)
			rep.Rows = append(rep.Rows, row)
			oms = append(oms, row.Onemap)
			pgs = append(pgs, row.PostGIS)
			omSum += row.Onemap
			pgSum += row.PostGIS
			fmt.Fprintf(w, "%-40s %-16s %12v %12v %7.1fx %4d/%-4d\n", clip40(name), fmt.Sprintf("%d/%d/%d", t.Z, t.X, t.Y),
				row.Onemap.Round(time.Microsecond), row.PostGIS.Round(time.Microsecond),
				float64(row.PostGIS)/math.Max(1, float64(row.Onemap)), row.OnemapFeatures, row.PostGISFeatures)
		}
	}
	if n := len(oms); n > 0 {
		rep.OnemapMean = omSum / time.Duration(n)
		rep.PostGISMean = pgSum / time.Duration(n)
		rep.Ratio = float64(pgSum) / math.Max(1, float64(omSum))
		rep.OnemapP50, rep.OnemapP99 = Quantile(oms, 0.5), Quantile(oms, 0.99)
		rep.PostGISP50, rep.PostGISP99 = Quantile(pgs, 0.5), Quantile(pgs, 0.99)
	}
	fmt.Fprintf(w, "\n%d tiles × %d layer sets, %d reps each\n", len(list), len(sets), reps)
	fmt.Fprintf(w, "onemap  (uncached): mean %v  p50 %v  p99 %v\n", rep.OnemapMean.Round(time.Microsecond), rep.OnemapP50.Round(time.Microsecond), rep.OnemapP99.Round(time.Microsecond))
	fmt.Fprintf(w, "PostGIS ST_AsMVT:   mean %v  p50 %v  p99 %v\n", rep.PostGISMean.Round(time.Microsecond), rep.PostGISP50.Round(time.Microsecond), rep.PostGISP99.Round(time.Microsecond))
	fmt.Fprintf(w, "onemap is %.1f× faster per tile (PostGIS mean / onemap mean)\n", rep.Ratio)
	return rep, nil
}

func clip40(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// countFeatures counts the features of a tile (-1 when it does not decode).
func countFeatures(b []byte) int {
	ls, err := Decode(b)
	if err != nil {
		return -1
	}
	n := 0
	for _, l := range ls {
		n += len(l.Features)
	}
	return n
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of durations by the
// nearest-rank method; zero for none.
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
