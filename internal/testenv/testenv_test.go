package testenv

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// redisDo sends one inline command and returns Redis's first reply line,
// enough to tell a stored key from a missing one ("$-1").
func redisDo(t *testing.T, addr, cmd string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return strings.TrimSuffix(line, "\r\n")
}

// TestRedisRestart checks what tests of crash recovery rely on: Stop makes
// the server unreachable, Restart brings it back on the same address, and
// the restarted server has lost every key.
func TestRedisRestart(t *testing.T) {
	r := StartRedis(t)
	addr := r.Addr
	if got := redisDo(t, addr, "SET dossier HS-1"); got != "+OK" {
		t.Fatalf("SET: %q", got)
	}
	if got := redisDo(t, addr, "GET dossier"); got != "$4" {
		t.Fatalf("GET before restart: %q, want $4", got)
	}

	r.Stop()
	if err := redisPing(addr); err == nil {
		t.Fatal("PING answered after Stop")
	}
	r.Stop() // twice is harmless

	r.Restart()
	if r.Addr != addr {
		t.Fatalf("address changed on restart: %s → %s", addr, r.Addr)
	}
	if err := redisPing(r.Addr); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if got := redisDo(t, addr, "GET dossier"); got != "$-1" {
		t.Fatalf("GET after restart: %q, want $-1 (nothing persisted)", got)
	}
}

func TestMinIOStartStop(t *testing.T) {
	s, err := StartMinIO()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	c, err := minio.New(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.User, s.Password, "")})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.MakeBucket(ctx, "probe", minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket on a fresh server: %v", err)
	}
	s.Stop()
	s.Stop() // twice is harmless
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if _, err := c.ListBuckets(ctx); err == nil {
		t.Fatal("MinIO still answers after Stop")
	}
}

func TestFreeAddr(t *testing.T) {
	a := FreeAddr()
	l, err := net.Listen("tcp", a)
	if err != nil {
		t.Fatalf("listen on FreeAddr's %s: %v", a, err)
	}
	l.Close()
}
