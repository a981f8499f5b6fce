package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/layers/config"
	"github.com/onemap/onemap/tiles"
	"github.com/onemap/onemap/web"
)

// benchHTTPConfig is what `onemap bench http` is run with.
type benchHTTPConfig struct {
	db, peer, loadgen string
	perZoom, reps     int
	layers            []string
	gzip              bool
	hot               time.Duration
	conns             int
	maxRequests       int
}

// benchHTTP measures tiles over HTTP on loopback: the same list of
// uncached z14–z17 tiles from onemap (serving the demo's PostGIS tables)
// and from pg_tileserv on the same tables when its binary is given or on
// PATH, one client, sides alternated; then onemap's hot (cached) tiles
// under load.
func benchHTTP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench http", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c benchHTTPConfig
	fs.StringVar(&c.db, "db", envOr("ONEMAP_DB", ""), "PostGIS URL holding the demo district (run `onemap load` first)")
	fs.StringVar(&c.peer, "peer", "", "pg_tileserv binary to serve the same tables (default: pg_tileserv on PATH; none: onemap alone)")
	fs.IntVar(&c.perZoom, "per-zoom", 72, "uncached tiles per zoom level, z14–z17")
	fs.IntVar(&c.reps, "reps", 3, "timed passes over the list by each side, alternated")
	layerList := fs.String("layers", "buildings,roads,grids,communities,water,streets", "layers the tiles cycle through, one per request (pg_tileserv serves one table per tile)")
	fs.BoolVar(&c.gzip, "gzip", true, "send Accept-Encoding: gzip, as browsers do")
	fs.DurationVar(&c.hot, "hot", 10*time.Second, "how long to load onemap with hot (cached) tiles; 0 skips")
	fs.IntVar(&c.conns, "conns", 32, "connections of the hot-tile load")
	fs.IntVar(&c.maxRequests, "max-requests", 2_000_000, "bound on the hot-tile requests of the built-in load generator")
	fs.StringVar(&c.loadgen, "loadgen", "auto", "hot-tile load generator: wrk, go (built in), or auto (wrk when on PATH)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.db == "" {
		return usagef("--db URL (or ONEMAP_DB) is required")
	}
	if c.perZoom < 1 || c.reps < 1 || c.conns < 1 {
		return usagef("--per-zoom, --reps and --conns must be at least 1")
	}
	c.layers = strings.Split(*layerList, ",")
	if c.peer == "" {
		if p, err := exec.LookPath("pg_tileserv"); err == nil {
			c.peer = p
		}
	}
	return runBenchHTTP(ctx, c, stdout)
}

// benchServer is a server under test on loopback.
type benchServer struct {
	name string
	base string
	path func(layer string, t tileAddr) string
	stop func()
}

type tileAddr struct{ z, x, y uint32 }

// request is one tile of the list.
type request struct {
	layer string
	tile  tileAddr
}

