package testenv

import (
	"bufio"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// redisStartTimeout bounds how long Start waits for PING. An empty Redis
// answers within milliseconds; the slack is for a loaded machine.
const redisStartTimeout = 10 * time.Second

// Redis is a redis-server a test started for itself on 127.0.0.1. It keeps
// nothing on disk (--save "" --appendonly no), so Stop followed by Start
// loses every key: the worst case a queue must survive, and the one a test
// of recovery after a Redis crash wants.
//
// A test owns its Redis rather than sharing the machine's, so it may kill
// and restart it mid-run without disturbing other tests or packages. Its
// methods fail the test and so, like t.Fatal, must be called from the
// test's goroutine; they are not safe for concurrent use.
type Redis struct {
	Addr string // host:port the server listens on, the same across restarts

	t    testing.TB
	bin  string
	dir  string
	proc *process // nil while stopped
}

// StartRedis starts a Redis server on a free port, waits until it answers
// PING, and stops it when the test ends. redis-server must be on PATH.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	r := &Redis{
		Addr: FreeAddr(),
		t:    t,
		bin:  Tool(t, "redis-server"),
		dir:  t.TempDir(),
	}
	// Registered after TempDir's own cleanup, so it runs first: the
	// server is gone before its directory is removed.
	t.Cleanup(r.Stop)
	r.Start()
	return r
}

// Start starts the server again on the same address, after Stop, and waits
// until it answers PING. The new server is empty.
func (r *Redis) Start() {
	r.t.Helper()
	if r.proc != nil {
		r.t.Fatalf("start Redis at %s: already running", r.Addr)
	}
	_, port, _ := net.SplitHostPort(r.Addr)
	p, err := startProcess(filepath.Join(r.dir, "redis.log"), nil, r.bin,
		"--bind", "127.0.0.1",
		"--port", port,
		"--dir", r.dir,
		"--save", "",
		"--appendonly", "no")
	if err != nil {
		r.t.Fatalf("start Redis at %s: %v", r.Addr, err)
	}
	r.proc = p
	if err := p.waitReady("Redis at "+r.Addr, redisStartTimeout, func() error { return redisPing(r.Addr) }); err != nil {
		r.Stop()
		r.t.Fatal(err)
	}
}

// Stop kills the server with SIGKILL, as a crash would, and returns once
// its port is free. Clients see their connections drop. Stopping a stopped
// server does nothing.
func (r *Redis) Stop() {
	if r.proc != nil {
		r.proc.kill()
		r.proc = nil
	}
}

// Restart is Stop then Start: the server comes back on the same address,
// empty.
func (r *Redis) Restart() {
	r.t.Helper()
	r.Stop()
	r.Start()
}

// redisPing sends PING and wants +PONG. It speaks RESP over a bare
// connection so that this package does not depend on a Redis client; while
// Redis is still loading it answers -LOADING, which counts as not ready.
func redisPing(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return fmt.Errorf("PING %s: %w", addr, err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("PING %s: %w", addr, err)
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING %s: answered %q", addr, line)
	}
	return nil
}
