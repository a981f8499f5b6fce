package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/spatial"
	"github.com/onemap/onemap/tiles"
	"github.com/onemap/onemap/web"
)

// benchCity measures the city served from one process: start-up from
// PostGIS, resident memory, uncached tiles, locate, dispatch and coverage.
// The database holds the city (`onemap load --city`).
func benchCity(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench city", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr("ONEMAP_DB", ""), "PostGIS URL holding the city (onemap load --city)")
	primary := fs.String("db-primary", "", "with --db a standby: the primary (as serve --db-primary)")
	per := fs.Int("per-zoom", 16, "tiles per zoom level, z10–z17")
	alarms := fs.Int("alarms", 500, "dispatch alarms (nearest 5 with routes)")
	locateFor := fs.Duration("locate-for", 3*time.Second, "how long to run locate on one goroutine")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the start-up to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *db == "" {
		return usagef("--db URL (or ONEMAP_DB) is required")
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	fmt.Fprintf(stdout, "machine: %d CPUs, load average %s\n", runtime.NumCPU(), loadAvg())

	// Start-up: what `onemap serve --db` does before it listens.
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	cpu0, start := cpuTime(), time.Now()
	a, err := newApp(ctx, &serveConfig{db: *db, dbPrimary: *primary}, web.Tokens{}, log)
	if *profile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	defer a.close()
	fmt.Fprintf(stdout, "start-up from PostGIS to serving: %.1f s wall, %.1f s CPU\n", time.Since(start).Seconds(), (cpuTime() - cpu0).Seconds())
	for a.sync != nil && a.sync.Listener() == 0 && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Fprintf(stdout, "live sync listening (its first resync done): %.1f s wall, %.1f s CPU\n", time.Since(start).Seconds(), (cpuTime() - cpu0).Seconds())
	n := map[string]int{}
	for _, name := range a.catalog.Names() {
		l, _ := a.catalog.Layer(name)
		n[name] = l.Snapshot().Len()
	}
	fmt.Fprintf(stdout, "layers: %d buildings, %d roads, %d cameras, %d grids, %d districts\n",
		n[layers.Buildings], n[layers.Roads], n[layers.Cameras], n[layers.Grids], n[layers.Districts])

	// Requests are served on this goroutine's thread, so its CPU time is
	// the request's: what the wall time would be on an idle machine.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var lastCPU time.Duration
	get := func(url string) (time.Duration, int) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		c0, t0 := threadCPUTime(), time.Now()
		a.handler.ServeHTTP(rec, req)
		d := time.Since(t0)
		lastCPU = threadCPUTime() - c0
		return d, rec.Code
	}

	// Coverage of the whole city by the fire stations, through the API.
	for range 2 {
		d, code := get("/api/coverage?minutes=5")
		fmt.Fprintf(stdout, "coverage of the city (5 min, HTTP %d): %.0f ms wall, %.0f ms thread CPU\n", code, ms(d), ms(lastCPU))
	}

	// Uncached tiles: every layer, each tile rendered once, features
	// prepared beforehand as the server's cache has them after a first use.
	dl, _ := a.catalog.Layer(layers.Districts)
	bound := dl.Snapshot().Bound()
	list := tiles.Sample(bound, 10, 17, *per)
	var srcs []tiles.Source
	for _, name := range a.catalog.Names() {
		l, _ := a.catalog.Layer(name)
		srcs = append(srcs, tiles.Source{Schema: l.Schema, Snapshot: l.Snapshot()})
	}
	o := tiles.DefaultOptions().Prepared()
	warm := tiles.Sample(bound, 10, 17, 2)
	for _, t := range warm {
		if _, err := o.Render(srcs, t); err != nil {
			return err
		}
	}
	var ds, cpus []time.Duration
	var bytes int
	for _, t := range list {
		c0, t0 := threadCPUTime(), time.Now()
		raw, err := o.Render(srcs, t)
		ds = append(ds, time.Since(t0))
		cpus = append(cpus, threadCPUTime()-c0)
		if err != nil {
			return err
		}
		bytes += len(raw)
	}
	fmt.Fprintf(stdout, "uncached tiles, all %d layers, %d tiles z10–z17: p50 %.2f ms, p99 %.2f ms (thread CPU p99 %.2f ms), max %.2f ms, mean %d KB\n",
		len(srcs), len(list), ms(tiles.Quantile(ds, 0.5)), ms(tiles.Quantile(ds, 0.99)), ms(tiles.Quantile(cpus, 0.99)), ms(slices.Max(ds)), bytes/len(list)/1024)

	// Locate on one goroutine.
	loc, err := spatial.NewLocator(a.catalog)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(5, 6))
	var pts []orb.Point
	for len(pts) < 4096 {
		p := orb.Point{bound.Min[0] + r.Float64()*(bound.Max[0]-bound.Min[0]), bound.Min[1] + r.Float64()*(bound.Max[1]-bound.Min[1])}
		if _, err := loc.Locate(p); err == nil {
			pts = append(pts, p)
		}
	}
	c0, t0, done := threadCPUTime(), time.Now(), 0
	for time.Since(t0) < *locateFor {
		for i := range 4096 {
			if _, err := loc.Locate(pts[i]); err != nil {
				return err
			}
		}
		done += 4096
	}
	wall, cpu := time.Since(t0), threadCPUTime()-c0
	fmt.Fprintf(stdout, "locate on one goroutine: %.2f million/s by wall time, %.2f million/s per CPU second of its thread\n",
		float64(done)/wall.Seconds()/1e6, float64(done)/cpu.Seconds()/1e6)

	// Dispatch: nearest 5 units with routes, through the API.
	ds, cpus = ds[:0], cpus[:0]
	for i := range *alarms {
		p := pts[i%len(pts)]
		d, code := get(fmt.Sprintf("/api/dispatch/nearest?lon=%.6f&lat=%.6f&k=5", p[0], p[1]))
		if code != http.StatusOK {
			return fmt.Errorf("dispatch at %v: HTTP %d", p, code)
		}
		ds, cpus = append(ds, d), append(cpus, lastCPU)
	}
	fmt.Fprintf(stdout, "dispatch nearest 5 with routes (HTTP handler, %d alarms): p50 %.2f ms, p99 %.2f ms (thread CPU p99 %.2f ms), max %.2f ms\n",
		len(ds), ms(tiles.Quantile(ds, 0.5)), ms(tiles.Quantile(ds, 0.99)), ms(tiles.Quantile(cpus, 0.99)), ms(slices.Max(ds)))

	runtime.GC()
	rss, hwm := procStatus("VmRSS"), procStatus("VmHWM")
	fmt.Fprintf(stdout, "resident memory: %s now, %s peak\n", rss, hwm)
	fmt.Fprintf(stdout, "load average at the end: %s\n", loadAvg())
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// threadCPUTime is the calling thread's CPU time (Linux; 0 elsewhere).
func threadCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus is a line's value from /proc/self/status ("" off Linux).
func procStatus(key string) string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// loadAvg is the machine's load averages ("" off Linux).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
