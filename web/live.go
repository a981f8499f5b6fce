package web

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/live"
)

// Live serves the live feed, GET /api/live, as Server-Sent Events.
type Live struct {
	hub       *live.Hub
	heartbeat time.Duration
}

// NewLive serves hub's messages, with a comment line every heartbeat
// (15 s when 0) so that proxies keep the connection and clients notice a
// dead one.
func NewLive(hub *live.Hub, heartbeat time.Duration) *Live {
	if heartbeat <= 0 {
		heartbeat = 15 * time.Second
	}
	return &Live{hub: hub, heartbeat: heartbeat}
}

// Register adds GET /api/live.
func (l *Live) Register(mux *http.ServeMux, log *slog.Logger, _ Tokens) {
	mux.Handle("GET /api/live", Handle(log, l.serve))
}

// liveFilter reads types=, layers= and bbox= (minlon,minlat,maxlon,maxlat).
func liveFilter(r *http.Request) (live.Filter, error) {
	var f live.Filter
	q := r.URL.Query()
	set := func(s string) map[string]bool {
		if s == "" {
			return nil
		}
		m := map[string]bool{}
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				m[p] = true
			}
		}
		return m
	}
	f.Types, f.Layers = set(q.Get("types")), set(q.Get("layers"))
	if s := q.Get("bbox"); s != "" {
		parts := strings.Split(s, ",")
		if len(parts) != 4 {
			return f, BadRequest("bbox", "want minlon,minlat,maxlon,maxlat")
		}
		var v [4]float64
		for i, p := range parts {
			x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return f, BadRequest("bbox", "%q is not a number", p)
			}
			v[i] = x
		}
		if v[0] > v[2] || v[1] > v[3] {
			return f, BadRequest("bbox", "min must not exceed max")
		}
		f.BBox = &orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}
	}
	return f, nil
}

// resumeFrom reads Last-Event-ID (or ?last_event_id= for clients that
// cannot set headers): "<epoch>-<id>". An id from another run of the
// server resumes from nothing, with a reset message.
func (l *Live) resumeFrom(r *http.Request) (uint64, error) {
	s := r.Header.Get("Last-Event-ID")
	name := "Last-Event-ID"
	if s == "" {
		s, name = r.URL.Query().Get("last_event_id"), "last_event_id"
	}
	if s == "" {
		return 0, nil
	}
	epoch, n, ok := strings.Cut(s, "-")
	id, err := strconv.ParseUint(n, 10, 64)
	if !ok || err != nil {
		return 0, BadRequest(name, "want <epoch>-<id> as the feed sent it, got %q", s)
	}
	if epoch != l.hub.Epoch() {
		return math.MaxUint64, nil
	}
	return id, nil
}

func (l *Live) serve(w http.ResponseWriter, r *http.Request) error {
	f, err := liveFilter(r)
	if err != nil {
		return err
	}
	after, err := l.resumeFrom(r)
	if err != nil {
		return err
	}
	rc := http.NewResponseController(w)
	c := l.hub.Subscribe(f, after)
	defer l.hub.Unsubscribe(c)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The retry hint, then a first comment so the client sees the stream open.
	if _, err := fmt.Fprintf(w, "retry: 2000\n: onemap live %s\n\n", l.hub.Epoch()); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	tick := time.NewTicker(l.heartbeat)
	defer tick.Stop()
	epoch := l.hub.Epoch()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-tick.C:
			if _, err := fmt.Fprintf(w, ": ping %d\n\n", time.Now().Unix()); err != nil {
				return nil
			}
		case m, ok := <-c.C:
			if !ok {
				// Dropped for falling behind: end the stream; the client
				// reconnects with its Last-Event-ID and resumes.
				return nil
			}
			if err := writeEvent(w, epoch, m); err != nil {
				return nil
			}
			// Write what else is queued before one flush.
		drain:
			for i := 0; i < 256; i++ {
				select {
				case m, ok := <-c.C:
					if !ok {
						_ = rc.Flush()
						return nil
					}
					if err := writeEvent(w, epoch, m); err != nil {
						return nil
					}
				default:
					break drain
				}
			}
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}

func writeEvent(w http.ResponseWriter, epoch string, m *live.Message) error {
	_, err := fmt.Fprintf(w, "id: %s-%d\nevent: %s\ndata: {\"id\":%d,\"type\":%q,\"layer\":%q,\"time\":%q,\"data\":%s}\n\n",
		epoch, m.ID, m.Type, m.ID, m.Type, m.Layer, m.Time.UTC().Format(time.RFC3339Nano), m.Data)
	return err
}