func runBenchHTTP(ctx context.Context, c benchHTTPConfig, w io.Writer) error {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	// onemap as `onemap serve --db` builds it, with a tile cache that keeps
	// nothing: every request renders (feature preparation stays warm, as in
	// a running server).
	om, cat, err := startOnemap(ctx, c.db, 1, log)
	if err != nil {
		return err
	}
	defer om.stop()
	for _, n := range c.layers {
		if _, ok := cat.Layer(n); !ok {
			return usagef("--layers: unknown layer %q", n)
		}
	}
	dl, ok := cat.Layer(layers.Districts)
	if !ok || dl.Snapshot().Len() == 0 {
		return errors.New("bench http: the database holds no district (run `onemap load` first)")
	}
	var list []request
	for i, t := range tiles.Sample(dl.Snapshot().Bound(), 14, 17, c.perZoom) {
		list = append(list, request{layer: c.layers[i%len(c.layers)], tile: tileAddr{uint32(t.Z), t.X, t.Y}})
	}
	sides := []*benchServer{om}
	if c.peer != "" {
		peer, err := startPgTileserv(ctx, c.peer, c.db)
		if err != nil {
			return err
		}
		defer peer.stop()
		sides = append(sides, peer)
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 2 * c.conns}, Timeout: 30 * time.Second}

	fmt.Fprintf(w, "uncached tiles over HTTP: %d distinct tiles z14–z17 (layers %s, one per request), one client, Accept-Encoding gzip: %v\n",
		len(list), strings.Join(c.layers, ","), c.gzip)
	if c.peer == "" {
		fmt.Fprintln(w, "no pg_tileserv binary (--peer, or pg_tileserv on PATH): onemap alone")
	}
	// A first pass warms each side (and PostGIS's buffers) and compares
	// what they serve.
	for _, s := range sides {
		p, err := pass(ctx, client, s, list, c.gzip, true)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-12s warm-up: %d tiles with features, %d features, %.1f MB over the wire\n", s.name, p.nonEmpty, p.features, float64(p.bytes)/1e6)
	}
	fmt.Fprintf(w, "\n%-5s %-12s %9s %9s %9s %9s %9s\n", "pass", "server", "req/s", "mean", "p50", "p99", "max")
	results := map[string][]passResult{}
	for r := 1; r <= c.reps; r++ {
		for _, s := range sides {
			p, err := pass(ctx, client, s, list, c.gzip, false)
			if err != nil {
				return err
			}
			results[s.name] = append(results[s.name], p)
			fmt.Fprintf(w, "%-5d %-12s %9.0f %9v %9v %9v %9v\n", r, s.name, p.rate(), p.mean().Round(time.Microsecond),
				tiles.Quantile(p.lat, 0.5).Round(time.Microsecond), tiles.Quantile(p.lat, 0.99).Round(time.Microsecond),
				tiles.Quantile(p.lat, 1).Round(time.Microsecond))
		}
	}
	if len(sides) == 2 {
		var ratios []string
		for i := range results[om.name] {
			ratios = append(ratios, fmt.Sprintf("%.1f×", results[om.name][i].rate()/results[sides[1].name][i].rate()))
		}
		fmt.Fprintf(w, "onemap / pg_tileserv req/s, pass by pass: %s\n", strings.Join(ratios, " "))
	}
	om.stop()

	if c.hot <= 0 {
		return nil
	}
	// Hot tiles: the same list through onemap's default tile cache, every
	// request a hit after one pass.
	hot, _, err := startOnemap(ctx, c.db, 0, log)
	if err != nil {
		return err
	}
	defer hot.stop()
	if _, err := pass(ctx, client, hot, list, c.gzip, false); err != nil {
		return err
	}
	gen := c.loadgen
	if gen == "auto" {
		gen = "go"
		if _, err := exec.LookPath("wrk"); err == nil {
			gen = "wrk"
		}
	}
	fmt.Fprintf(w, "\nhot tiles: the same %d tiles from onemap's cache, %d connections for %v, load generator %s on the same cores\n", len(list), c.conns, c.hot, gen)
	var rate float64
	switch gen {
	case "wrk":
		var out string
		if rate, out, err = wrkLoad(ctx, hot, list, c); err != nil {
			return err
		}
		fmt.Fprint(w, out)
	case "go":
		var n int64
		if rate, n, err = goLoad(ctx, client, hot, list, c); err != nil {
			return err
		}
		fmt.Fprintf(w, "%d requests\n", n)
	default:
		return usagef("--loadgen: want wrk, go or auto, got %q", c.loadgen)
	}
	fmt.Fprintf(w, "onemap hot tiles: %.0f req/s\n", rate)
	return nil
}

// startOnemap serves the database's district as `onemap serve --db` does
// (every route, metrics and logging middleware included) on a loopback
// port, with the given tile cache budget (0: the default), once its
// start-up tile warm-up is done.
func startOnemap(ctx context.Context, db string, cacheBytes int64, log *slog.Logger) (*benchServer, *layers.Catalog, error) {
	a := &app{catalog: layers.NewCatalog(), health: map[string]func() any{}}
	d, err := openUserDB(ctx, &serveConfig{db: db}, &config.File{}, a, log)
	if err != nil {
		return nil, nil, err
	}
	warmed := make(chan struct{})
	var once sync.Once
	routes, collectors, err := web.Routes(ctx, web.RoutesConfig{Catalog: a.catalog, District: d, Editor: a.editor, Pool: a.pool, Log: log,
		TileCacheBytes: cacheBytes, Warmed: func(int, error) { once.Do(func() { close(warmed) }) }})
	if err != nil {
		a.close()
		return nil, nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(append(a.collectors, collectors...)...)
	h := web.NewApp(web.AppConfig{Catalog: a.catalog, Log: log, Registry: reg, Routes: routes})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.close()
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	select {
	case <-warmed:
	case <-time.After(2 * time.Minute):
	case <-ctx.Done():
	}
	var stopOnce sync.Once
	s := &benchServer{name: "onemap", base: "http://" + ln.Addr().String(),
		path: func(layer string, t tileAddr) string {
			return fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, t.z, t.x, t.y)
		},
		stop: func() {
			stopOnce.Do(func() {
				sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = srv.Shutdown(sctx)
				a.close()
			})
		}}
	return s, a.catalog, nil
}

