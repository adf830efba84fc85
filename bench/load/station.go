package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sohoa/sohoa/storage"
)

// poolPage is one scan the dossiers' pages are drawn from.
type poolPage struct {
	name        string
	data        []byte
	contentType string
}

// loadPool reads the JPEG and PNG scans of dir, in name order.
func loadPool(dir string) ([]poolPage, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read page pool: %w", err)
	}
	var pool []poolPage
	for _, e := range entries {
		ct := map[string]string{".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}[strings.ToLower(filepath.Ext(e.Name()))]
		if ct == "" || !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read page pool: %w", err)
		}
		pool = append(pool, poolPage{name: e.Name(), data: b, contentType: ct})
	}
	if len(pool) == 0 {
		return nil, fmt.Errorf("page pool %s holds no .jpg or .png scan", dir)
	}
	return pool, nil
}

// tagged returns the scan with tag written into it as a comment (a JPEG
// COM segment after SOI, a PNG tEXt chunk after IHDR): the same pixels,
// so the same OCR work, under its own SHA-256. Everything sohoa keeps of
// a page is keyed by the original's hash (the original itself, the page
// result, the upload's "exists" answer), so pages with equal bytes would
// be processed once and measure nothing.
func tagged(p poolPage, tag string) []byte {
	switch p.contentType {
	case "image/jpeg":
		seg := []byte{0xFF, 0xFE, 0, 0}
		binary.BigEndian.PutUint16(seg[2:], uint16(2+len(tag)))
		return slices.Concat(p.data[:2], seg, []byte(tag), p.data[2:])
	default: // image/png: signature (8) and IHDR (4 length + 4 type + 13 + 4 CRC)
		const afterIHDR = 8 + 4 + 4 + 13 + 4
		body := []byte("tEXtComment\x00" + tag)
		chunk := binary.BigEndian.AppendUint32(nil, uint32(len(body)-4))
		chunk = append(chunk, body...)
		chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(body))
		return slices.Concat(p.data[:afterIHDR], chunk, p.data[afterIHDR:])
	}
}

// stations push the dossiers as the scanner stations do, one goroutine
// and one operator token each (the API gives a token at most two page
// checks at once).
type stations struct {
	c      config
	pool   []poolPage
	client *http.Client
	codes  []string
	// sums are each dossier's pages' SHA-256, by position - 1.
	sums [][]string

	mu        sync.Mutex
	confirm   []time.Duration // declare + PUT + confirm of one page
	submit    []time.Duration
	throttled int // 429 answers waited out
	bytes     int64
}

func newStations(c config, pool []poolPage) *stations {
	return &stations{c: c, pool: pool, client: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{
		MaxIdleConnsPerHost: 16,
	}}}
}

// call makes one API request as token and decodes a 2xx JSON answer into
// out. A 429 is waited out (Retry-After) and tried again.
func (s *stations) call(ctx context.Context, token, method, path string, body, out any) (int, error) {
	for {
		var r io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			r = bytes.NewReader(b)
		}
		req, err := http.NewRequestWithContext(ctx, method, s.c.url+path, r)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := s.client.Do(req)
		if err != nil {
			return 0, fmt.Errorf("%s %s: %w", method, path, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, fmt.Errorf("%s %s: %w", method, path, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			s.mu.Lock()
			s.throttled++
			s.mu.Unlock()
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(time.Duration(max(wait, 1)) * time.Second):
			}
			continue
		}
		if resp.StatusCode > 299 {
			return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
			}
		}
		return resp.StatusCode, nil
	}
}

// createAll opens every dossier first, so that the API load polls them
// from the start, as stations follow their dossiers.
func (s *stations) createAll(ctx context.Context) error {
	s.codes = make([]string, s.c.dossiers)
	s.sums = make([][]string, s.c.dossiers)
	return s.each(ctx, func(i int, token string) error {
		var d struct {
			Code string `json:"code"`
		}
		if _, err := s.call(ctx, token, "POST", "/v1/dossiers", map[string]any{"procedure": "1.000894", "queue": "desk"}, &d); err != nil {
			return fmt.Errorf("create dossier %d: %w", i+1, err)
		}
		s.codes[i] = d.Code
		return nil
	})
}

