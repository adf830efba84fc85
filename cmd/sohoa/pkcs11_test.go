package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/sign/hsmtest"

	"github.com/ThalesGroup/crypto11"

	"github.com/sohoa/sohoa/internal/testenv"
	"github.com/sohoa/sohoa/sign"
)

const (
	hsmToken = "sohoa-desk"
	hsmPIN   = "864213"
	hsmKey   = "center-2026"
)

// hsmIdentity makes a fresh SoftHSM2 token (SOFTHSM2_CONF points at a
// folder of the test's own, for this process and the commands it runs),
// generates a P-256 key on it that cannot leave it, and stores beside it a
// certificate issued by a test CA. It returns the module and a PEM file
// holding the CA. Missing softhsm2 fails the test: deploy/setup.sh --test
// installs it.
func hsmIdentity(t *testing.T) (module, caPEM string) {
	t.Helper()
	module = sign.DefaultModule()
	if module == "" {
		t.Fatalf("SoftHSM2 module %s missing: install softhsm2 (deploy/setup.sh --test does)", sign.DefaultPKCS11Module)
	}
	hsmtest.SoftToken(t, hsmToken, hsmPIN)

	ctx, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: hsmToken, Pin: hsmPIN})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	id := []byte{1, 2, 3}
	key, err := ctx.GenerateECDSAKeyPairWithLabel(id, []byte(hsmKey), elliptic.P256())
	if err != nil {
		t.Fatal(err)
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test Province CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(5, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	ca := mustCert(t, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	leaf := mustCert(t, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Trung tâm HSM test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}, ca, key.Public(), caKey)
	if err := ctx.ImportCertificateWithLabel(id, []byte(hsmKey), leaf); err != nil {
		t.Fatal(err)
	}
	caPEM = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return module, caPEM
}

func mustCert(t *testing.T, tmpl, parent *x509.Certificate, pub crypto.PublicKey, by crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, by)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIngestSignsWithPKCS11Token: ingest signs with a key on a (soft)
// token; pdfsig and verify accept the dossier. A wrong PIN, a missing
// PIN and a token that is not there each stop the command before any
// page is read, saying which, and leave nothing written.
func TestIngestSignsWithPKCS11Token(t *testing.T) {
	bin := sohoa(t)
	module, caPEM := hsmIdentity(t)
	secrets := t.TempDir()
	pinFile := filepath.Join(secrets, "pin")
	wrongPIN := filepath.Join(secrets, "wrong-pin")
	for f, pin := range map[string]string{pinFile: hsmPIN + "\n", wrongPIN: "000000\n"} {
		if err := os.WriteFile(f, []byte(pin), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	uri := "pkcs11:token=" + hsmToken + ";object=" + hsmKey
	// No development keys: a fallback to them would show as a signer
	// other than the token's.
	env := append(os.Environ(), "SOHOA_DEV_KEYS="+t.TempDir(), "SOHOA_KEY_PASSWORD=")
	ingest := func(out string, args ...string) (string, error) {
		args = append([]string{"ingest", "--out", out, "--code", "HS-HSM-1", "--pkcs11-module", module}, args...)
		cmd := exec.Command(bin, append(args, "../../testdata/scans/receipt-150.png")...)
		cmd.Env = env
		msg, err := cmd.CombinedOutput()
		return string(msg), err
	}

	out := t.TempDir()
	msg, err := ingest(out, "--key", uri, "--key-password-file", pinFile, "--key-chain", caPEM)
	if err != nil {
		t.Fatalf("ingest with the token's key: %v\n%s", err, msg)
	}
	if !strings.Contains(msg, "by CN=Trung tâm HSM test") {
		t.Errorf("summary does not name the token's certificate:\n%s", msg)
	}
	pdf := filepath.Join(out, "HS-HSM-1.pdf")
	checkSignedPDF(t, pdf, "receipt-150.png")
	sig, _ := exec.Command("pdfsig", pdf).CombinedOutput()
	if !strings.Contains(string(sig), "Signer Certificate Common Name: Trung tâm HSM test") {
		t.Errorf("pdfsig names another signer:\n%s", sig)
	}
	originals := t.TempDir()
	b, err := os.ReadFile("../../testdata/scans/receipt-150.png")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(originals, "receipt-150.png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if rep, err := exec.Command(bin, "verify", pdf, "--originals", originals).CombinedOutput(); err != nil {
		t.Errorf("verify of the token-signed dossier failed: %v\n%s", err, rep)
	}

	for _, tc := range []struct {
		name string
		args []string
		says []string
	}{
		{"wrong PIN", []string{"--key", uri, "--key-password-file", wrongPIN}, []string{"wrong PIN", hsmToken}},
		{"no PIN", []string{"--key", uri}, []string{"no token PIN", "--key-password-file"}},
		{"token not plugged in", []string{"--key", "pkcs11:token=other-desk;object=" + hsmKey, "--key-password-file", pinFile},
			[]string{"no such token", `"other-desk"`}},
		{"no such key", []string{"--key", "pkcs11:token=" + hsmToken + ";object=center-2025", "--key-password-file", pinFile},
			[]string{"no private key", `"center-2025"`}},
		{"bad URI", []string{"--key", "pkcs11:token=" + hsmToken, "--key-password-file", pinFile}, []string{"want both token= and object="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			msg, err := ingest(out, tc.args...)
			t.Logf("%s", msg)
			if err == nil {
				t.Fatalf("ingest succeeded:\n%s", msg)
			}
			for _, want := range tc.says {
				if !strings.Contains(msg, want) {
					t.Errorf("error should say %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, hsmPIN) || strings.Contains(msg, "000000") {
				t.Errorf("the output shows a PIN:\n%s", msg)
			}
			// Progress lines name the pages as they are read; none may
			// come before the key is known to sign.
			if strings.Contains(msg, "receipt-150.png") || strings.Contains(msg, "DEVELOPMENT") {
				t.Errorf("pages were read or the development key used:\n%s", msg)
			}
			if ents, _ := os.ReadDir(out); len(ents) != 0 {
				t.Errorf("%d files written before the key was checked", len(ents))
			}
		})
	}

	// The worker loads the same key, through the environment, before it
	// connects to anything: with the right PIN it gets as far as the
	// (closed) catalog; with a wrong one it stops at the token.
	closed := testenv.FreeAddr()
	for _, tc := range []struct{ pin, says string }{{"000000", "wrong PIN"}, {hsmPIN, "SOHOA_POSTGRES_DSN"}} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, bin, "worker")
		cmd.Env = append(env, "SOHOA_KEY="+uri, "SOHOA_KEY_PASSWORD="+tc.pin, "SOHOA_PKCS11_MODULE="+module,
			"SOHOA_KEY_CHAIN="+caPEM, "SOHOA_STORAGE_DIR="+t.TempDir(),
			"SOHOA_REDIS_URL=redis://"+closed+"/0", "SOHOA_POSTGRES_DSN=postgres://sohoa@"+closed+"/sohoa?sslmode=disable")
		msg, err := cmd.CombinedOutput()
		cancel()
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("worker with PIN %s: want a failed exit, got %v:\n%s", tc.pin, err, msg)
		}
		if !strings.Contains(string(msg), tc.says) || strings.Contains(string(msg), tc.pin) {
			t.Errorf("worker with PIN %s should stop saying %q (without the PIN):\n%s", tc.pin, tc.says, msg)
		}
	}
}
