package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sohoa/sohoa/storage"
)

// TestSlowClients is the attack of issue 9 on sohoa serve, and the slow
// but honest clients its fix must still serve. The attacker opens many
// connections from one address, each sending the headers of a request
// and holding its body back; before the fix each stayed open, unanswered,
// for as long as the attacker liked, until the server ran out of file
// descriptors.
func TestSlowClients(t *testing.T) {
	const readTimeout, perIP, slow = 2 * time.Second, 50, 200
	c := newCluster(t, "local")
	c.env = append(c.env, fmt.Sprintf("SOHOA_READ_TIMEOUT=%v", readTimeout), fmt.Sprintf("SOHOA_MAX_CONNS_PER_IP=%d", perIP))
	c.serve()
	addr := strings.TrimPrefix(c.api, "http://")
	hc := &http.Client{Timeout: 5 * time.Second}

	t.Run("held bodies", func(t *testing.T) {
		// Linux routes all of 127/8 to lo: the attacker is 127.0.0.2,
		// everyone else 127.0.0.1.
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
		conns := make([]net.Conn, slow)
		for i := range conns {
			conn, err := d.Dial("tcp", addr)
			if err != nil {
				t.Fatalf("dial %d: %v", i, err)
			}
			t.Cleanup(func() { conn.Close() })
			conns[i] = conn
		}
		head := "POST /v1/dossiers HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
		for _, conn := range conns {
			conn.Write([]byte(head)) // fails on a connection the server closed already
		}

		// While they are held, everyone else is served.
		resp, err := hc.Get(c.api + "/healthz")
		if err != nil {
			t.Fatalf("GET /healthz while slow clients are held: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Errorf("GET /healthz: %s", resp.Status)
		}
		req, _ := http.NewRequest("POST", c.api+"/v1/dossiers", strings.NewReader(`{"procedure": "1.000894", "queue": "desk"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.token)
		if resp, err = hc.Do(req); err != nil {
			t.Fatalf("create a dossier while slow clients are held: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("create a dossier while slow clients are held: %s", resp.Status)
		}

		// Each slow connection ends: those within the cap are answered
		// once the read timeout has passed, the others were closed as
		// they came. The deadline only tells a hang from an end.
		type end struct {
			read string
			err  error
		}
		ends := make([]end, slow)
		var wg sync.WaitGroup
		for i, conn := range conns {
			wg.Go(func() {
				conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				b, err := io.ReadAll(conn)
				ends[i] = end{string(b), err}
			})
		}
		wg.Wait()
		var answered, closed, open int
		for i, e := range ends {
			var ne net.Error
			switch {
			case errors.As(e.err, &ne) && ne.Timeout():
				open++
			case strings.HasPrefix(e.read, "HTTP/1.1 4"):
				answered++
			case e.read == "":
				closed++
			default:
				t.Errorf("slow connection %d: read %q, %v", i, e.read, e.err)
			}
		}
		if open > 0 || answered != perIP || closed != slow-perIP {
			t.Errorf("of %d slow connections from one address, %d were answered, %d closed unanswered, %d still open after 10 s; "+
				"want %d answered (the cap per address), %d closed, none open", slow, answered, closed, open, perIP, slow-perIP)
		}
	})

	t.Run("slow steady upload", func(t *testing.T) {
		// A big page over a commune's slow link takes longer than the
		// read timeout; its upload URL gives it until it expires.
		code := c.create("desk")
		data, err := os.ReadFile("../../testdata/scans/receipt-150.png")
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256hex(data)
		var up struct {
			Exists bool               `json:"exists"`
			Upload *storage.Presigned `json:"upload"`
		}
		if st := c.call("POST", "/v1/dossiers/"+code+"/uploads",
			map[string]any{"sha256": sum, "size": len(data), "content_type": "image/png"}, &up); st != http.StatusOK || up.Upload == nil {
			t.Fatalf("upload request: status %d, %+v", st, up)
		}
		const pieces, every = 8, 500 * time.Millisecond // 4 s in all, twice the read timeout
		req, _ := http.NewRequest(up.Upload.Method, up.Upload.URL, &trickle{data: data, piece: len(data)/pieces + 1, every: every})
		for k, v := range up.Upload.Header {
			req.Header[k] = v
		}
		req.ContentLength = int64(len(data))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("slow upload: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("slow upload: %s %s", resp.Status, b)
		}
		if st := c.call("POST", "/v1/dossiers/"+code+"/pages", map[string]any{"position": 1, "sha256": sum}, nil); st != http.StatusOK {
			t.Errorf("confirm the slowly uploaded page: status %d", st)
		}
	})

	t.Run("progress stream outlives the read timeout", func(t *testing.T) {
		code := c.create("desk")
		stream, err := c.stream("/v1/dossiers/" + code + "/progress")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			go func() {
				for range stream { // until the server stops
				}
			}()
		})
		next := func() (apiDossier, bool) {
			select {
			case d, ok := <-stream:
				return d, ok
			case <-time.After(10 * time.Second):
				t.Fatal("no progress event after 10 s")
				return apiDossier{}, false
			}
		}
		if d, ok := next(); !ok || d.Status != "created" {
			t.Fatalf("first event: %+v (stream open: %v)", d, ok)
		}
		time.Sleep(2*readTimeout + time.Second)
		if st := c.upload(code, 1, "../../testdata/scans/blank-300.jpg"); st != http.StatusOK {
			t.Fatalf("confirm page: %d", st)
		}
		if d, ok := next(); !ok || d.Status != "uploading" {
			t.Errorf("event after the read timeout: %+v (stream open: %v), want status uploading", d, ok)
		}
	})
}

// trickle is a body that arrives a piece at a time.
type trickle struct {
	data  []byte
	piece int
	every time.Duration
}

func (r *trickle) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.every)
	n := copy(p[:min(len(p), r.piece)], r.data)
	r.data = r.data[n:]
	return n, nil
}