// pushAll uploads and submits every dossier, paced at the arrival rate
// when one is set.
func (s *stations) pushAll(ctx context.Context) error {
	start := time.Now()
	return s.each(ctx, func(i int, token string) error {
		if s.c.arrival > 0 {
			due := start.Add(time.Duration(float64(i) / s.c.arrival * float64(time.Minute)))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Until(due)):
			}
		}
		return s.push(ctx, i, token)
	})
}

// each runs f for every dossier index, one station (goroutine) per token
// taking the next index as it is free.
func (s *stations) each(ctx context.Context, f func(i int, token string) error) error {
	next := make(chan int)
	errs := make(chan error, len(s.c.stationTokens))
	var wg sync.WaitGroup
	for _, tok := range s.c.stationTokens {
		wg.Go(func() {
			for i := range next {
				if err := f(i, tok); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range s.c.dossiers {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

// push uploads dossier i's pages and submits it. Dossier i takes the pool's
// pages from i × pages on, in turn, so that neighbours differ.
func (s *stations) push(ctx context.Context, i int, token string) error {
	code := s.codes[i]
	s.sums[i] = make([]string, s.c.perDossier)
	for p := range s.c.perDossier {
		pg := s.pool[(i*s.c.perDossier+p)%len(s.pool)]
		data := tagged(pg, fmt.Sprintf("sohoa load %s page %d", code, p+1))
		sum := sha256.Sum256(data)
		h := hex.EncodeToString(sum[:])
		s.sums[i][p] = h
		t0 := time.Now()
		var up struct {
			Exists bool               `json:"exists"`
			Upload *storage.Presigned `json:"upload"`
		}
		if _, err := s.call(ctx, token, "POST", "/v1/dossiers/"+code+"/uploads",
			map[string]any{"sha256": h, "size": len(data), "content_type": pg.contentType}, &up); err != nil {
			return err
		}
		if !up.Exists {
			if err := s.put(ctx, up.Upload, data); err != nil {
				return fmt.Errorf("upload page %d of %s: %w", p+1, code, err)
			}
		}
		if _, err := s.call(ctx, token, "POST", "/v1/dossiers/"+code+"/pages", map[string]any{"position": p + 1, "sha256": h}, nil); err != nil {
			return err
		}
		s.mu.Lock()
		s.confirm = append(s.confirm, time.Since(t0))
		s.bytes += int64(len(data))
		s.mu.Unlock()
	}
	t0 := time.Now()
	if _, err := s.call(ctx, token, "POST", "/v1/dossiers/"+code+"/submit", nil, nil); err != nil {
		return err
	}
	s.mu.Lock()
	s.submit = append(s.submit, time.Since(t0))
	s.mu.Unlock()
	return nil
}

// put sends the page to the presigned URL, with the headers the
// signature fixes.
func (s *stations) put(ctx context.Context, up *storage.Presigned, data []byte) error {
	if up == nil {
		return fmt.Errorf("no upload URL given")
	}
	req, err := http.NewRequestWithContext(ctx, up.Method, up.URL, bytes.NewReader(data))
	if err != nil {
		return err
	}
	for k, v := range up.Header {
		req.Header[k] = v
	}
	req.ContentLength = int64(len(data))
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode > 299 {
		return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return nil
}

// uploadStats are the station side's timings.
type uploadStats struct {
	Pages     int         `json:"pages"`
	MiB       float64     `json:"mib"`
	Page      percentiles `json:"page_ms"`   // declare, PUT and confirm of one page
	Submit    percentiles `json:"submit_ms"` // the submit request
	Throttled int         `json:"throttled"` // 429s waited out
}

func (s *stations) uploadStats() uploadStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return uploadStats{Pages: len(s.confirm), MiB: float64(s.bytes) / (1 << 20),
		Page: durations(s.confirm, time.Millisecond), Submit: durations(s.submit, time.Millisecond), Throttled: s.throttled}
}
