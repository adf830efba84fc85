// Package netlimit bounds the connections a server holds: in all, so that
// a flood cannot exhaust the process's file descriptors and memory, and
// from one client, so that one address cannot take every slot. It sits in
// front of sohoa serve's HTTP server, as a net.Listener wrapper. A
// connection over either cap is closed as soon as it is accepted, before
// a byte of it is read, rather than queued: a queue would only move the
// flood from the server to the kernel's backlog.
package netlimit

import (
	"errors"
	"net"
	"net/netip"
	"sync"
)

// Why Accept closed a connection, as told to Listener.Refused.
var (
	ErrTooMany           = errors.New("netlimit: connection cap reached")
	ErrTooManyFromClient = errors.New("netlimit: connection cap of one client reached")
)

// Listener is a net.Listener whose Accept holds at most Max connections
// at once, and at most PerClient from one client: one IPv4 address, or
// one IPv6 /64 (what one customer of a provider is given). A connection
// counts from Accept until its first Close.
type Listener struct {
	net.Listener
	max, perClient int
	// Refused, when set, is told of each connection closed for a cap.
	// Accept calls it, so it must be quick.
	Refused func(remote net.Addr, why error)

	mu       sync.Mutex
	open     int
	byClient map[netip.Prefix]int
}

// New returns l with at most max connections open at once, perClient of
// them from one client; both must be at least 1.
func New(l net.Listener, max, perClient int) *Listener {
	if max < 1 || perClient < 1 {
		panic("netlimit: caps must be at least 1")
	}
	return &Listener{Listener: l, max: max, perClient: perClient, byClient: map[netip.Prefix]int{}}
}

// Accept returns the next connection within the caps, closing those over
// them; it returns an error only from the listener beneath.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		client, ok := clientOf(c.RemoteAddr())
		if err := l.take(client, ok); err != nil {
			c.Close()
			if l.Refused != nil {
				l.Refused(c.RemoteAddr(), err)
			}
			continue
		}
		return &conn{Conn: c, release: func() { l.give(client, ok) }}, nil
	}
}

// Open returns the connections held now, in all and from the client at
// addr.
func (l *Listener) Open(addr net.Addr) (all, client int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := clientOf(addr); ok {
		client = l.byClient[p]
	}
	return l.open, client
}

func (l *Listener) take(client netip.Prefix, known bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.max {
		return ErrTooMany
	}
	if known {
		if l.byClient[client] >= l.perClient {
			return ErrTooManyFromClient
		}
		l.byClient[client]++
	}
	l.open++
	return nil
}

func (l *Listener) give(client netip.Prefix, known bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if known {
		if l.byClient[client]--; l.byClient[client] <= 0 {
			delete(l.byClient, client)
		}
	}
}

// clientOf is the client a remote address counts against; false for an
// address that is not IP (a Unix socket), which only the total cap holds.
func clientOf(a net.Addr) (netip.Prefix, bool) {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.Prefix{}, false
	}
	ip := ta.AddrPort().Addr().Unmap().WithZone("")
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, err := ip.Prefix(bits)
	return p, err == nil
}

// conn gives its slot back on its first Close.
type conn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite lets net/http half-close a TCP connection before closing it,
// as it does so that a client reads its last answer before the reset.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
