package soap

import (
	"container/list"
	"sync"
	"time"

	"github.com/sohoa/sohoa/register"
)

// cache keeps the citizens recent lookups found, by number (the 12-digit
// one and the legacy one), for ttl, at most size numbers, least recently
// used dropped first. A desk looks the same citizen up several times while
// it handles one dossier (each page, then a re-check); the register's data
// do not change in minutes. Not-found answers are not kept, so that a
// citizen registered a minute ago is found.
type cache struct {
	ttl  time.Duration
	size int

	mu    sync.Mutex
	order *list.List // of *cacheEntry, most recently used first
	byKey map[string]*list.Element
}

type cacheEntry struct {
	key     string
	citizen register.Citizen
	expires time.Time
}

func newCache(ttl time.Duration, size int) *cache {
	return &cache{ttl: ttl, size: size, order: list.New(), byKey: make(map[string]*list.Element)}
}

// get returns a copy of the citizen kept under key, if fresh.
func (c *cache) get(key string, now time.Time) (*register.Citizen, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.byKey, key)
		return nil, false
	}
	c.order.MoveToFront(el)
	cit := e.citizen
	return &cit, true
}

// put keeps cit under its numbers.
func (c *cache) put(cit *register.Citizen, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, key := range []string{cit.ID, cit.LegacyID} {
		if key == "" {
			continue
		}
		if el, ok := c.byKey[key]; ok {
			c.order.Remove(el)
		}
		c.byKey[key] = c.order.PushFront(&cacheEntry{key: key, citizen: *cit, expires: now.Add(c.ttl)})
		for c.order.Len() > c.size {
			old := c.order.Remove(c.order.Back()).(*cacheEntry)
			delete(c.byKey, old.key)
		}
	}
}
