package netlimit

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// server is a listener under test whose accepted connections come out of
// a channel, and the refusals it reported.
type server struct {
	l        *Listener
	accepted chan net.Conn
	mu       sync.Mutex
	refused  []error
}

func start(t *testing.T, max, perClient int) *server {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{l: New(inner, max, perClient), accepted: make(chan net.Conn, 100)}
	s.l.Refused = func(_ net.Addr, why error) {
		s.mu.Lock()
		s.refused = append(s.refused, why)
		s.mu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := s.l.Accept()
			if err != nil {
				return
			}
			s.accepted <- c
		}
	}()
	t.Cleanup(func() {
		s.l.Close()
		<-done
		close(s.accepted)
		for c := range s.accepted {
			c.Close()
		}
	})
	return s
}

// dial connects from the loopback address from (Linux routes all of
// 127/8 to lo) and says whether the server kept the connection: it
// returns the server's side of it, or nil once the server closed it.
func (s *server) dial(t *testing.T, from string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", s.l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	closed := make(chan error, 1)
	go func() {
		// A deadline detects a server that neither keeps nor closes.
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := c.Read(make([]byte, 1))
		closed <- err
	}()
	select {
	case sc := <-s.accepted:
		return sc
	case err := <-closed:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection from %s neither accepted nor closed", from)
		}
		if err != io.EOF && !errors.Is(err, net.ErrClosed) {
			t.Logf("connection from %s closed: %v", from, err)
		}
		return nil
	}
}

func TestCaps(t *testing.T) {
	s := start(t, 5, 2)
	a1, a2 := s.dial(t, "127.0.0.2"), s.dial(t, "127.0.0.2")
	if a1 == nil || a2 == nil {
		t.Fatal("connections within the caps were closed")
	}
	if s.dial(t, "127.0.0.2") != nil {
		t.Fatal("a third connection from 127.0.0.2 was kept; cap per client is 2")
	}
	// Other clients still get in, up to the total.
	for _, from := range []string{"127.0.0.3", "127.0.0.3", "127.0.0.4"} {
		if s.dial(t, from) == nil {
			t.Fatalf("connection from %s closed with %d open", from, 4)
		}
	}
	if s.dial(t, "127.0.0.5") != nil {
		t.Fatal("a sixth connection was kept; total cap is 5")
	}
	s.mu.Lock()
	refused := append([]error(nil), s.refused...)
	s.mu.Unlock()
	if len(refused) != 2 || refused[0] != ErrTooManyFromClient || refused[1] != ErrTooMany {
		t.Errorf("refusals reported: %v, want one per-client then one total", refused)
	}

	// Closing twice gives back one slot.
	a1.Close()
	a1.Close()
	if all, client := s.l.Open(a2.RemoteAddr()); all != 4 || client != 1 {
		t.Errorf("after closing one connection twice: %d open, %d from 127.0.0.2; want 4 and 1", all, client)
	}
	if s.dial(t, "127.0.0.2") == nil {
		t.Fatal("connection from 127.0.0.2 closed after one of its two was")
	}
}

func TestClientOf(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"192.0.2.1", "192.0.2.1", true},
		{"192.0.2.1", "192.0.2.2", false},
		{"::ffff:192.0.2.1", "192.0.2.1", true},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true},
		{"2001:db8:1:2::1", "2001:db8:1:3::1", false},
	} {
		pa, oka := clientOf(&net.TCPAddr{IP: net.ParseIP(tc.a), Port: 1})
		pb, okb := clientOf(&net.TCPAddr{IP: net.ParseIP(tc.b), Port: 2})
		if !oka || !okb || (pa == pb) != tc.same {
			t.Errorf("%s and %s: clients %v and %v, want same=%v", tc.a, tc.b, pa, pb, tc.same)
		}
	}
	if _, ok := clientOf(&net.UnixAddr{Name: "@", Net: "unix"}); ok {
		t.Error("a Unix socket address counted as a client")
	}
}
