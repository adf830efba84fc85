package main

// Parts the fault tests break on purpose: a MinIO and a PostgreSQL that
// a test owns (the package's MinIO and the machine's PostgreSQL serve
// other tests and must not be restarted), a TCP proxy whose link can be
// cut, and a small filesystem that can be filled.

import (
	"context"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sohoa/sohoa/catalog"
	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/storage"
	"github.com/sohoa/sohoa/storage/s3"
)

// ownMinIO is a MinIO server one test starts, kills and starts again on
// the same address and data, as a host restarting it would.
type ownMinIO struct {
	t          testing.TB
	bin, dir   string
	Endpoint   string
	User, Pass string
	cmd        *exec.Cmd
}

func startOwnMinIO(t testing.TB) *ownMinIO {
	t.Helper()
	bin, err := exec.LookPath("minio")
	if err != nil {
		bin = filepath.Join(build.Default.GOPATH, "bin", "minio")
	}
	m := &ownMinIO{t: t, bin: bin, dir: t.TempDir(), Endpoint: testenv.FreeAddr(), User: "fault-test", Pass: "fault-test-secret"}
	t.Cleanup(m.Stop)
	m.Start()
	return m
}

// Start starts the server and returns once it answers S3 requests.
func (m *ownMinIO) Start() {
	m.t.Helper()
	log, err := os.OpenFile(filepath.Join(m.dir, "minio.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		m.t.Fatal(err)
	}
	defer log.Close()
	m.cmd = exec.Command(m.bin, "server", filepath.Join(m.dir, "data"), "--address", m.Endpoint, "--quiet")
	m.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+m.User, "MINIO_ROOT_PASSWORD="+m.Pass,
		"MINIO_BROWSER=off", "MINIO_CONFIG_DIR="+filepath.Join(m.dir, "config"))
	m.cmd.Stdout, m.cmd.Stderr = log, log
	if err := m.cmd.Start(); err != nil {
		m.t.Fatalf("start MinIO: %v", err)
	}
	client, _ := minio.New(m.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(m.User, m.Pass, "")})
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := client.ListBuckets(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(m.dir, "minio.log"))
			m.t.Fatalf("MinIO at %s not ready: %v\n%s", m.Endpoint, err, tail(b, 2000))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop kills the server (SIGKILL: a crash, not a clean stop).
func (m *ownMinIO) Stop() {
	if m.cmd != nil && m.cmd.ProcessState == nil {
		m.cmd.Process.Kill()
		m.cmd.Wait()
	}
}

// Restart is Stop then Start: in-flight requests fail, the data stays.
func (m *ownMinIO) Restart() {
	m.t.Helper()
	m.Stop()
	m.Start()
}

// useS3 points the cluster's processes and its own store at the MinIO at
// endpoint (the processes' environment takes the last of a repeated
// variable).
func (c *cluster) useS3(m *ownMinIO) {
	c.t.Helper()
	c.env = append(c.env, "SOHOA_STORAGE=s3", "SOHOA_S3_ENDPOINT="+m.Endpoint, "SOHOA_S3_ACCESS_KEY="+m.User,
		"SOHOA_S3_SECRET_KEY="+m.Pass, "SOHOA_ORIGINALS_BUCKET=originals", "SOHOA_DERIVED_BUCKET=derived")
	st, err := s3.New(context.Background(), s3.Config{Endpoint: m.Endpoint, AccessKey: m.User, SecretKey: m.Pass,
		OriginalsBucket: "originals", DerivedBucket: "derived", Retention: storage.RetentionYears(1)})
	if err != nil {
		c.t.Fatal(err)
	}
	c.store = st
}

// startWith starts a process as start does, with more environment.
func (c *cluster) startWith(env []string, name, ready string, args ...string) *exec.Cmd {
	c.t.Helper()
	saved := c.env
	c.env = append(append([]string{}, c.env...), env...)
	defer func() { c.env = saved }()
	return c.start(name, ready, args...)
}

// proxy forwards TCP connections to a target until it is cut. A cut
// link carries nothing either way: requests in flight hang, as over a
// dead network, and new connections are taken but never answered. When
// the link comes back (Restore) the connections the cut froze are reset,
// as their peers would have given up on them, and new ones go through;
// or (Heal) they stay silent for ever, as after a firewall forgot them
// without a word, while new ones go through.
type proxy struct {
	Addr   string
	target string
	l      net.Listener
	closed chan struct{} // closed when the test ends

	mu     sync.Mutex
	cut    chan struct{} // closed while the link is up
	frozen []net.Conn
	dead   map[net.Conn]bool // frozen by a cut, then left silent by Heal
	all    []net.Conn
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{Addr: l.Addr().String(), target: target, l: l, closed: make(chan struct{}),
		cut: make(chan struct{}), dead: map[net.Conn]bool{}}
	close(p.cut) // up
	t.Cleanup(func() {
		l.Close()
		close(p.closed)
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.all {
			c.Close()
		}
	})
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go p.serve(conn)
		}
	}()
	return p
}

// pass waits until the link is up and reports whether conns may carry
// bytes: not if a Heal left one of them silent, in which case it waits
// until the test ends.
func (p *proxy) pass(conns ...net.Conn) bool {
	p.mu.Lock()
	up := p.cut
	p.mu.Unlock()
	select {
	case <-up:
	case <-p.closed:
		return false
	}
	p.mu.Lock()
	dead := false
	for _, c := range conns {
		dead = dead || p.dead[c]
	}
	p.mu.Unlock()
	if dead {
		<-p.closed
		return false
	}
	return true
}

func (p *proxy) track(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.frozen = append(p.frozen, c)
	p.all = append(p.all, c)
}

