package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// replicaReport is what `onemap bench replicas` prints (JSON): the reads
// and writes made through the load balancer and how they ended.
type replicaReport struct {
	Seconds      float64        `json:"seconds"`
	Reads        int64          `json:"reads"`
	ReadFailures int64          `json:"read_failures"`
	ReadErrors   map[string]int `json:"read_errors,omitempty"`
	Writes       int64          `json:"writes"`         // acknowledged (200)
	Write503     int64          `json:"write_503"`      // answered 503 with a JSON error body, then retried
	Write503Bad  int64          `json:"write_503_bad"`  // 503 without a JSON error body
	WriteOther   int64          `json:"write_failures"` // anything else (transport errors, other statuses)
	WriteErrors  map[string]int `json:"write_errors,omitempty"`
	MaxRetryMs   float64        `json:"max_write_retry_ms"` // longest time from a first 503 to success
	// Lost lists the units whose last acknowledged availability a replica
	// does not show at the end (replica URL: unit ids).
	Lost map[string][]int64 `json:"lost"`
	// EditMs is, per replica, how long after an UPDATE on the primary
	// committed the replica answered with the new value (with --primary).
	EditMs map[string]float64 `json:"edit_ms,omitempty"`
}

// benchReplicas runs a bounded mixed load through a load balancer: readers
// fetching tiles, locate answers and features, and one dispatcher toggling
// the units' availability, retrying a write that gets a 503 until it is
// acknowledged. At the end every replica given with --replica is asked for
// every unit, and must show the last acknowledged availability.
func benchReplicas(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench replicas", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("url", "http://127.0.0.1:18160", "the load balancer's URL")
	var replicas []string
	fs.Func("replica", "a replica's own URL, checked at the end (repeat the flag)", func(s string) error {
		replicas = append(replicas, strings.TrimRight(s, "/"))
		return nil
	})
	token := fs.String("token", "", "a dispatcher's bearer token")
	duration := fs.Duration("duration", 2*time.Minute, "how long the load runs (bounded)")
	readers := fs.Int("readers", 4, "concurrent readers")
	every := fs.Duration("write-every", 250*time.Millisecond, "pause between the dispatcher's writes")
	settle := fs.Duration("settle", 3*time.Second, "how long replicas may take to show the last write")
	primary := fs.String("primary", "", "the primary's PostgreSQL URL: first time an edit made there until every replica shows it")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *duration <= 0 || *duration > 10*time.Minute {
		return usagef("--duration: want (0, 10m], got %v", *duration)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	units, err := unitIDs(ctx, client, *base)
	if err != nil {
		return err
	}
	urls, err := readURLs(ctx, client, *base)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	rep := replicaReport{ReadErrors: map[string]int{}, WriteErrors: map[string]int{}, Lost: map[string][]int64{}}
	if *primary != "" {
		if rep.EditMs, err = editThrough(ctx, client, *primary, replicas); err != nil {
			return err
		}
		for r, ms := range rep.EditMs {
			fmt.Fprintf(stderr, "edit on the primary shown by %s after %.1f ms\n", r, ms)
		}
	}
	var mu sync.Mutex
	note := func(m map[string]int, what string) {
		mu.Lock()
		m[what]++
		mu.Unlock()
	}
	var reads, readFail atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for lctx.Err() == nil {
				u := urls[r.IntN(len(urls))]
				code, _, err := do(lctx, client, http.MethodGet, *base+u, "", nil)
				if lctx.Err() != nil {
					return // the run ended mid-request: not a failure
				}
				reads.Add(1)
				if err != nil || code != http.StatusOK {
					readFail.Add(1)
					note(rep.ReadErrors, fmt.Sprintf("%s: %d %v", u, code, err))
				}
			}
		}()
	}
	// The dispatcher: toggle each unit in turn, retrying a 503 until done.
	last := map[int64]bool{}
	for i := 0; lctx.Err() == nil; i++ {
		id := units[i%len(units)]
		want := (i/len(units))%2 == 1 // first pass off, second on, ...
		body := fmt.Sprintf(`{"available":%t}`, want)
		var first time.Time
		for {
			code, out, err := do(ctx, client, http.MethodPut, fmt.Sprintf("%s/api/units/%d/status", *base, id), *token, []byte(body))
			if err == nil && code == http.StatusOK {
				rep.Writes++
				last[id] = want
				if !first.IsZero() {
					rep.MaxRetryMs = max(rep.MaxRetryMs, float64(time.Since(first).Microseconds())/1000)
				}
				break
			}
			if err == nil && code == http.StatusServiceUnavailable {
				var e struct {
					Error string `json:"error"`
				}
				if json.Unmarshal(out, &e) == nil && e.Error != "" {
					rep.Write503++
				} else {
					rep.Write503Bad++
				}
			} else {
				rep.WriteOther++
				note(rep.WriteErrors, fmt.Sprintf("%d %v %s", code, err, bytes.TrimSpace(out)))
			}
			if first.IsZero() {
				first = time.Now()
			}
			if time.Since(first) > time.Minute || ctx.Err() != nil {
				return fmt.Errorf("unit %d: no write acknowledged within a minute of retries", id)
			}
			time.Sleep(200 * time.Millisecond)
		}
		select {
		case <-lctx.Done():
		case <-time.After(*every):
		}
	}
	wg.Wait()
	rep.Seconds = time.Since(start).Seconds()
	rep.Reads, rep.ReadFailures = reads.Load(), readFail.Load()

	// Nothing lost: every replica shows each unit's last acknowledged state.
	deadline := time.Now().Add(*settle)
	for _, r := range replicas {
		for {
			var lost []int64
			for id, want := range last {
				got, err := unitAvailable(ctx, client, r, id)
				if err != nil || got != want {
					lost = append(lost, id)
				}
			}
			sort.Slice(lost, func(i, j int) bool { return lost[i] < lost[j] })
			if len(lost) == 0 || time.Now().After(deadline) {
				if len(lost) > 0 {
					rep.Lost[r] = lost
				}
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(b))
	for _, ms := range rep.EditMs {
		if ms > 1000 {
			return errors.New("replicas: an edit took over 1 s to reach a replica")
		}
	}
	if rep.ReadFailures > 0 || rep.WriteOther > 0 || rep.Write503Bad > 0 || len(rep.Lost) > 0 {
		return errors.New("replicas: failed requests or lost writes (see the report)")
	}
	return nil
}

// do makes one request and reads the whole answer.
func do(ctx context.Context, c *http.Client, method, url, token string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// featureList is the part of an OGC API items answer the bench reads.
type featureList struct {
	Features []struct {
		ID         int64          `json:"id"`
		Properties map[string]any `json:"properties"`
		Geometry   struct {
			Coordinates []float64 `json:"coordinates"`
		} `json:"geometry"`
	} `json:"features"`
}

func fetchJSON(ctx context.Context, c *http.Client, url string, v any) error {
	code, b, err := do(ctx, c, http.MethodGet, url, "", nil)
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d: %s", url, code, bytes.TrimSpace(b))
	}
	return json.Unmarshal(b, v)
}

// unitIDs is the fire stations' ids.
func unitIDs(ctx context.Context, c *http.Client, base string) ([]int64, error) {
	var fl featureList
	if err := fetchJSON(ctx, c, base+"/collections/fire_stations/items?limit=1000", &fl); err != nil {
		return nil, err
	}
	var ids []int64
	for _, f := range fl.Features {
		ids = append(ids, f.ID)
	}
	if len(ids) == 0 {
		return nil, errors.New("no fire stations to write to")
	}
	return ids, nil
}

// readURLs is the readers' mix: cached tiles, locate answers at the
// cameras, single features.
func readURLs(ctx context.Context, c *http.Client, base string) ([]string, error) {
	var fl featureList
	if err := fetchJSON(ctx, c, base+"/collections/cameras/items?limit=200", &fl); err != nil {
		return nil, err
	}
	var out []string
	for _, f := range fl.Features {
		if len(f.Geometry.Coordinates) != 2 {
			continue
		}
		lon, lat := f.Geometry.Coordinates[0], f.Geometry.Coordinates[1]
		out = append(out, fmt.Sprintf("/api/locate?lon=%.6f&lat=%.6f", lon, lat),
			fmt.Sprintf("/collections/cameras/items/%d", f.ID))
		for _, z := range []int{12, 14, 16} {
			t := maptile.At(orb.Point{lon, lat}, maptile.Zoom(z))
			out = append(out, fmt.Sprintf("/tiles/buildings,roads,grids/%d/%d/%d.mvt", z, t.X, t.Y))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no cameras to read around")
	}
	return out, nil
}

// unitAvailable is a unit's availability as a replica shows it.
func unitAvailable(ctx context.Context, c *http.Client, base string, id int64) (bool, error) {
	var f struct {
		Properties map[string]any `json:"properties"`
	}
	if err := fetchJSON(ctx, c, fmt.Sprintf("%s/collections/fire_stations/items/%d", base, id), &f); err != nil {
		return false, err
	}
	v, ok := f.Properties["available"].(bool)
	if !ok {
		return false, fmt.Errorf("unit %d: no availability", id)
	}
	return v, nil
}

// editThrough changes a school's seats on the primary and times, from the
// commit, how long each replica takes to answer with the new value
// (polled every 2 ms, at most 10 s).
func editThrough(ctx context.Context, c *http.Client, primary string, replicas []string) (map[string]float64, error) {
	conn, err := pgx.Connect(ctx, primary)
	if err != nil {
		return nil, fmt.Errorf("primary: %w", err)
	}
	defer conn.Close(ctx)
	var id, seats int64
	if err := conn.QueryRow(ctx, "UPDATE schools SET seats = seats + 1 WHERE id = (SELECT min(id) FROM schools) RETURNING id, seats").Scan(&id, &seats); err != nil {
		return nil, fmt.Errorf("primary: %w", err)
	}
	t0 := time.Now() // autocommit: the UPDATE is committed when it returns
	out := map[string]float64{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, len(replicas))
	for _, r := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(t0) < 10*time.Second {
				var f struct {
					Properties map[string]any `json:"properties"`
				}
				if err := fetchJSON(ctx, c, fmt.Sprintf("%s/collections/schools/items/%d", r, id), &f); err == nil {
					if v, _ := f.Properties["seats"].(float64); int64(v) == seats {
						mu.Lock()
						out[r] = float64(time.Since(t0).Microseconds()) / 1000
						mu.Unlock()
						return
					}
				}
				time.Sleep(2 * time.Millisecond)
			}
			errs <- fmt.Errorf("%s: school %d does not show %d seats 10 s after the edit", r, id, seats)
		}()
	}
	wg.Wait()
	close(errs)
	return out, <-errs
}
