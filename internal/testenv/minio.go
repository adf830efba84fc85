package testenv

import (
	"context"
	"fmt"
	"go/build"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// installMinIO is the command that installs the MinIO server the tests run.
// The version is pinned so that every machine tests against the same
// server; GOFLAGS is cleared so that a module-mode flag set for this
// repository does not break the install.
const installMinIO = "GOFLAGS= go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

// minioStartTimeout is generous because a loaded machine running many test
// packages at once can take tens of seconds to bring MinIO's object layer up.
const minioStartTimeout = 60 * time.Second

// MinIO is a MinIO server started for a test binary, listening on
// 127.0.0.1 with its data in a temporary directory that Stop removes.
type MinIO struct {
	Endpoint string // host:port, without a scheme; the server speaks plain HTTP
	User     string // root access key
	Password string // root secret key

	dir  string
	proc *process
}

// StartMinIO starts a MinIO server on a free port and returns once it
// answers S3 requests. It returns an error, rather than taking a
// testing.TB, because one server serves a whole package: it is started in
// TestMain, before any test exists. See MinIOMain.
//
// The binary is looked for on PATH, then in $GOBIN and each $GOPATH/bin,
// where installMinIO puts it.
func StartMinIO() (*MinIO, error) {
	bin, err := minioBinary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sohoa-minio-*")
	if err != nil {
		return nil, fmt.Errorf("start MinIO: %w", err)
	}
	s := &MinIO{
		Endpoint: FreeAddr(),
		User:     "sohoa-test",
		Password: "sohoa-test-secret",
		dir:      dir,
	}
	env := append(os.Environ(),
		"MINIO_ROOT_USER="+s.User,
		"MINIO_ROOT_PASSWORD="+s.Password,
		"MINIO_BROWSER=off",
		"MINIO_CONFIG_DIR="+filepath.Join(dir, "config"))
	s.proc, err = startProcess(filepath.Join(dir, "minio.log"), env,
		bin, "server", filepath.Join(dir, "data"), "--address", s.Endpoint, "--quiet")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.proc.waitReady("MinIO at "+s.Endpoint, minioStartTimeout, s.serving()); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// serving returns the readiness check: the health endpoint, and then a real
// request, because MinIO reports "ready" before its object layer is up on a
// loaded machine and the first requests then fail with "Server not
// initialized yet".
func (s *MinIO) serving() func() error {
	httpc := &http.Client{Timeout: 2 * time.Second}
	var client *minio.Client
	return func() error {
		resp, err := httpc.Get("http://" + s.Endpoint + "/minio/health/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("health check: %s", resp.Status)
		}
		if client == nil {
			client, err = minio.New(s.Endpoint, &minio.Options{
				Creds: credentials.NewStaticV4(s.User, s.Password, ""),
			})
			if err != nil {
				return err
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = client.ListBuckets(ctx)
		return err
	}
}

// Stop kills the server and removes its data. It may be called more than
// once.
func (s *MinIO) Stop() {
	if s.proc != nil {
		s.proc.kill()
		s.proc = nil
	}
	os.RemoveAll(s.dir)
}

// MinIOMain runs a package's tests against one MinIO server, so that a
// TestMain is
//
//	var server *testenv.MinIO
//
//	func TestMain(m *testing.M) { os.Exit(testenv.MinIOMain(m, &server)) }
//
// It sets *mp before the tests run and stops the server after. If the
// server cannot start it prints why and returns 1 without running any test:
// every test in such a package needs the server.
func MinIOMain(m *testing.M, mp **MinIO) int {
	s, err := StartMinIO()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		return 1
	}
	defer s.Stop()
	*mp = s
	return m.Run()
}

// minioBinary finds the MinIO server binary, or says how to install it.
func minioBinary() (string, error) {
	if bin, err := exec.LookPath("minio"); err == nil {
		return bin, nil
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	for _, p := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(p, "bin"))
	}
	for _, d := range dirs {
		bin := filepath.Join(d, "minio")
		if fi, err := os.Stat(bin); err == nil && !fi.IsDir() {
			return bin, nil
		}
	}
	return "", fmt.Errorf("the tests need the MinIO server binary, which is neither on PATH nor in %s; install it with:\n\t%s",
		strings.Join(dirs, " or "), installMinIO)
}
