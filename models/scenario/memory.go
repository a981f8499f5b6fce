package scenario

import (
	"context"
	"fmt"
	"sync"
)

// Memory is a Store held in memory, for a server without a database.
type Memory struct {
	mu    sync.Mutex
	byID  map[string]Scenario
	order []string
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{byID: map[string]Scenario{}} }

// Create implements Store.
func (m *Memory) Create(_ context.Context, s Scenario) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[s.ID]; ok {
		return fmt.Errorf("%w: id %s", ErrExists, s.ID)
	}
	for _, o := range m.byID {
		if o.Model == s.Model && o.Name == s.Name {
			return fmt.Errorf("%w: %s scenario named %q", ErrExists, s.Model, s.Name)
		}
	}
	m.byID[s.ID] = s.Clone()
	m.order = append(m.order, s.ID)
	return nil
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, id string) (Scenario, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.byID[id]
	if !ok {
		return Scenario{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return s.Clone(), nil
}

// List implements Store.
func (m *Memory) List(_ context.Context, model string) ([]Scenario, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []Scenario{}
	for _, id := range m.order {
		if s := m.byID[id]; model == "" || s.Model == model {
			out = append(out, s.Clone())
		}
	}
	return out, nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.byID[id]; !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	delete(m.byID, id)
	for i, x := range m.order {
		if x == id {
			m.order = append(m.order[:i:i], m.order[i+1:]...)
			break
		}
	}
	return nil
}
