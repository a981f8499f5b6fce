package school

import (
	"fmt"
	"sort"
)

// prepare computes the per-year membership, seats, feeder shares and street
// shares of a level for h = 0 … H.
func (m *compiled) prepare(l *level, H int) {
	nc := len(l.codes)
	l.memberAt = make([][]int, H+1)
	l.seatsAt = make([][]int, H+1)
	l.streetShare = make([][][]share, H+1)
	for h := 0; h <= H; h++ {
		y := m.base + h
		l.memberAt[h] = l.membership(y)
		seats := make([]int, nc)
		for c, ss := range l.schools {
			for _, i := range ss {
				seats[c] += m.in.Schools[i].SeatsIn(y)
			}
		}
		l.seatsAt[h] = seats
		if h > 0 && sameSlice(l.memberAt[h], l.memberAt[h-1]) {
			l.streetShare[h] = l.streetShare[h-1]
			continue
		}
		l.streetShare[h] = m.streetShares(l, l.memberAt[h])
	}
}

func sameSlice(a, b []int) bool { return len(a) > 0 && &a[0] == &b[0] }

// streetShares returns, per catchment, the share of its children of the
// level's ages living in each street (equal shares per grid when it has
// none recorded).
func (m *compiled) streetShares(l *level, mem []int) [][]share {
	nc := len(l.codes)
	tot := make([]float64, nc)
	cnt := make([]int, nc)
	for g, c := range mem {
		if c >= 0 {
			tot[c] += l.weight[g]
			cnt[c]++
		}
	}
	acc := map[[2]int]float64{}
	for g, c := range mem {
		if c < 0 {
			continue
		}
		w := 1.0 / float64(cnt[c])
		if tot[c] > 0 {
			w = l.weight[g] / tot[c]
		}
		acc[[2]int{c, m.street[g]}] += w
	}
	out := make([][]share, nc)
	for k, w := range acc {
		out[k[0]] = append(out[k[0]], share{street: k[1], w: w})
	}
	for c := range out {
		sort.Slice(out[c], func(i, j int) bool { return out[c][i].street < out[c][j].street })
	}
	return out
}

// fitPrimary fits each primary catchment's birth-to-intake and progression
// ratios, and the district's as the fallback.
func (m *compiled) fitPrimary(l *level) error {
	nc := len(l.codes)
	if nc == 0 || m.pol.method() == MethodPersistence {
		return nil
	}
	A := m.entryAge(l)
	f := m.pol.FloatingRate
	ws := m.historyWeights()
	entry := make([][]obs, nc)
	B := make([]float64, nc)
	F := make([]float64, nc)
	for i := range ws {
		y := m.base - i
		if y < l.y0 {
			break
		}
		clear(B)
		clear(F)
		recorded := true
		for g, c := range l.member {
			if c < 0 {
				continue
			}
			b, ok := m.birthsIn(g, y-A, false)
			if !ok {
				recorded = false
				break
			}
			B[c] += b
			F[c] += m.floatingAt(g, y, A)
		}
		if !recorded {
			continue
		}
		for c := range nc {
			e, ok := l.at(c, y, 0)
			if !ok || B[c] <= 0 {
				continue
			}
			entry[c] = append(entry[c], obs{i: i, num: e - f*F[c], den: B[c]})
		}
	}
	// The intake ratio is needed when there are births to admit.
	needed := false
	for g, c := range l.member {
		for y := m.b0; c >= 0 && y <= m.b1 && !needed; y++ {
			b, _ := m.birthsIn(g, y, false)
			needed = b > 0
		}
	}
	l.needed = needed
	if err := m.setEntry(l, entry, needed, func() error {
		return bad("births", "no year of the %s history has both grade %s pupils and the births %d years before recorded (births %s, enrolment %d–%d): the birth-to-intake ratio cannot be fitted",
			l.name, GradeName(l.first), A, m.birthYears(), l.y0, m.base)
	}); err != nil {
		return err
	}
	return m.fitProgression(l, needed)
}

