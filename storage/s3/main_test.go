package s3

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/storage"
)

// server is the MinIO server TestMain starts for every test in the package.
var server *testenv.MinIO

func TestMain(m *testing.M) {
	os.Exit(testenv.MinIOMain(m, &server))
}

var bucketSeq atomic.Int64

// newStore returns a Store on a fresh pair of buckets.
func newStore(t *testing.T, retention time.Duration) *Store {
	t.Helper()
	n := bucketSeq.Add(1)
	s, err := New(context.Background(), Config{
		Endpoint: server.Endpoint, AccessKey: server.User, SecretKey: server.Password,
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
