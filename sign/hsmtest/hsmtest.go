// Package hsmtest makes, for tests, a SoftHSM2 token of the test's own: a
// key store the way a USB token or an HSM is one, reached through PKCS#11.
package hsmtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// SoftToken initialises a fresh SoftHSM2 token labelled label, with user
// PIN pin, in a folder of the test's own, and points SOFTHSM2_CONF at it
// for this process and the commands it runs. A missing softhsm2-util
// fails the test: deploy/setup.sh --test installs softhsm2.
func SoftToken(t *testing.T, label, pin string) {
	t.Helper()
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	// The security officer's PIN is never used again.
	if out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", label,
		"--so-pin", "97531", "--pin", pin).CombinedOutput(); err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
}
