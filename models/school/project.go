package school

import (
	"fmt"
	"sort"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// MaxYears is the longest projection.
const MaxYears = 10

// NoSeatsPressure is the pressure reported when there is demand but no seat.
const NoSeatsPressure = 99.0

// Options choose what Project returns.
type Options struct {
	// Years ahead to project, 1–MaxYears.
	Years int
	// Scenario labels the result (default "baseline").
	Scenario string
	// Intervals, when set, give catchment and district points a prediction
	// interval (Point.Low, Point.High): demand × the band of the lead (see
	// Calibrate).
	Intervals *Intervals
}

// Result is a projection: series per catchment, street and district.
type Result struct {
	Scenario string `json:"scenario"`
	// Method is the estimation method used (see Methods).
	Method   string `json:"method"`
	BaseYear int    `json:"base_year"`
	Years    []int  `json:"years"`
	// Catchments, Streets and District hold one series per unit and level.
	Catchments []Series `json:"catchments"`
	Streets    []Series `json:"streets"`
	District   []Series `json:"district"`
}

// Series is one unit's projection for one level.
type Series struct {
	Kind  string `json:"kind"` // catchment | street | district
	Code  string `json:"code"`
	Name  string `json:"name,omitempty"`
	Level string `json:"level"`
	// FirstGrade is the grade of Grades[0] in each point.
	FirstGrade int `json:"first_grade"`
	// Ratios are the fitted ratios (catchments only).
	Ratios *Ratios `json:"ratios,omitempty"`
	// History is the recorded enrolment of past years (catchments and
	// district), with the seats of the base year.
	History []Point `json:"history,omitempty"`
	// Points are the projected years.
	Points []Point `json:"points"`
}

// Ratios are a catchment's fitted ratios.
type Ratios struct {
	// Entry is the birth-to-intake ratio (primary) or the grade-6-to-7
	// transition ratio (junior); Progression[i] takes grade first+i to
	// first+i+1.
	Entry       float64   `json:"entry"`
	Progression []float64 `json:"progression"`
	// Pooled is true when the catchment had no usable history and took the
	// district's ratios.
	Pooled bool `json:"pooled,omitempty"`
}

// Point is one year of a series. Gap = Demand − Seats (positive: places
// short); Pressure = Demand/Seats.
type Point struct {
	Year     int       `json:"year"`
	Grades   []float64 `json:"grades"`
	Demand   float64   `json:"demand"`
	Housing  float64   `json:"housing"` // the part of Demand from new housing
	Seats    int       `json:"seats"`
	Gap      float64   `json:"gap"`
	Pressure float64   `json:"pressure"`
	Warning  string    `json:"warning"`
	// Low and High bound the prediction interval of Demand (with
	// Options.Intervals).
	Low  float64 `json:"low,omitempty"`
	High float64 `json:"high,omitempty"`
}

// band sets the point's interval from the bands of lead h.
func (p *Point) band(bs []Band, h int) {
	if b, ok := bandFor(bs, h, p.Demand); ok {
		p.Low, p.High = b.Low*p.Demand, b.High*p.Demand
	}
}

func (p *Point) finish(t Thresholds) {
	p.Demand = floats.Sum(p.Grades)
	p.Gap = p.Demand - float64(p.Seats)
	switch {
	case p.Seats > 0:
		p.Pressure = p.Demand / float64(p.Seats)
	case p.Demand > 0:
		p.Pressure = NoSeatsPressure
	}
	p.Warning = t.Warning(p.Pressure)
}

// Project validates in and projects it opt.Years ahead.
func Project(in *Input, opt Options) (*Result, error) {
	if opt.Years < 1 || opt.Years > MaxYears {
		return nil, bad("years", "%d outside 1–%d", opt.Years, MaxYears)
	}
	idx, err := in.check()
	if err != nil {
		return nil, err
	}
	return project(in, idx, opt)
}

// chooseMethod is in with MethodAuto replaced by the method a rolling
// backtest chooses.
func chooseMethod(in *Input) (*Input, error) {
	r, err := RunRolling(in, RollingOptions{Methods: Candidates()})
	if err != nil {
		return nil, fmt.Errorf("method auto: %w", err)
	}
	out := *in
	out.Policy = in.Policy.withDefaults()
	out.Policy.Method = r.Chosen
	return &out, nil
}

// project runs a checked input.
func project(in *Input, idx *index, opt Options) (*Result, error) {
	if opt.Scenario == "" {
		opt.Scenario = "baseline"
	}
	if in.Policy.Method == MethodAuto {
		var err error
		if in, err = chooseMethod(in); err != nil {
			return nil, err
		}
	}
	return compile(in, idx).project(opt)
}

// compiled is an input indexed for computation.
type compiled struct {
	in      *Input
	pol     Policy
	base    int
	popYear int
	nGrid   int
	gridIdx map[string]int
	street  []int // grid → street index
	streets []string
	res, fl []float64 // grid*18 + age
	// births[g*nb + y-b0] for recorded years b0..b1; flat[g] holds the
	// recency-weighted mean used for unrecorded years.
	b0, b1, nb int
	births     []float64
	flat       []float64
	levels     []*level
	intervals  *Intervals
}

type level struct {
	name        string
	first, ng   int
	codes       []string
	names       []string
	idx         map[string]int
	member      []int     // grid → catchment at the base year (−1: none)
	moves       []move    // moves into this level's catchments, by year
	transfers   []move    // catchment c's pupils go to catchment to in year (closures)
	schools     [][]int   // catchment → school indices
	y0, ny      int       // enrolment years y0 … base
	enr         []float64 // (c*ny + y-y0)*ng + grade-first
	has         []bool
	weight      []float64 // grid → children of the level's ages
	entry       []float64 // fitted ratios per catchment
	entrySlope  []float64 // MethodDamped: the intake ratio's yearly trend
	prog        [][]float64
	pooled      []bool
	needed      bool // the entry ratio is needed (primary: births recorded)
	distEntry   float64
	distProg    []float64
	proj        [][]float64 // h → c*ng + g: cohort part (h = 0: base year)
	housing     [][]float64 // h → c*ng + g: housing part
	memberAt    [][]int     // h → grid → catchment
	feedAt      [][]feed    // junior: h → J → feeding primary shares
	seatsAt     [][]int     // h → catchment seats
	streetShare [][][]share // h → catchment → its children's shares by street
}

type move struct{ g, c, to, year int }

type feed struct {
	p     int
	share float64
}

type share struct {
	street int
	w      float64
}

func (l *level) at(c, y, g int) (float64, bool) {
	if y < l.y0 || y >= l.y0+l.ny {
		return 0, false
	}
	i := (c*l.ny+y-l.y0)*l.ng + g
	return l.enr[i], l.has[i]
}

func compile(in *Input, idx *index) *compiled {
	m := &compiled{in: in, pol: in.Policy.withDefaults(), base: in.Year, popYear: in.PopulationYear}
	if m.popYear == 0 {
		m.popYear = in.Year
	}
	m.nGrid = len(in.Grids)
	m.gridIdx = idx.grid
	m.street = make([]int, m.nGrid)
	streetIdx := map[string]int{}
	for i, g := range in.Grids {
		s, ok := streetIdx[g.Street]
		if !ok {
			s = len(m.streets)
			streetIdx[g.Street] = s
			m.streets = append(m.streets, g.Street)
		}
		m.street[i] = s
	}
	m.res = make([]float64, m.nGrid*18)
	m.fl = make([]float64, m.nGrid*18)
	for i, r := range in.Population {
		g := int(idx.popGrid[i])
		m.res[g*18+r.Age] += float64(r.Residents)
		m.fl[g*18+r.Age] += float64(r.Floating)
	}
	cls, _ := in.closures() // checked by Validate
	for _, name := range []string{Primary, Junior} {
		m.levels = append(m.levels, m.compileLevel(name, cls))
	}
	m.compileBirths(idx)
	return m
}

func (m *compiled) compileBirths(idx *index) {
	in := m.in
	m.b0, m.b1 = 0, -1
	for i, r := range in.Births {
		if i == 0 || r.Year < m.b0 {
			m.b0 = r.Year
		}
		if i == 0 || r.Year > m.b1 {
			m.b1 = r.Year
		}
	}
	m.nb = m.b1 - m.b0 + 1
	m.births = make([]float64, m.nGrid*m.nb)
	shares := m.areaShares(idx.areas)
	for i, r := range in.Births {
		g := int(idx.birthGrid[i])
		if g >= 0 {
			m.births[g*m.nb+r.Year-m.b0] += float64(r.Births)
			continue
		}
		for _, sh := range shares[-1-g] {
			m.births[sh.street*m.nb+r.Year-m.b0] += sh.w * float64(r.Births)
		}
	}
	m.flat = make([]float64, m.nGrid)
	xs := make([]float64, 0, len(m.pol.HistoryWeights))
	ws := make([]float64, 0, len(m.pol.HistoryWeights))
	for g := range m.nGrid {
		xs, ws = xs[:0], ws[:0]
		for i, w := range m.pol.HistoryWeights {
			if i >= m.nb {
				break
			}
			xs = append(xs, m.births[g*m.nb+m.nb-1-i])
			ws = append(ws, w)
		}
		if floats.Sum(ws) > 0 {
			m.flat[g] = stat.Mean(xs, ws)
		}
	}
}

// areaShares apportions each area's births to its grids (share.street
// holds the grid): by children aged 0, else by the first-grade pupils of
// the grid's primary catchment over its last three recorded years shared
// by the catchment's grids in the area, else equally. See BirthRow.
func (m *compiled) areaShares(areas [][]int) [][]share {
	prim := m.levels[0]
	entry := make([]float64, len(prim.codes))
	for c := range prim.codes {
		for y := m.base - 2; y <= m.base; y++ {
			v, _ := prim.at(c, y, 0)
			entry[c] += v
		}
	}
	out := make([][]share, len(areas))
	for k, gs := range areas {
		w := make([]float64, len(gs))
		tot := 0.0
		for i, g := range gs {
			w[i] = m.res[g*18] + m.fl[g*18]
			tot += w[i]
		}
		if tot == 0 {
			n := map[int]int{}
			for _, g := range gs {
				n[prim.member[g]]++
			}
			for i, g := range gs {
				if c := prim.member[g]; c >= 0 {
					w[i] = entry[c] / float64(n[c])
					tot += w[i]
				}
			}
		}
		for i := range gs {
			x := 1.0 / float64(len(gs))
			if tot > 0 {
				x = w[i] / tot
			}
			if x > 0 {
				out[k] = append(out[k], share{street: gs[i], w: x})
			}
		}
	}
	return out
}

// birthsIn is grid g's births in year y: recorded, or the flat mean for
// years after (or before) the records when project is true.
func (m *compiled) birthsIn(g, y int, project bool) (float64, bool) {
	if y >= m.b0 && y <= m.b1 {
		return m.births[g*m.nb+y-m.b0], true
	}
	if project && m.nb > 0 {
		return m.flat[g], true
	}
	return 0, false
}

// floatingAt is grid g's floating children of the given age in year y: the
// cohort that is that age in y, read from the population table.
func (m *compiled) floatingAt(g, y, age int) float64 {
	a := age + m.popYear - y
	a = max(0, min(17, a))
	return m.fl[g*18+a]
}

func (m *compiled) compileLevel(name string, cls []closure) *level {
	in := m.in
	l := &level{name: name, idx: map[string]int{}}
	first, last := m.pol.GradeSpan(name)
	l.first, l.ng = first, last-first+1
	l.member = make([]int, m.nGrid)
	for i := range l.member {
		l.member[i] = -1
	}
	// A catchment closed by the base year is merged into the one its pupils
	// went to (following chains of closures).
	merged := map[string]string{}
	future := map[string]closure{}
	for _, cl := range cls {
		switch {
		case cl.To == "":
		case cl.Year <= m.base:
			merged[cl.Catchment] = cl.To
		default:
			future[cl.Catchment] = cl
		}
	}
	home := func(code string) string {
		for range len(merged) + 1 {
			to, ok := merged[code]
			if !ok {
				break
			}
			code = to
		}
		return code
	}
	for _, c := range in.Catchments {
		if c.Level != name || merged[c.Code] != "" {
			continue
		}
		l.idx[c.Code] = len(l.codes)
		l.codes = append(l.codes, c.Code)
		l.names = append(l.names, c.Name)
	}
	for _, c := range in.Catchments {
		if c.Level != name {
			continue
		}
		ci := l.idx[home(c.Code)]
		for _, g := range c.Grids {
			l.member[m.gridIdx[g]] = ci
		}
	}
	for _, c := range in.Catchments {
		cl, ok := future[c.Code]
		if c.Level != name || !ok {
			continue
		}
		from, to := l.idx[c.Code], l.idx[home(cl.To)]
		l.transfers = append(l.transfers, move{c: from, to: to, year: cl.Year})
		for g, ci := range l.member {
			if ci == from {
				l.moves = append(l.moves, move{g: g, c: to, year: cl.Year})
			}
		}
	}
	nc := len(l.codes)
	for _, mv := range in.Moves {
		if c, ok := l.idx[home(mv.To)]; ok {
			l.moves = append(l.moves, move{g: m.gridIdx[mv.Grid], c: c, year: mv.Year})
		}
	}
	sort.SliceStable(l.moves, func(i, j int) bool { return l.moves[i].year < l.moves[j].year })
	l.schools = make([][]int, nc)
	schoolCatch := map[int64]int{}
	for i, s := range in.Schools {
		if s.Level != name {
			continue
		}
		c := l.idx[home(s.Catchment)]
		l.schools[c] = append(l.schools[c], i)
		schoolCatch[s.ID] = c
	}
	l.y0 = m.base
	for _, r := range in.Enrolment {
		if _, ok := schoolCatch[r.School]; ok && r.Year < l.y0 {
			l.y0 = r.Year
		}
	}
	l.ny = m.base - l.y0 + 1
	l.enr = make([]float64, nc*l.ny*l.ng)
	l.has = make([]bool, len(l.enr))
	for _, r := range in.Enrolment {
		c, ok := schoolCatch[r.School]
		if !ok {
			continue
		}
		i := (c*l.ny+r.Year-l.y0)*l.ng + r.Grade - first
		l.enr[i] += float64(r.Pupils)
		l.has[i] = true
	}
	// Children of the level's ages per grid: weights for feeder shares and
	// street allocation.
	lo := m.pol.AdmissionAge + first - 1
	hi := m.pol.AdmissionAge + last - 1
	l.weight = make([]float64, m.nGrid)
	for g := range m.nGrid {
		for a := max(0, lo); a <= min(17, hi); a++ {
			l.weight[g] += m.res[g*18+a] + m.fl[g*18+a]
		}
	}
	return l
}

// membership returns the level's grid → catchment map in year y.
func (l *level) membership(y int) []int {
	if len(l.moves) == 0 || l.moves[0].year > y {
		return l.member
	}
	mem := append([]int(nil), l.member...)
	for _, mv := range l.moves {
		if mv.year > y {
			break
		}
		mem[mv.g] = mv.c
	}
	return mem
}

func (m *compiled) project(opt Options) (*Result, error) {
	H := opt.Years
	res := &Result{Scenario: opt.Scenario, Method: m.pol.method(), BaseYear: m.base}
	for h := 1; h <= H; h++ {
		res.Years = append(res.Years, m.base+h)
	}
	m.intervals = opt.Intervals
	prim, jun := m.levels[0], m.levels[1]
	for _, l := range m.levels {
		m.prepare(l, H)
	}
	if err := m.fitPrimary(prim); err != nil {
		return nil, err
	}
	if err := m.fitJunior(jun, prim); err != nil {
		return nil, err
	}
	m.projectPrimary(prim, H)
	m.projectJunior(jun, prim, H)
	for _, l := range m.levels {
		m.projectHousing(l, H)
		m.series(l, H, res)
	}
	return res, nil
}
