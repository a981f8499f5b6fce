package school

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
)

// warningColours are the fills of the warning levels on the chart and map.
var warningColours = map[string]string{Red: "#e03131", Orange: "#f76707", Yellow: "#fab005", Green: "#2f9e44"}

// Chart writes an SVG line chart of one series: recorded enrolment (solid),
// projected demand (dashed, dots coloured by warning) with its prediction
// interval as a shaded band when the points have one (Options.Intervals),
// and seats (from the base year on), with the given title.
func Chart(w io.Writer, s Series, baseYear int, title string) error {
	const (
		W, H                   = 720.0, 360.0
		left, right, top, bott = 64.0, 16.0, 40.0, 44.0
	)
	type pt struct {
		year int
		v    float64
	}
	var hist, proj, seats, lows, highs []pt
	for _, p := range s.Points {
		if p.High > 0 {
			lows = append(lows, pt{p.Year, p.Low})
			highs = append(highs, pt{p.Year, p.High})
		}
	}
	for _, p := range s.History {
		hist = append(hist, pt{p.Year, p.Demand})
		if p.Year == baseYear {
			seats = append(seats, pt{p.Year, float64(p.Seats)})
		}
	}
	for _, p := range s.Points {
		proj = append(proj, pt{p.Year, p.Demand})
		seats = append(seats, pt{p.Year, float64(p.Seats)})
	}
	if len(hist) > 0 && len(proj) > 0 && hist[len(hist)-1].year == baseYear {
		proj = append([]pt{hist[len(hist)-1]}, proj...)
	}
	if len(lows) > 0 && len(proj) > 0 && proj[0].year == baseYear {
		lows = append([]pt{proj[0]}, lows...)
		highs = append([]pt{proj[0]}, highs...)
	}
	all := append(append(append(append([]pt{}, hist...), proj...), seats...), highs...)
	if len(all) == 0 {
		return fmt.Errorf("school: nothing to chart")
	}
	y0, y1 := all[0].year, all[0].year
	vmax := 0.0
	for _, p := range all {
		y0, y1 = min(y0, p.year), max(y1, p.year)
		vmax = math.Max(vmax, p.v)
	}
	if y1 == y0 {
		y1 = y0 + 1
	}
	step := niceStep(vmax / 5)
	top1 := math.Max(step, math.Ceil(vmax*1.05/step)*step)
	x := func(year int) float64 { return left + (W-left-right)*float64(year-y0)/float64(y1-y0) }
	y := func(v float64) float64 { return H - bott - (H-top-bott)*v/top1 }

	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" font-family="sans-serif" font-size="12">`+"\n", W, H, W, H)
	fmt.Fprintf(b, `<rect width="%g" height="%g" fill="#fff"/>`+"\n", W, H)
	fmt.Fprintf(b, `<text x="%g" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(title))
	for v := 0.0; v <= top1+step/2; v += step {
		fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#e9ecef"/><text x="%g" y="%.1f" text-anchor="end" fill="#495057">%s</text>`+"\n",
			left, W-right, y(v), y(v), left-6, y(v)+4, thousands(v))
	}
	every := max(1, (y1-y0+1)/12+1)
	for yr := y0; yr <= y1; yr++ {
		if (yr-y0)%every != 0 {
			continue
		}
		fmt.Fprintf(b, `<text x="%.1f" y="%g" text-anchor="middle" fill="#495057">%d</text>`+"\n", x(yr), H-bott+18, yr)
	}
	if baseYear >= y0 && baseYear <= y1 {
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%g" y2="%g" stroke="#adb5bd" stroke-dasharray="2 3"/>`+"\n", x(baseYear), x(baseYear), top, H-bott)
	}
	fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="%g" y2="%g" stroke="#868e96"/>`+"\n", left, W-right, H-bott, H-bott)
	poly := func(ps []pt, colour, extra string) {
		if len(ps) == 0 {
			return
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="`, colour, extra)
		for i, p := range ps {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(b, "%.1f,%.1f", x(p.year), y(p.v))
		}
		b.WriteString(`"/>` + "\n")
	}
	// Seats as steps: a school opening changes capacity from that year.
	var steps []pt
	for i, p := range seats {
		if i > 0 {
			steps = append(steps, pt{p.year, seats[i-1].v})
		}
		steps = append(steps, p)
	}
	if len(highs) > 1 {
		// The prediction interval: up along the highs, back along the lows.
		b.WriteString(`<polygon class="interval" fill="#868e96" fill-opacity="0.25" stroke="none" points="`)
		for i, p := range highs {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(b, "%.1f,%.1f", x(p.year), y(p.v))
		}
		for i := len(lows) - 1; i >= 0; i-- {
			fmt.Fprintf(b, " %.1f,%.1f", x(lows[i].year), y(lows[i].v))
		}
		b.WriteString(`"><title>80% prediction interval</title></polygon>` + "\n")
	}
	poly(steps, "#1c7ed6", "")
	poly(hist, "#212529", "")
	poly(proj, "#212529", ` stroke-dasharray="6 4"`)
	for _, p := range s.Points {
		band := ""
		if p.High > 0 {
			band = fmt.Sprintf(" (%s–%s)", thousands(p.Low), thousands(p.High))
		}
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%d: demand %s%s, seats %s, %s</title></circle>`+"\n",
			x(p.Year), y(p.Demand), warningColours[p.Warning], p.Year, thousands(p.Demand), band, thousands(float64(p.Seats)), p.Warning)
	}
	lx := W - right - 250
	if len(highs) > 1 {
		lx -= 95
		fmt.Fprintf(b, `<rect x="%g" y="24" width="20" height="12" fill="#868e96" fill-opacity="0.25"/><text x="%g" y="34">80%% interval</text>`+"\n", lx+250, lx+274)
	}
	fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="30" y2="30" stroke="#212529" stroke-width="2"/><text x="%g" y="34">pupils</text>`+"\n", lx, lx+20, lx+24)
	fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="30" y2="30" stroke="#212529" stroke-width="2" stroke-dasharray="6 4"/><text x="%g" y="34">projected</text>`+"\n", lx+70, lx+90, lx+94)
	fmt.Fprintf(b, `<line x1="%g" x2="%g" y1="30" y2="30" stroke="#1c7ed6" stroke-width="2"/><text x="%g" y="34">seats</text>`+"\n", lx+165, lx+185, lx+189)
	b.WriteString("</svg>\n")
	return b.Flush()
}

// niceStep rounds x up to 1, 2 or 5 times a power of ten.
func niceStep(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

// thousands formats a count with thousands separators.
func thousands(v float64) string {
	n := int64(math.Round(v))
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	out := make([]byte, 0, len(s)+len(s)/3+1)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}
