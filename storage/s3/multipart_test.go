package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/sohoa/sohoa/storage"
)

// The behaviour of multipart uploads is the conformance suite's
// (storagetest); these tests look into the buckets for what only MinIO
// shows.

// scope is the dossier the tests' uploads belong to.
const scope = "UBND-XA-01-250101-0001"

// sendWhole uploads every part of content with plain net/http, as a
// station would.
func sendWhole(t *testing.T, s *Store, m storage.Multipart, content []byte) {
	t.Helper()
	for n := 1; n <= m.Parts; n++ {
		p, err := s.PresignPart(context.Background(), m, n, 5*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		from := int64(n-1) * m.PartSize
		req, err := http.NewRequest(p.Method, p.URL, bytes.NewReader(content[from:from+m.PartLen(n)]))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("part %d: %s", n, resp.Status)
		}
	}
}

func versions(t *testing.T, s *Store, key string) int {
	t.Helper()
	n := 0
	for oi := range s.c.ListObjects(context.Background(), s.cfg.OriginalsBucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true, Recursive: true}) {
		if oi.Err != nil {
			t.Fatal(oi.Err)
		}
		n++
	}
	return n
}

// TestMultipartBuckets: a completed upload keeps its content type on the
// staged object and leaves not even a deleted version in the originals
// bucket; an aborted one leaves no upload in the derived bucket.
func TestMultipartBuckets(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, storage.RetentionYears(10))
	content := make([]byte, 9<<20)
	rand.Read(content)
	orig, h := scan(t, content)
	m, err := s.StartMultipart(ctx, scope, h, int64(len(content)), "image/tiff")
	if err != nil {
		t.Fatal(err)
	}
	sendWhole(t, s, m, content)
	if err := s.CompleteMultipart(ctx, m); err != nil {
		t.Fatal(err)
	}
	staged, _ := storage.StagingKey(scope, h)
	oi, err := s.c.StatObject(ctx, s.cfg.DerivedBucket, staged, minio.StatObjectOptions{})
	if err != nil || oi.ContentType != "image/tiff" {
		t.Errorf("staged upload: content type %q, %v; want image/tiff", oi.ContentType, err)
	}
	if n := versions(t, s, orig); n != 0 {
		t.Errorf("originals bucket holds %d versions of %s, want none before confirmation", n, orig)
	}

	m, err = s.StartMultipart(ctx, "UBND-XA-02-250101-0001", h, int64(len(content)), "image/tiff")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AbortMultipart(ctx, m); err != nil {
		t.Fatal(err)
	}
	uploads, err := minio.Core{Client: s.c}.ListMultipartUploads(ctx, s.cfg.DerivedBucket, storage.MultipartPrefix, "", "", "", 100)
	if err != nil || len(uploads.Uploads) != 0 {
		t.Errorf("ListMultipartUploads after abort = %+v, %v; want none", uploads.Uploads, err)
	}
	if _, err := s.UploadedParts(ctx, m); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("UploadedParts after abort = %v, want ErrNotFound", err)
	}
}