// birthYears describes the recorded birth years.
func (m *compiled) birthYears() string {
	if m.nb <= 0 {
		return "none recorded"
	}
	return fmt.Sprintf("%d–%d", m.b0, m.b1)
}

// entryAge is the age at which children enter the level's first grade.
func (m *compiled) entryAge(l *level) int { return m.pol.AdmissionAge + l.first - 1 }

// fitJunior fits each junior catchment's primary-to-junior transition
// ratio over its feeder primaries, and its progression ratios.
func (m *compiled) fitJunior(l, prim *level) error {
	nc := len(l.codes)
	if nc == 0 || m.pol.method() == MethodPersistence {
		return nil
	}
	ws := m.historyWeights()
	fd := feeders(l, prim, l.member)
	entry := make([][]obs, nc)
	last := prim.ng - 1
	for i := range ws {
		y := m.base - i
		if len(prim.codes) == 0 || y-1 < prim.y0 || y < l.y0 {
			break
		}
		for c := range nc {
			e, ok := l.at(c, y, 0)
			if !ok {
				continue
			}
			var in float64
			seen := false
			for _, x := range fd[c] {
				v, ok := prim.at(x.p, y-1, last)
				if ok {
					seen = true
					in += x.share * v
				}
			}
			if !seen || in <= 0 {
				continue
			}
			entry[c] = append(entry[c], obs{i: i, num: e, den: in})
		}
	}
	// The transition ratio is needed when primary pupils are to move up.
	needed := false
	for c := range prim.codes {
		for g := range prim.ng {
			v, _ := prim.at(c, m.base, g)
			needed = needed || v > 0
		}
	}
	needed = needed || prim.needed
	if err := m.setEntry(l, entry, needed, func() error {
		return bad("enrolment", "no year has both junior grade %s pupils and primary grade %s pupils the year before: the primary-to-junior transition ratio cannot be fitted",
			GradeName(l.first), GradeName(prim.first+last))
	}); err != nil {
		return err
	}
	return m.fitProgression(l, needed)
}

// setEntry sets the level's entry ratios from the observed ones: the
// district's from all catchments' pooled by year, and each catchment's from
// its own history, pooled to the district ratio where it has none. When
// the ratio is needed but nothing fits it, it returns refuse().
func (m *compiled) setEntry(l *level, entry [][]obs, needed bool, refuse func() error) error {
	nc := len(entry)
	ws := m.historyWeights()
	d, ok := meanRatio(pooledYears(entry), ws)
	if !ok && needed {
		return refuse()
	}
	l.distEntry = d
	l.entry = make([]float64, nc)
	l.pooled = make([]bool, nc)
	l.entrySlope = nil
	if m.pol.method() == MethodDamped {
		l.entrySlope = make([]float64, nc)
	}
	for c := range nc {
		r, ok := meanRatio(entry[c], ws)
		if !ok {
			r, l.pooled[c] = d, true
		}
		l.entry[c] = r
		if l.entrySlope != nil && ok {
			if a, b, ok := trendLine(entry[c], ws); ok {
				l.entry[c], l.entrySlope[c] = a, b
			}
		}
	}
	return nil
}

// entryAt is catchment c's intake ratio h years ahead.
func (l *level) entryAt(c, h int) float64 {
	if l.entrySlope == nil {
		return l.entry[c]
	}
	return max(0, l.entry[c]+l.entrySlope[c]*dampedSum(h))
}

