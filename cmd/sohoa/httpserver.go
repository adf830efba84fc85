package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sohoa/sohoa/internal/netlimit"
)

// httpLimits bound what one client can hold of sohoa serve: how long it
// may take to send a request, and how many connections it and everyone
// may keep open.
type httpLimits struct {
	readTimeout             time.Duration
	maxConns, maxConnsPerIP int
}

func (hl *httpLimits) flags(fs *flag.FlagSet) {
	fs.DurationVar(&hl.readTimeout, "read-timeout", envDuration("SOHOA_READ_TIMEOUT", 30*time.Second), "longest a client may take to send a request, headers and body; uploads to this server's upload URLs get until their URL expires ($SOHOA_READ_TIMEOUT)")
	fs.IntVar(&hl.maxConns, "max-conns", envInt("SOHOA_MAX_CONNS", 1024), "connections held at once; more are closed as they come ($SOHOA_MAX_CONNS)")
	fs.IntVar(&hl.maxConnsPerIP, "max-conns-per-ip", envInt("SOHOA_MAX_CONNS_PER_IP", 64), "connections held at once from one IPv4 address or IPv6 /64; more are closed as they come ($SOHOA_MAX_CONNS_PER_IP)")
}

func (hl httpLimits) check() error {
	if hl.readTimeout < time.Second {
		return usageError{fmt.Errorf("--read-timeout (SOHOA_READ_TIMEOUT) %v: want at least 1s", hl.readTimeout)}
	}
	if hl.maxConns < 1 {
		return usageError{fmt.Errorf("--max-conns (SOHOA_MAX_CONNS) %d: want at least 1", hl.maxConns)}
	}
	if hl.maxConnsPerIP < 1 || hl.maxConnsPerIP > hl.maxConns {
		return usageError{fmt.Errorf("--max-conns-per-ip (SOHOA_MAX_CONNS_PER_IP) %d: want 1 to --max-conns (%d)", hl.maxConnsPerIP, hl.maxConns)}
	}
	return nil
}

// maxHeaderTime is how long a client may take to send a request's headers
// (when the read timeout is no shorter).
const maxHeaderTime = 10 * time.Second

// httpServer returns the API's server and the listener it is to serve,
// within the limits.
//
// ReadTimeout puts a deadline on every request's headers and body. It is
// what answers a client that sends headers and then holds the body back:
// a handler that refuses a request without reading it (a 401) returns,
// and net/http then reads what is left of the body, up to 256 KB, before
// it writes the answer; without a deadline that read waits forever.
// Handlers that take a long body extend their own deadline (the upload
// URLs, until they expire); once a body is read net/http lifts the
// deadline, so handlers that run long after it, such as the progress
// stream, are not cut.
//
// There is no WriteTimeout: a whole-response deadline would cut the
// download of a large PDF over a slow link; the progress stream sets a
// deadline on each of its writes instead.
func httpServer(h http.Handler, l net.Listener, lim httpLimits, log *slog.Logger) (*http.Server, net.Listener) {
	nl := netlimit.New(l, lim.maxConns, lim.maxConnsPerIP)
	nl.Refused = refusals(log)
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: min(maxHeaderTime, lim.readTimeout),
		ReadTimeout:       lim.readTimeout,
		IdleTimeout:       2 * time.Minute,
	}, nl
}

// refusals logs connections closed for a cap: the first at once, then at
// most one line every 10 s with how many since, so that a flood does not
// flood the log too.
func refusals(log *slog.Logger) func(net.Addr, error) {
	var mu sync.Mutex
	var last time.Time
	var since int
	return func(remote net.Addr, why error) {
		mu.Lock()
		defer mu.Unlock()
		since++
		if time.Since(last) < 10*time.Second {
			return
		}
		log.Warn("connections refused", "count", since, "last_from", remote.String(), "why", why)
		last, since = time.Now(), 0
	}
}
