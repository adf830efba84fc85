package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sohoa/sohoa/sign/pkitest"
)

// TestSigningLevel: --level is checked before any page is read (a level
// the configuration cannot reach, a key whose certificates name no
// revocation source, an unreachable responder), and a dossier ingested at
// B-LTA against a local CA verifies at B-LTA after the CA's servers are
// gone.
func TestSigningLevel(t *testing.T) {
	bin := sohoa(t)
	env := devKeys(t, bin)
	p := pkitest.New(t)
	dir := t.TempDir()

	// The local CA's signer as a PEM file: chain, then key.
	var keyPEM []byte
	for _, c := range p.Chain {
		keyPEM = append(keyPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	der, err := x509.MarshalPKCS8PrivateKey(p.SignerKey)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM = append(keyPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})...)
	keyFile := filepath.Join(dir, "signer.pem")
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	root, tsaRoot := p.WriteRoots(t, dir)
	a, _ := os.ReadFile(root)
	b, _ := os.ReadFile(tsaRoot)
	roots := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(roots, append(a, b...), 0o644); err != nil {
		t.Fatal(err)
	}

	scan := "../../testdata/scans/blank-300.jpg"
	ingest := func(args ...string) (int, string) {
		t.Helper()
		out := t.TempDir()
		cmd := exec.Command(bin, append(append([]string{"ingest", "--out", out, "--code", "HS-LT-1", "--quiet"}, args...), scan)...)
		cmd.Env = env
		b, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(b)
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, out
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown level", []string{"--level", "B-X"}, 2, `PAdES level "B-X": want one of B-B, B-T, B-LT, B-LTA`},
		{"B-LT without a TSA", []string{"--level", "B-LT"}, 2, "B-LT needs a time-stamp authority (--tsa or SOHOA_TSA_URL)"},
		{"B-B with a TSA", []string{"--level", "b-b", "--tsa", p.TSAURL}, 2, "B-B with a time-stamp authority configured"},
		{"development key at B-LT", []string{"--level", "B-LT", "--tsa", p.TSAURL}, 1, "names no OCSP responder and no CRL distribution point"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := ingest(tc.args...)
			if code != tc.code || !strings.Contains(out, tc.want) || !strings.Contains(out, "--level") {
				t.Errorf("exit %d, want %d and %q:\n%s", code, tc.code, tc.want, out)
			}
			if strings.Contains(out, "HS-LT-1.pdf") {
				t.Errorf("work was done before the level was refused:\n%s", out)
			}
		})
	}

	code, out := ingest("--key", keyFile, "--tsa", p.TSAURL, "--level", "B-LTA", "--visible-signature", "none")
	if code != 0 {
		t.Fatalf("ingest at B-LTA: exit %d\n%s", code, out)
	}
	p.Server.Close()
	cmd := exec.Command(bin, "verify", filepath.Join(out, "HS-LT-1.pdf"), "--roots", roots, "--json")
	cmd.Env = env
	js, err := cmd.Output()
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, js)
	}
	var rep struct {
		OK         bool
		Problems   []string
		Signatures []struct {
			Level      string
			Revocation []struct{ Status string }
		}
		DocumentTimestamps []struct{ ImprintMatches bool }
	}
	if err := json.Unmarshal(js, &rep); err != nil {
		t.Fatal(err)
	}
	if !rep.OK || len(rep.Signatures) != 1 || rep.Signatures[0].Level != "B-LTA" || len(rep.Signatures[0].Revocation) != 3 ||
		len(rep.DocumentTimestamps) != 1 || !rep.DocumentTimestamps[0].ImprintMatches {
		t.Errorf("verify --json:\n%s", js)
	}
	cmd = exec.Command(bin, "verify", filepath.Join(out, "HS-LT-1.pdf"), "--roots", roots)
	cmd.Env = env
	text, _ := cmd.CombinedOutput()
	for _, w := range []string{"PAdES B-LTA", "revocation  CN=Nguyễn Văn Ký,O=Trung tâm Thử nghiệm,C=VN: good (OCSP of", "doc stamp"} {
		if !strings.Contains(string(text), w) {
			t.Errorf("verify lacks %q:\n%s", w, text)
		}
	}
}
