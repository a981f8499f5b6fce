package sensors

import (
	"context"
	"sort"
	"sync"
)

// Memory is a Store in memory, for the demo district: it lasts as long as
// the process.
type Memory struct {
	mu       sync.RWMutex
	entities map[string]map[int64]Entity
	obs      map[int64][]Observation // per datastream, in append order
}

// NewMemory returns an empty store.
func NewMemory() *Memory {
	return &Memory{entities: map[string]map[int64]Entity{}, obs: map[int64][]Observation{}}
}

// Load returns every entity and the largest observation id.
func (m *Memory) Load(context.Context) ([]Entity, int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Entity
	for _, byID := range m.entities {
		for _, e := range byID {
			out = append(out, e)
		}
	}
	var max int64
	for _, os := range m.obs {
		for _, o := range os {
			if o.ID > max {
				max = o.ID
			}
		}
	}
	return out, max, nil
}

// PutEntity stores e.
func (m *Memory) PutEntity(_ context.Context, e Entity) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entities[e.Set] == nil {
		m.entities[e.Set] = map[int64]Entity{}
	}
	m.entities[e.Set][e.ID] = e
	return nil
}

// Append stores the observations.
func (m *Memory) Append(_ context.Context, obs []Observation) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range obs {
		m.obs[o.Datastream] = append(m.obs[o.Datastream], o)
	}
	return nil
}

// Observations lists the observations matching q.
func (m *Memory) Observations(_ context.Context, q ObsQuery) ([]Observation, int, error) {
	m.mu.RLock()
	var all []Observation
	if len(q.Datastreams) == 0 {
		for _, os := range m.obs {
			all = append(all, filter(os, q.Where)...)
		}
	} else {
		for _, id := range q.Datastreams {
			all = append(all, filter(m.obs[id], q.Where)...)
		}
	}
	m.mu.RUnlock()
	SortObservations(all, q.OrderBy)
	return page(all, q.Skip, q.Top), len(all), nil
}

func filter(os []Observation, where []Cond) []Observation {
	var out []Observation
	for _, o := range os {
		if MatchObservation(o, where) {
			out = append(out, o)
		}
	}
	return out
}

func page[T any](xs []T, skip, top int) []T {
	if skip >= len(xs) {
		return nil
	}
	xs = xs[skip:]
	if top > 0 && top < len(xs) {
		xs = xs[:top]
	}
	return xs
}

// SortObservations orders os by keys (default phenomenonTime desc), ties
// by id in the direction of the last key.
func SortObservations(os []Observation, keys []Order) {
	if len(keys) == 0 {
		keys = []Order{{Field: "phenomenonTime", Desc: true}}
	}
	keys = append(keys, Order{Field: "id", Desc: keys[len(keys)-1].Desc})
	sort.SliceStable(os, func(i, j int) bool {
		for _, k := range keys {
			c := 0
			a, b := os[i], os[j]
			switch k.Field {
			case "phenomenonTime":
				c = cmp3(a.PhenomenonTime.Before(b.PhenomenonTime), a.PhenomenonTime.After(b.PhenomenonTime))
			case "resultTime":
				c = cmp3(a.ResultTime.Before(b.ResultTime), a.ResultTime.After(b.ResultTime))
			case "id":
				c = cmp3(a.ID < b.ID, a.ID > b.ID)
			case "result":
				x, _ := a.Result.(float64)
				y, _ := b.Result.(float64)
				c = cmp3(x < y, x > y)
			}
			if k.Desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
}
