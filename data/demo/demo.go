package demo

import (
	"math"
	"math/rand/v2"

	"github.com/onemap/onemap/data"

	"github.com/onemap/onemap/layers"
	"github.com/paulmach/orb"
)

// DefaultSeed is the seed of the embedded demo district.
const DefaultSeed int64 = 20261122

// Options configures Generate.
type Options struct {
	// Seed selects the district; zero means DefaultSeed.
	Seed int64
}

// The demo district's frame: a raster of cellDeg° cells whose corners are
// exact multiples of cellDeg from (lonMin, latMin). Every admin polygon is a
// union of these cells, so shared boundaries are bit-identical.
const (
	lonMin  = 113.995
	latMin  = 22.495
	cellDeg = 0.0005
	nx      = 220 // columns
	ny      = 180 // rows
	// metres per degree near lat 22.54°
	mLon = 102800.0
	mLat = 110580.0

	demoYear     = 2026
	districtCode = "440304"
)

// Generate builds the demo district; the same options give the same bytes.
func Generate(opt Options) *data.District {
	if opt.Seed == 0 {
		opt.Seed = DefaultSeed
	}
	return generate(opt, futian())
}

// generate builds one district of the given size and codes.
func generate(opt Options, sz size) *data.District {
	g := &gen{opt: opt, sz: sz, layers: map[string][]layers.Feature{}}
	g.land()
	g.roads()
	g.admin()
	g.buildings()
	g.tables()
	g.facilities()
	g.adminFeatures()
	return &data.District{
		Name:       sz.name,
		NameEN:     sz.nameEN,
		Synthetic:  true,
		Year:       demoYear,
		Layers:     g.layers,
		Ages:       g.ages,
		Groups:     g.groups,
		Births:     g.births,
		Catchments: g.catchRows,
		Enrolment:  g.enrol,
		Housing:    g.housing,
	}
}

// gen holds the generator's working state. It lives for one Generate call.
type gen struct {
	opt    Options
	sz     size
	layers map[string][]layers.Feature

	// land, per cell (index iy*nx+ix)
	inD   []bool
	zone  []zone
	dens  []float64 // resident weight
	flo   []float64 // floating weight
	jobsW []float64
	elev  []float64
	nIn   int
	cellA []float64 // geodesic area of a cell in each row, m²
	shape landShape

	// admin: labels per cell (-1 outside), units per level
	streetOf, commOf, gridOf []int32
	streets, comms, grids    []unit

	// roads
	rd roadNet

	// buildings (metric rings) and their grid
	blds []building

	// tables
	ages        []data.AgeRow
	groups      []data.GroupRow
	births      []data.BirthRow
	catchRows   []data.CatchmentRow
	enrol       []data.EnrolmentRow
	housing     []data.HousingProject
	primOf      []int32 // primary catchment of each grid
	junOf       []int32 // junior catchment of each primary catchment
	nPrim       int
	nJun        int
	seats       []int // per school (primary then junior)
	schoolNames []string
	nodeNames   []string // per road node, built on first use
}

// size is what a district is called and how many people, cameras and
// buildings it holds; futian() is the demo district's.
type size struct {
	code, name, nameEN  string
	residents, floating int     // base totals (a seeded few thousand are added)
	cameras             int     // camera channels
	frontage            float64 // scale of building frontages and gaps (1: the demo's)
}

// futian is the demo district's size.
func futian() size {
	return size{code: districtCode, name: "福田示范区", nameEN: "Futian Demo District",
		residents: 1_548_000, floating: 612_000, cameras: 3000, frontage: 1}
}

// rng returns an independent deterministic stream for one part of the
// generator, so refining one part does not reshuffle the others.
func (g *gen) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.opt.Seed), stream*0x9E3779B97F4A7C15+1))
}

// ll converts metric frame coordinates to lon/lat.
func ll(x, y float64) orb.Point { return orb.Point{lonMin + x/mLon, latMin + y/mLat} }

// corner is the lon/lat of raster corner (ix, iy).
func corner(ix, iy int) orb.Point {
	return orb.Point{lonMin + float64(ix)*cellDeg, latMin + float64(iy)*cellDeg}
}

const (
	cellW = cellDeg * mLon
	cellH = cellDeg * mLat
)

// cellCentre is the metric centre of cell c.
func cellCentre(c int) (float64, float64) {
	return (float64(c%nx) + 0.5) * cellW, (float64(c/nx) + 0.5) * cellH
}

// cellAtXY is the cell containing metric point (x, y), or -1 outside the raster.
func cellAtXY(x, y float64) int {
	return cellAtLL(ll(x, y))
}

// cellAtLL is the cell containing lon/lat p, or -1 outside the raster.
func cellAtLL(p orb.Point) int {
	ix := int(math.Floor((p[0] - lonMin) / cellDeg))
	iy := int(math.Floor((p[1] - latMin) / cellDeg))
	if ix < 0 || iy < 0 || ix >= nx || iy >= ny {
		return -1
	}
	return iy*nx + ix
}

// gridAtXY is the grid index containing metric point (x, y), or -1.
func (g *gen) gridAtXY(x, y float64) int {
	c := cellAtXY(x, y)
	if c < 0 {
		return -1
	}
	return int(g.gridOf[c])
}