// fitProgression fits the grade-progression ratios E_g(y)/E_{g−1}(y−1),
// refusing a ratio the projection needs (a lower grade has pupils, or
// entryNeeded) that no catchment's history fits.
func (m *compiled) fitProgression(l *level, entryNeeded bool) error {
	nc := len(l.codes)
	ws := m.historyWeights()
	l.prog = make([][]float64, nc)
	for c := range nc {
		l.prog[c] = make([]float64, l.ng-1)
	}
	l.distProg = make([]float64, l.ng-1)
	per := make([][][]obs, l.ng-1)
	lower := entryNeeded // a grade below g has (or will have) pupils
	for g := 1; g < l.ng; g++ {
		per[g-1] = make([][]obs, nc)
		for c := range nc {
			if v, _ := l.at(c, m.base, g-1); v > 0 {
				lower = true
			}
		}
		for i := range ws {
			y := m.base - i
			if y-1 < l.y0 {
				break
			}
			for c := range nc {
				e, ok1 := l.at(c, y, g)
				p, ok2 := l.at(c, y-1, g-1)
				if !ok1 || !ok2 || p <= 0 {
					continue
				}
				per[g-1][c] = append(per[g-1][c], obs{i: i, num: e, den: p})
			}
		}
		d, ok := meanRatio(pooledYears(per[g-1]), ws)
		if !ok && lower {
			from, to := GradeName(l.first+g-1), GradeName(l.first+g)
			return bad("enrolment", "the %s grade %s to grade %s progression ratio cannot be fitted: no catchment recorded pupils in grade %s one year and in grade %s the next",
				l.name, from, to, from, to)
		}
		l.distProg[g-1] = d
		for c := range nc {
			r, ok := meanRatio(per[g-1][c], ws)
			if !ok {
				r = d
			}
			l.prog[c][g-1] = r
		}
	}
	if mt := m.pol.method(); (mt == MethodShrink || mt == MethodDamped) && l.ng > 1 {
		mc := shrinkFactors(per, l.distProg, ws, nc)
		for c := range nc {
			for g := range l.prog[c] {
				l.prog[c][g] = l.distProg[g] * mc[c]
			}
		}
	}
	return nil
}

// feeders returns, per junior catchment, the primary catchments whose
// children it admits and the share of each primary's school-age children
// living in it.
func feeders(jun, prim *level, jmem []int) [][]feed {
	np := len(prim.codes)
	tot := make([]float64, np)
	cnt := make([]int, np)
	for g, p := range prim.member {
		if p >= 0 {
			tot[p] += prim.weight[g]
			cnt[p]++
		}
	}
	acc := map[[2]int]float64{}
	for g, p := range prim.member {
		j := jmem[g]
		if p < 0 || j < 0 {
			continue
		}
		w := 1.0 / float64(cnt[p])
		if tot[p] > 0 {
			w = prim.weight[g] / tot[p]
		}
		acc[[2]int{j, p}] += w
	}
	out := make([][]feed, len(jun.codes))
	for k, w := range acc {
		out[k[0]] = append(out[k[0]], feed{p: k[1], share: w})
	}
	for j := range out {
		sort.Slice(out[j], func(a, b int) bool { return out[j][a].p < out[j][b].p })
	}
	return out
}

// projectPrimary runs the cohort projection of primary catchments.
func (m *compiled) projectPrimary(l *level, H int) {
	nc, ng := len(l.codes), l.ng
	A := m.entryAge(l)
	f := m.pol.FloatingRate
	l.proj = make([][]float64, H+1)
	l.proj[0] = baseYear(l)
	if m.persist(l, H) {
		return
	}
	B := make([]float64, nc)
	F := make([]float64, nc)
	for h := 1; h <= H; h++ {
		y := m.base + h
		cur := make([]float64, nc*ng)
		prev := l.proj[h-1]
		clear(B)
		clear(F)
		for g, c := range l.memberAt[h] {
			if c < 0 {
				continue
			}
			b, _ := m.birthsIn(g, y-A, true)
			B[c] += b
			F[c] += m.floatingAt(g, y, A)
		}
		for c := range nc {
			cur[c*ng] = max(0, l.entryAt(c, h)*m.entryFactor(l, c)*B[c]+f*F[c])
			for g := 1; g < ng; g++ {
				cur[c*ng+g] = l.prog[c][g-1] * prev[c*ng+g-1]
			}
		}
		l.transfer(cur, y)
		l.proj[h] = cur
	}
}

