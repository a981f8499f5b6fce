package school

// series appends the level's catchment, street and district series to res.
func (m *compiled) series(l *level, H int, res *Result) {
	nc, ng := len(l.codes), l.ng
	t := m.pol.Thresholds
	dist := Series{Kind: "district", Code: "district", Name: m.in.Name(), Level: l.name, FirstGrade: l.first}
	if nc == 0 {
		return
	}
	// History: recorded enrolment with the base year's seats.
	distHist := make([]Point, l.ny)
	for yi := range l.ny {
		distHist[yi] = Point{Year: l.y0 + yi, Grades: make([]float64, ng)}
	}
	for c := range nc {
		s := Series{Kind: "catchment", Code: l.codes[c], Name: l.names[c], Level: l.name, FirstGrade: l.first}
		if l.entry != nil {
			s.Ratios = &Ratios{Entry: l.entry[c], Progression: l.prog[c], Pooled: l.pooled[c]}
		}
		for yi := range l.ny {
			p := Point{Year: l.y0 + yi, Grades: make([]float64, ng), Seats: l.seatsAt[0][c]}
			any := false
			for g := range ng {
				v, ok := l.at(c, l.y0+yi, g)
				p.Grades[g] = v
				distHist[yi].Grades[g] += v
				any = any || ok
			}
			if any {
				p.finish(t)
				s.History = append(s.History, p)
			}
		}
		for h := 1; h <= H; h++ {
			p := Point{Year: m.base + h, Grades: make([]float64, ng), Seats: l.seatsAt[h][c]}
			for g := range ng {
				hv := l.housing[h][c*ng+g]
				p.Grades[g] = l.proj[h][c*ng+g] + hv
				p.Housing += hv
			}
			p.finish(t)
			if m.intervals != nil {
				p.band(m.intervals.Catchment, h)
			}
			s.Points = append(s.Points, p)
		}
		res.Catchments = append(res.Catchments, s)
	}
	seats0 := 0
	for _, x := range l.seatsAt[0] {
		seats0 += x
	}
	for yi := range distHist {
		distHist[yi].Seats = seats0
		distHist[yi].finish(t)
	}
	dist.History = distHist

	// Streets: cohort demand shared out by children; housing to its grid's
	// street; seats where the schools stand.
	ns := len(m.streets)
	streets := make([]Series, ns)
	for s := range ns {
		streets[s] = Series{Kind: "street", Code: m.streets[s], Level: l.name, FirstGrade: l.first}
	}
	for h := 1; h <= H; h++ {
		y := m.base + h
		pts := make([]Point, ns)
		for s := range pts {
			pts[s] = Point{Year: y, Grades: make([]float64, ng)}
		}
		shares := l.streetShare[h]
		for c := range nc {
			for _, sh := range shares[c] {
				for g := range ng {
					pts[sh.street].Grades[g] += sh.w * l.proj[h][c*ng+g]
				}
			}
			for _, i := range l.schools[c] {
				sc := m.in.Schools[i]
				st := -1
				if sc.Grid != "" {
					st = m.street[m.gridIdx[sc.Grid]]
				} else if len(shares[c]) > 0 {
					best := shares[c][0]
					for _, sh := range shares[c][1:] {
						if sh.w > best.w {
							best = sh
						}
					}
					st = best.street
				}
				if st >= 0 {
					pts[st].Seats += sc.SeatsIn(y)
				}
			}
		}
		for _, p := range m.in.Housing {
			gi := m.gridIdx[p.Grid]
			if l.memberAt[h][gi] < 0 {
				continue
			}
			n := m.housingPupils(l.name, p, y)
			st := m.street[gi]
			pts[st].Housing += n
			for g := range ng {
				pts[st].Grades[g] += n / float64(ng)
			}
		}
		dp := Point{Year: y, Grades: make([]float64, ng)}
		for s := range pts {
			pts[s].finish(t)
			streets[s].Points = append(streets[s].Points, pts[s])
		}
		for c := range nc {
			dp.Seats += l.seatsAt[h][c]
			for g := range ng {
				hv := l.housing[h][c*ng+g]
				dp.Grades[g] += l.proj[h][c*ng+g] + hv
				dp.Housing += hv
			}
		}
		dp.finish(t)
		if m.intervals != nil {
			dp.band(m.intervals.District, h)
		}
		dist.Points = append(dist.Points, dp)
	}
	res.Streets = append(res.Streets, streets...)
	res.District = append(res.District, dist)
}