// startPgTileserv runs the pg_tileserv binary on a loopback port over the
// same database, with ST_AsMVTGeom's buffer at 64 as onemap's (its
// default is 256), from an empty folder so that no configuration file is
// read, and waits until it lists its layers.
func startPgTileserv(ctx context.Context, bin, db string) (*benchServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "onemap-bench-peer-")
	if err != nil {
		return nil, err
	}
	var logBuf bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DATABASE_URL="+db, "TS_HTTPHOST=127.0.0.1", "TS_HTTPPORT="+strconv.Itoa(port),
		"TS_DEFAULTBUFFER=64")
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_tileserv: %w", err)
	}
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			os.RemoveAll(dir)
		})
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(base + "/index.json")
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == 200 && bytes.Contains(b, []byte("public.buildings")) {
				break
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return nil, fmt.Errorf("pg_tileserv did not list the demo's tables within 30 s: %s", logBuf.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &benchServer{name: "pg_tileserv", base: base,
		path: func(layer string, t tileAddr) string {
			return fmt.Sprintf("/public.%s/%d/%d/%d.pbf", layer, t.z, t.x, t.y)
		},
		stop: stop}, nil
}

// passResult is one pass over the list by one side.
type passResult struct {
	lat      []time.Duration
	total    time.Duration
	bytes    int64
	nonEmpty int
	features int
}

func (p passResult) rate() float64 { return float64(len(p.lat)) / p.total.Seconds() }

func (p passResult) mean() time.Duration {
	if len(p.lat) == 0 {
		return 0
	}
	return p.total / time.Duration(len(p.lat))
}

// pass requests every tile of the list once, in turn, and times each
// request to its last byte; count decodes the tiles to count features.
func pass(ctx context.Context, client *http.Client, s *benchServer, list []request, gz, count bool) (passResult, error) {
	var p passResult
	var body bytes.Buffer
	start := time.Now()
	for _, r := range list {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+s.path(r.layer, r.tile), nil)
		if err != nil {
			return p, err
		}
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		t0 := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return p, fmt.Errorf("%s: %w", s.name, err)
		}
		body.Reset()
		_, err = body.ReadFrom(res.Body)
		res.Body.Close()
		p.lat = append(p.lat, time.Since(t0))
		if err != nil {
			return p, fmt.Errorf("%s %s: %w", s.name, req.URL.Path, err)
		}
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNoContent {
			return p, fmt.Errorf("%s %s: status %d: %.200s", s.name, req.URL.Path, res.StatusCode, body.String())
		}
		p.bytes += int64(body.Len())
		if count && body.Len() > 0 {
			raw := body.Bytes()
			if res.Header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(raw))
				if err != nil {
					return p, fmt.Errorf("%s %s: %w", s.name, req.URL.Path, err)
				}
				if raw, err = io.ReadAll(zr); err != nil {
					return p, fmt.Errorf("%s %s: %w", s.name, req.URL.Path, err)
				}
			}
			ls, err := tiles.Decode(raw)
			if err != nil {
				return p, fmt.Errorf("%s %s: %w", s.name, req.URL.Path, err)
			}
			for _, l := range ls {
				p.features += len(l.Features)
			}
			if len(ls) > 0 {
				p.nonEmpty++
			}
		}
	}
	p.total = time.Since(start)
	return p, nil
}

// wrkLoad runs wrk over the list's paths (a Lua script in a temporary
// folder) and returns its requests per second and its report.
func wrkLoad(ctx context.Context, s *benchServer, list []request, c benchHTTPConfig) (float64, string, error) {
	dir, err := os.MkdirTemp("", "onemap-bench-wrk-")
	if err != nil {
		return 0, "", err
	}
	defer os.RemoveAll(dir)
	var lua strings.Builder
	lua.WriteString("local paths = {\n")
	for _, r := range list {
		fmt.Fprintf(&lua, "  %q,\n", s.path(r.layer, r.tile))
	}
	lua.WriteString("}\nlocal i = 0\nrequest = function()\n  i = i + 1\n")
	hdr := "{}"
	if c.gzip {
		hdr = `{ ["Accept-Encoding"] = "gzip" }`
	}
	fmt.Fprintf(&lua, "  return wrk.format(\"GET\", paths[(i %% #paths) + 1], %s)\nend\n", hdr)
	script := filepath.Join(dir, "tiles.lua")
	if err := os.WriteFile(script, []byte(lua.String()), 0o644); err != nil {
		return 0, "", err
	}
	secs := int(math.Ceil(c.hot.Seconds()))
	cctx, cancel := context.WithTimeout(ctx, c.hot+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, "wrk", "-t1", "-c"+strconv.Itoa(c.conns), "-d"+strconv.Itoa(secs)+"s", "--latency", "-s", script, s.base).CombinedOutput()
	if err != nil {
		return 0, string(out), fmt.Errorf("wrk: %w: %s", err, out)
	}
	m := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		return 0, string(out), fmt.Errorf("wrk: no Requests/sec in %s", out)
	}
	if bad := regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`).FindSubmatch(out); bad != nil {
		return 0, string(out), fmt.Errorf("wrk: %s non-2xx answers", bad[1])
	}
	rate, _ := strconv.ParseFloat(string(m[1]), 64)
	return rate, string(out), nil
}

// goLoad loads the server from c.conns goroutines, each with its own
// keep-alive connection, for c.hot or c.maxRequests requests, whichever
// ends first, and returns requests per second and their count.
func goLoad(ctx context.Context, client *http.Client, s *benchServer, list []request, c benchHTTPConfig) (float64, int64, error) {
	urls := make([]string, len(list))
	for i, r := range list {
		urls[i] = s.base + s.path(r.layer, r.tile)
	}
	var n atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(c.hot)
	start := time.Now()
	for g := range c.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; time.Now().Before(deadline) && n.Load() < int64(c.maxRequests) && ctx.Err() == nil; i++ {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, urls[i%len(urls)], nil)
				if c.gzip {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				res, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %d", res.StatusCode)
					}
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, n.Load(), firstErr
	}
	return float64(n.Load()) / time.Since(start).Seconds(), n.Load(), nil
}