func (m *compiled) entryFactor(l *level, c int) float64 {
	if x, ok := m.pol.EntryFactors[l.codes[c]]; ok {
		return x
	}
	return m.pol.EntryFactor
}

// baseYear is the recorded enrolment of the base year, c*ng + g.
func baseYear(l *level) []float64 {
	nc, ng := len(l.codes), l.ng
	out := make([]float64, nc*ng)
	for c := range nc {
		for g := range ng {
			out[c*ng+g], _ = l.at(c, l.y0+l.ny-1, g)
		}
	}
	return out
}

// projectJunior runs the cohort projection of junior catchments, taking
// grade 7 from the projected grade 6 of their feeder primaries.
func (m *compiled) projectJunior(l, prim *level, H int) {
	nc, ng := len(l.codes), l.ng
	l.proj = make([][]float64, H+1)
	l.proj[0] = baseYear(l)
	if m.persist(l, H) {
		return
	}
	l.feedAt = make([][]feed, 0)
	var fd [][]feed
	last := prim.ng - 1
	for h := 1; h <= H; h++ {
		if h == 1 || !sameSlice(l.memberAt[h], l.memberAt[h-1]) {
			fd = feeders(l, prim, l.memberAt[h])
		}
		cur := make([]float64, nc*ng)
		prev := l.proj[h-1]
		pprev := prim.proj[h-1]
		for c := range nc {
			var in float64
			for _, x := range fd[c] {
				in += x.share * pprev[x.p*prim.ng+last]
			}
			cur[c*ng] = l.entryAt(c, h) * m.entryFactor(l, c) * in
			for g := 1; g < ng; g++ {
				cur[c*ng+g] = l.prog[c][g-1] * prev[c*ng+g-1]
			}
		}
		l.transfer(cur, m.base+h)
		l.proj[h] = cur
	}
}

// persist fills the projection with the base year's grades under
// MethodPersistence (closures still move pupils), reporting whether it did.
func (m *compiled) persist(l *level, H int) bool {
	if m.pol.method() != MethodPersistence {
		return false
	}
	for h := 1; h <= H; h++ {
		cur := append([]float64(nil), l.proj[h-1]...)
		l.transfer(cur, m.base+h)
		l.proj[h] = cur
	}
	return true
}

// transfer moves the pupils of catchments closing in year y to their
// receiving catchments.
func (l *level) transfer(cur []float64, y int) {
	for _, t := range l.transfers {
		if t.year != y {
			continue
		}
		for g := range l.ng {
			cur[t.to*l.ng+g] += cur[t.c*l.ng+g]
			cur[t.c*l.ng+g] = 0
		}
	}
}

// projectHousing computes the pupils of new housing beyond what the base
// year's enrolment already holds, spread evenly over the level's grades.
func (m *compiled) projectHousing(l *level, H int) {
	nc, ng := len(l.codes), l.ng
	l.housing = make([][]float64, H+1)
	l.housing[0] = make([]float64, nc*ng)
	for h := 1; h <= H; h++ {
		y := m.base + h
		cur := make([]float64, nc*ng)
		for _, p := range m.in.Housing {
			c := l.memberAt[h][m.gridIdx[p.Grid]]
			if c < 0 {
				continue
			}
			per := m.housingPupils(l.name, p, y) / float64(ng)
			for g := range ng {
				cur[c*ng+g] += per
			}
		}
		l.housing[h] = cur
	}
}

// housingPupils is the pupils of the level that project p adds in year y
// beyond the base year.
func (m *compiled) housingPupils(level string, p Housing, y int) float64 {
	types := make([]string, 0, len(p.Dwellings))
	for t := range p.Dwellings {
		types = append(types, t)
	}
	sort.Strings(types)
	var n float64
	for _, t := range types {
		n += float64(p.Dwellings[t]) * (m.pol.Yield(level, t, y-p.Completion) - m.pol.Yield(level, t, m.base-p.Completion))
	}
	return n
}
