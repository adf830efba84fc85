package s3

import (
	"context"
	"fmt"
	"go/build"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/sohoa/sohoa/storage"
)

const installMinIO = "GOFLAGS= go install github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

// endpoint is the MinIO server TestMain starts for every test in the package.
var endpoint string

const (
	rootUser     = "sohoa-test"
	rootPassword = "sohoa-test-secret"
)

func TestMain(m *testing.M) {
	os.Exit(runWithMinIO(m))
}

func runWithMinIO(m *testing.M) int {
	bin, err := exec.LookPath("minio")
	if err != nil {
		bin = filepath.Join(build.Default.GOPATH, "bin", "minio")
		if _, err := os.Stat(bin); err != nil {
			fmt.Fprintf(os.Stderr, "storage/s3 tests need the MinIO server binary (not on PATH, not at %s); install it with:\n\t%s\n", bin, installMinIO)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "sohoa-minio-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	endpoint = l.Addr().String()
	l.Close()

	cmd := exec.Command(bin, "server", filepath.Join(dir, "data"), "--address", endpoint, "--quiet")
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+rootUser, "MINIO_ROOT_PASSWORD="+rootPassword, "MINIO_BROWSER=off", "MINIO_CONFIG_DIR="+filepath.Join(dir, "config"))
	log, _ := os.Create(filepath.Join(dir, "minio.log"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "start %s: %v\n", bin, err)
		return 1
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + endpoint + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "minio.log"))
			fmt.Fprintf(os.Stderr, "MinIO at %s not ready after 60s: %v\n%s", endpoint, err, b)
			return 1
		}
		time.Sleep(100 * time.Millisecond)
	}
	// "Ready" comes before the object layer is up on a loaded machine
	// ("Server not initialized yet"): wait until a real request works.
	probe, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(rootUser, rootPassword, "")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := probe.ListBuckets(ctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "minio.log"))
			fmt.Fprintf(os.Stderr, "MinIO at %s not serving after 60s: %v\n%s", endpoint, err, b)
			return 1
		}
		time.Sleep(200 * time.Millisecond)
	}
	return m.Run()
}

var bucketSeq atomic.Int64

// newStore returns a Store on a fresh pair of buckets.
func newStore(t *testing.T, retention time.Duration) *Store {
	t.Helper()
	n := bucketSeq.Add(1)
	s, err := New(context.Background(), Config{
		Endpoint: endpoint, AccessKey: rootUser, SecretKey: rootPassword,
		OriginalsBucket: fmt.Sprintf("originals-%d", n),
		DerivedBucket:   fmt.Sprintf("derived-%d", n),
		Retention:       retention,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storagetestRun(t, func(t *testing.T) storage.Store { return newStore(t, storage.RetentionYears(10)) })
}
