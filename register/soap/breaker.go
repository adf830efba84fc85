package soap

import (
	"sync"
	"time"
)

// breaker is a circuit breaker: after threshold consecutive failed
// requests it opens, and requests fail at once without reaching the
// platform, which spares a struggling service and spares desks a wait for
// timeouts; after cooldown it lets one request through (half-open), whose
// success closes it and whose failure opens it for another cooldown.
type breaker struct {
	threshold int
	cooldown  time.Duration

	mu        sync.Mutex
	failures  int       // consecutive
	openUntil time.Time // while failures >= threshold
	probing   bool      // the half-open request is under way
}

// outcome is how a request that allow let through ended.
type outcome int

const (
	succeeded outcome = iota // the platform answered, whatever the answer
	failed                   // no usable answer: timeout, 5xx, garbage
	abandoned                // the caller gave up; says nothing of the platform
)

// allow reports whether a request may go now. A request it allows must be
// reported to done.
func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures < b.threshold {
		return true
	}
	if now.Before(b.openUntil) || b.probing {
		return false
	}
	b.probing = true
	return true
}

func (b *breaker) done(now time.Time, o outcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	switch o {
	case succeeded:
		b.failures = 0
	case failed:
		b.failures++
		if b.failures >= b.threshold {
			b.openUntil = now.Add(b.cooldown)
		}
	}
}
