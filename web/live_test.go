package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
	"github.com/onemap/onemap/live"
)

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	ID, Event string
	Data      struct {
		ID    uint64          `json:"id"`
		Type  string          `json:"type"`
		Layer string          `json:"layer"`
		Time  time.Time       `json:"time"`
		Data  json.RawMessage `json:"data"`
	}
	Comment string
}

// readSSE parses the stream into ch until it ends.
func readSSE(body io.Reader, ch chan<- sseEvent) {
	defer close(ch)
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.ID != "" || ev.Comment != "" {
				ch <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ":"):
			ev.Comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "id: "):
			ev.ID = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.Event = line[7:]
		case strings.HasPrefix(line, "data: "):
			_ = json.Unmarshal([]byte(line[6:]), &ev.Data)
		}
	}
}

func liveServer(t testing.TB, hub *live.Hub, heartbeat time.Duration) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	NewLive(hub, heartbeat).Register(mux, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func openSSE(t testing.TB, ctx context.Context, url, lastID string) <-chan sseEvent {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, type %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent, 1024)
	go func() { defer res.Body.Close(); readSSE(res.Body, ch) }()
	return ch
}

func next(t testing.TB, ch <-chan sseEvent, skipComments bool) sseEvent {
	t.Helper()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("stream ended")
			}
			if skipComments && ev.ID == "" {
				continue
			}
			return ev
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5 s")
		}
	}
}

func TestLiveFeed(t *testing.T) {
	cat := layers.NewCatalog()
	if _, err := cat.Put(layers.Schema{Name: "flood_state", Geometry: layers.Point, Owner: "flood"}, nil); err != nil {
		t.Fatal(err)
	}
	hub := live.NewHub(live.Config{})
	defer hub.FollowCatalog(cat)()
	srv := liveServer(t, hub, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := openSSE(t, ctx, srv.URL+"/api/live?layers=flood_state&bbox=113,22,114,23", "")
	if ev := next(t, ch, false); !strings.HasPrefix(ev.Comment, "onemap live") {
		t.Fatalf("first line %+v", ev)
	}
	// A heartbeat comes while nothing happens.
	if ev := next(t, ch, false); !strings.HasPrefix(ev.Comment, "ping") {
		t.Fatalf("want a ping, got %+v", ev)
	}
	apply := func(lon float64) {
		if _, err := cat.Apply("flood", "flood_state", []layers.Change{{Op: layers.Upsert,
			Feature: layers.Feature{ID: 7, Geometry: orb.Point{lon, 22.5}}}}); err != nil {
			t.Fatal(err)
		}
	}
	apply(120) // outside the bbox: filtered out
	apply(113.5)
	ev := next(t, ch, true)
	var lc live.LayerChange
	_ = json.Unmarshal(ev.Data.Data, &lc)
	if ev.Event != live.TypeLayer || lc.Layer != "flood_state" || lc.Version != 3 || len(lc.Bounds) != 2 {
		t.Fatalf("event %+v change %+v", ev, lc)
	}
	// Resume with the first id seen: a new connection replays what came after.
	apply(113.6)
	resumed := openSSE(t, ctx, srv.URL+"/api/live", ev.ID)
	if got := next(t, resumed, true); got.Data.ID != ev.Data.ID+1 {
		t.Fatalf("resumed at %d, want %d", got.Data.ID, ev.Data.ID+1)
	}
	// An id of another run of the server: reset first.
	other := openSSE(t, ctx, srv.URL+"/api/live", "zzz-5")
	if got := next(t, other, true); got.Event != live.TypeReset {
		t.Fatalf("want reset, got %+v", got)
	}
	for _, q := range []struct{ query, field string }{
		{"bbox=1,2,3", "bbox"}, {"bbox=3,2,1,x", "bbox"}, {"bbox=3,2,1,0", "bbox"},
	} {
		if code, f := call(t, "GET", srv.URL+"/api/live?"+q.query, "", "", nil); code != 400 || f != q.field {
			t.Errorf("%s: %d %q", q.query, code, f)
		}
	}
}

// A client that stops reading is dropped; the others and the writer go on.
func TestLiveSlowClientDropped(t *testing.T) {
	hub := live.NewHub(live.Config{Buffer: 16, History: 64})
	srv := liveServer(t, hub, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/live", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close() // never read: the socket buffers fill, then the hub's queue
	big := strings.Repeat("x", 64<<10)
	start := time.Now()
	for i := 0; i < 2000 && hub.Dropped() == 0; i++ {
		hub.Publish(live.TypeReading, "", nil, big)
		time.Sleep(time.Millisecond / 4)
	}
	if hub.Dropped() != 1 {
		t.Fatalf("slow client not dropped (clients %d)", hub.Clients())
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("publishing waited on the slow client: %v", d)
	}
}

// BenchmarkLiveFanout50 measures the delay from Publish to a message read
// by each of 50 SSE clients on loopback, at 200 messages a second.
func BenchmarkLiveFanout50(b *testing.B) {
	hub := live.NewHub(live.Config{})
	srv := liveServer(b, hub, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const clients = 50
	var mu sync.Mutex
	var delays []time.Duration
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		ch := openSSE(b, ctx, srv.URL+"/api/live?types=reading", "")
		next(b, ch, false)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ev := range ch {
				if ev.ID == "" {
					continue
				}
				var d struct{ Sent time.Time }
				_ = json.Unmarshal(ev.Data.Data, &d)
				mu.Lock()
				delays = append(delays, time.Since(d.Sent))
				mu.Unlock()
			}
		}()
	}
	b.ResetTimer()
	tick := time.NewTicker(5 * time.Millisecond)
	for i := 0; i < b.N; i++ {
		<-tick.C
		hub.Publish(live.TypeReading, "flood_points", nil, map[string]any{"Sent": time.Now(), "value": 1.25})
	}
	tick.Stop()
	time.Sleep(500 * time.Millisecond)
	b.StopTimer()
	cancel()
	wg.Wait()
	sort.Slice(delays, func(i, j int) bool { return delays[i] < delays[j] })
	if len(delays) < clients*b.N {
		b.Logf("%d of %d deliveries (dropped clients %d)", len(delays), clients*b.N, hub.Dropped())
	}
	if len(delays) > 0 {
		b.ReportMetric(float64(delays[len(delays)/2].Microseconds())/1000, "p50_ms")
		b.ReportMetric(float64(delays[len(delays)*99/100].Microseconds())/1000, "p99_ms")
		b.ReportMetric(float64(len(delays))/float64(clients*b.N), "delivered")
	}
}
