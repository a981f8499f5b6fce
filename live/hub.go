// Package live fans out what happens in a server — layer changes, sensor
// readings, flood states, unit positions and statuses, grid events — to the
// clients of the live feed (GET /api/live, Server-Sent Events).
//
// Writers Publish and never wait: every client has a bounded buffer, and a
// client whose buffer is full is dropped (it reconnects with Last-Event-ID
// and resumes from the hub's recent history). The hub keeps the last
// History messages so that a reconnecting client misses nothing it was
// sent less than that many messages ago.
package live

import (
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/onemap/onemap/layers"
)

// The message types of the feed.
const (
	TypeLayer        = "layer"         // a catalog change: layer, version, bounds
	TypeReading      = "reading"       // a sensor observation
	TypeFloodState   = "flood_state"   // a flood point changed state
	TypeUnitPosition = "unit_position" // vehicles moved
	TypeUnitStatus   = "unit_status"   // a vehicle's status changed
	TypeEvent        = "event"         // a grid event was reported or moved on
	TypeAlarm        = "alarm"         // a flood point went to alarm
	TypeReset        = "reset"         // the client missed messages: re-read state
)

// Message is one item of the feed.
type Message struct {
	ID    uint64          `json:"id"`
	Type  string          `json:"type"`
	Layer string          `json:"layer,omitempty"`
	Time  time.Time       `json:"time"`
	Bound *orb.Bound      `json:"-"` // where it happened (nil: everywhere)
	Data  json.RawMessage `json:"data"`
}

// Filter selects the messages a client wants; the zero Filter takes all.
type Filter struct {
	Types  map[string]bool // empty: every type
	Layers map[string]bool // empty: every layer (messages without one always pass)
	BBox   *orb.Bound      // nil: everywhere (messages without a place always pass)
}

// Match reports whether m passes the filter.
func (f Filter) Match(m *Message) bool {
	if m.Type == TypeReset {
		return true
	}
	if len(f.Types) > 0 && !f.Types[m.Type] {
		return false
	}
	if len(f.Layers) > 0 && m.Layer != "" && !f.Layers[m.Layer] {
		return false
	}
	if f.BBox != nil && m.Bound != nil && !f.BBox.Intersects(*m.Bound) {
		return false
	}
	return true
}

// Config tunes a Hub.
type Config struct {
	// Buffer is each client's queue length (default 1024): a client that
	// falls this far behind is dropped.
	Buffer int
	// History is how many recent messages are kept for clients resuming
	// with Last-Event-ID (default 10000).
	History int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Hub is the feed's fan-out. It is safe for concurrent use.
type Hub struct {
	cfg     Config
	epoch   string
	mu      sync.Mutex
	next    uint64
	ring    []*Message // message id i is at ring[(i-1)%len]
	clients map[*Client]struct{}
	dropped uint64
}

// NewHub returns an empty hub.
func NewHub(cfg Config) *Hub {
	if cfg.Buffer <= 0 {
		cfg.Buffer = 1024
	}
	if cfg.History <= 0 {
		cfg.History = 10000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Hub{cfg: cfg, epoch: strconv.FormatInt(cfg.Now().UnixNano(), 36), ring: make([]*Message, cfg.History), clients: map[*Client]struct{}{}}
}

// Client is one subscriber. Its channel C is closed when the client is
// dropped for falling behind or unsubscribes.
type Client struct {
	C       <-chan *Message
	c       chan *Message
	filter  Filter
	dropped bool
}

// Dropped reports whether the hub dropped the client for falling behind
// (valid once C is closed).
func (c *Client) Dropped() bool { return c.dropped }

// Publish sends a message of type typ about layer (may be empty) at bound
// (nil: everywhere) with data encoded as JSON, and returns its id. It never
// blocks on a client.
func (h *Hub) Publish(typ, layer string, bound *orb.Bound, data any) uint64 {
	raw, err := json.Marshal(data)
	if err != nil {
		raw, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	m := &Message{ID: h.next, Type: typ, Layer: layer, Time: h.cfg.Now(), Bound: bound, Data: raw}
	h.ring[(m.ID-1)%uint64(len(h.ring))] = m
	for c := range h.clients {
		if !c.filter.Match(m) {
			continue
		}
		select {
		case c.c <- m:
		default:
			// Too far behind: drop rather than make the writer wait.
			c.dropped = true
			h.dropped++
			delete(h.clients, c)
			close(c.c)
		}
	}
	return m.ID
}

// Epoch names this hub's run: message ids count from 1 in each, so a
// client's Last-Event-ID carries the epoch it came from.
func (h *Hub) Epoch() string { return h.epoch }

// LastID is the id of the latest message (0 before any).
func (h *Hub) LastID() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.next
}

// Dropped counts the clients dropped for falling behind.
func (h *Hub) Dropped() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dropped
}

// Clients is the number of subscribed clients.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// Subscribe adds a client taking the messages that pass f. When after > 0
// (a resuming client's Last-Event-ID) the messages after it still in the
// history are queued first; if some are no longer held, a reset message
// comes first instead, telling the client to re-read the state.
func (h *Hub) Subscribe(f Filter, after uint64) *Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	var backlog []*Message
	reset := false
	if after > 0 && after < h.next {
		oldest := uint64(1)
		if h.next > uint64(len(h.ring)) {
			oldest = h.next - uint64(len(h.ring)) + 1
		}
		if after+1 < oldest {
			reset = true
			after = oldest - 1
		}
		for id := after + 1; id <= h.next; id++ {
			m := h.ring[(id-1)%uint64(len(h.ring))]
			if f.Match(m) {
				backlog = append(backlog, m)
			}
		}
	} else if after > h.next {
		reset = true // an id from before a restart
	}
	size := h.cfg.Buffer
	if n := len(backlog) + 1; n > size {
		size = n
	}
	c := &Client{c: make(chan *Message, size), filter: f}
	c.C = c.c
	if reset {
		raw, _ := json.Marshal(map[string]any{"last_id": h.next})
		c.c <- &Message{ID: h.next, Type: TypeReset, Time: h.cfg.Now(), Data: raw}
	}
	for _, m := range backlog {
		c.c <- m
	}
	h.clients[c] = struct{}{}
	return c
}

// Unsubscribe removes the client and closes its channel.
func (h *Hub) Unsubscribe(c *Client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.c)
	}
}

// LayerChange is the data of a TypeLayer message.
type LayerChange struct {
	Layer   string       `json:"layer"`
	Version uint64       `json:"version"`
	All     bool         `json:"all,omitempty"`
	Bounds  [][4]float64 `json:"bounds,omitempty"`
}

// FollowCatalog publishes every change of cat as a TypeLayer message (the
// catalog's subscriber runs in the writer's goroutine; Publish does not
// block). The returned function stops it.
func (h *Hub) FollowCatalog(cat *layers.Catalog) (stop func()) {
	return cat.Subscribe(func(e layers.Event) {
		lc := LayerChange{Layer: e.Layer, Version: e.Version, All: e.All}
		var where *orb.Bound
		for i, b := range e.Bounds {
			lc.Bounds = append(lc.Bounds, [4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]})
			if i == 0 {
				u := b
				where = &u
			} else {
				u := where.Union(b)
				where = &u
			}
		}
		h.Publish(TypeLayer, e.Layer, where, lc)
	})
}