func (p *proxy) serve(conn net.Conn) {
	p.track(conn)
	if !p.pass(conn) {
		conn.Close()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		conn.Close()
		return
	}
	p.track(up)
	go p.copy(up, conn)
	p.copy(conn, up)
}

// copy forwards src to dst, a chunk at a time, each only while the link
// is up.
func (p *proxy) copy(dst, src net.Conn) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.pass(src, dst) {
				return
			}
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Cut stops the link.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.cut:
		p.cut = make(chan struct{})
		// Those open now are frozen from here on.
		p.frozen = append([]net.Conn(nil), p.all...)
	default: // cut already
	}
}

// Restore resets every connection the cut froze and lets new ones
// through.
func (p *proxy) Restore() { p.up(true) }

// Heal lets new connections through and leaves those the cut froze
// silent.
func (p *proxy) Heal() { p.up(false) }

func (p *proxy) up(reset bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.cut:
		return // up already
	default:
	}
	for _, c := range p.frozen {
		if !reset {
			p.dead[c] = true
			continue
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST, not FIN
		}
		c.Close()
	}
	p.frozen = nil
	close(p.cut)
}

// ownPostgres is a PostgreSQL cluster one test makes with initdb and
// starts, kills and starts again: the machine's own server serves every
// other test. As root it runs as the postgres user, since PostgreSQL
// refuses to run as root.
type ownPostgres struct {
	t    testing.TB
	bin  string // the folder of initdb and postgres
	dir  string
	port int
	cred *syscall.Credential
	cmd  *exec.Cmd
	done chan struct{}
}

func startOwnPostgres(t testing.TB) *ownPostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			bins = []string{p}
		} else {
			t.Fatal("no initdb in /usr/lib/postgresql/*/bin or on PATH: install the Debian package postgresql")
		}
	}
	p := &ownPostgres{t: t, bin: filepath.Dir(bins[len(bins)-1])}
	_, port, _ := net.SplitHostPort(testenv.FreeAddr())
	p.port, _ = strconv.Atoi(port)
	// Not t.TempDir: its parents are root's alone, and the server may run
	// as another user.
	dir, err := os.MkdirTemp("", "sohoa-pg-*")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	t.Cleanup(func() { p.Stop(); os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("PostgreSQL will not run as root and there is no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	initdb := p.command(filepath.Join(p.bin, "initdb"), "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.Start()
	return p
}

func (p *ownPostgres) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = p.dir
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	return cmd
}

// DSN is the URL of database name on the server.
func (p *ownPostgres) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", p.port, name)
}

// Start starts the server and returns once it takes connections.
func (p *ownPostgres) Start() {
	p.t.Helper()
	log, err := os.OpenFile(filepath.Join(p.dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	defer log.Close()
	p.cmd = p.command(filepath.Join(p.bin, "postgres"), "-D", filepath.Join(p.dir, "data"), "-p", strconv.Itoa(p.port),
		"-k", p.dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off")
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start PostgreSQL: %v", err)
	}
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(p.cmd, p.done)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn, err := pgx.Connect(ctx, p.DSN("postgres"))
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return
		}
		select {
		case <-p.done:
			b, _ := os.ReadFile(filepath.Join(p.dir, "postgres.log"))
			p.t.Fatalf("PostgreSQL exited while starting: %v\n%s", err, tail(b, 2000))
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("PostgreSQL on port %d not ready: %v", p.port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop ends the server as a crash would: SIGQUIT, PostgreSQL's immediate
// shutdown, which drops every connection without a checkpoint, so the
// next start recovers from the WAL. (SIGKILL of the postmaster alone
// would leave its backends running and the port taken.)
func (p *ownPostgres) Stop() {
	if p.cmd == nil {
		return
	}
	select {
	case <-p.done:
	default:
		p.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	}
	p.cmd = nil
}

// usePostgres moves the cluster's catalog to a fresh database on p: the
// processes, the test's own catalog and the API tokens.
func (c *cluster) usePostgres(p *ownPostgres) {
	c.t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, p.DSN("postgres"))
	if err != nil {
		c.t.Fatal(err)
	}
	_, err = admin.Exec(ctx, "CREATE DATABASE sohoa")
	admin.Close(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	dsn := p.DSN("sohoa")
	c.env = append(c.env, "SOHOA_POSTGRES_DSN="+dsn)
	cat, err := catalog.Open(ctx, dsn)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(cat.Close)
	c.catalog = cat
	for role := range c.tokens {
		args := []string{"tokens", "create", "--name", "test-" + role, "--role", role}
		if role == "operator" {
			args = append(args, "--office", office)
		}
		cmd := exec.Command(c.bin, args...)
		cmd.Env = c.env
		out, err := cmd.Output()
		if err != nil {
			c.t.Fatalf("tokens create %s: %v", role, err)
		}
		c.tokens[role] = strings.TrimSpace(string(out))
	}
	c.token = c.tokens["operator"]
}

// smallDisk mounts a tmpfs of size bytes for the test, or skips it where
// mounting is not allowed (not root, or a container without the right).
func smallDisk(t testing.TB, size int64) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sohoa-disk-*")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput()
	if err != nil {
		os.Remove(dir)
		t.Skipf("cannot mount a small tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
		os.Remove(dir)
	})
	return dir
}

// fill writes a ballast file in dir until the filesystem is full but for
// about leave bytes, and returns its name: removing it frees the space.
func fill(t testing.TB, dir string, leave int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	name := filepath.Join(dir, "ballast")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := free - leave; n > 0 {
		if _, err := io.CopyN(f, zeros{}, n); err != nil && !errors.Is(err, syscall.ENOSPC) {
			t.Fatal(err)
		}
	}
	return name
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
