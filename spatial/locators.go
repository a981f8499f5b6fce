package spatial

import (
	"sync"

	"github.com/onemap/onemap/layers"
)

// Locators hands out a Locator that is current for a catalog, rebuilding it
// only when an admin layer has a new snapshot.
type Locators struct {
	c  *layers.Catalog
	mu sync.Mutex
	l  *Locator
}

// NewLocators returns a Locators over c.
func NewLocators(c *layers.Catalog) *Locators { return &Locators{c: c} }

// Get returns a Locator built from c's current admin layers.
func (ls *Locators) Get() (*Locator, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.l != nil && ls.l.current(ls.c) {
		return ls.l, nil
	}
	l, err := NewLocator(ls.c)
	if err != nil {
		return nil, err
	}
	ls.l = l
	return l, nil
}
