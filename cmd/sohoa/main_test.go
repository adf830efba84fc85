package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// sohoa builds the command once per test binary.
func sohoa(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sohoa")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// devKeys makes development keys in a fresh folder and returns the
// environment that points the command at them.
func devKeys(t testing.TB, bin string) []string {
	t.Helper()
	env := append(os.Environ(), "SOHOA_DEV_KEYS="+t.TempDir())
	cmd := exec.Command(bin, "keys", "dev")
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("keys dev: %v\n%s", err, out)
	}
	return env
}

// TestIngestCommand runs the command as an operator would: a bad file
// among good ones makes it exit 1 naming the file, after writing the
// signed dossier of the good pages and saying where it is; verify then
// accepts the dossier against the originals, and refuses it once one of
// them is swapped.
func TestIngestCommand(t *testing.T) {
	bin := sohoa(t)
	env := devKeys(t, bin)
	out := t.TempDir()
	cmd := exec.Command(bin, "ingest", "--out", out, "--code", "HS-CLI-1",
		"../../testdata/bad/truncated.jpg", "../../testdata/scans/receipt-150.png", "../../testdata/scans/blank-300.jpg")
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"truncated.jpg", "corrupt or truncated"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
		}
	}
	for _, want := range []string{filepath.Join(out, "HS-CLI-1.pdf"), "blank page", "below 200 dpi"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("summary does not say %q:\n%s", want, stdout.String())
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "HS-CLI-1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Pages  []struct{ Source string }
		Failed []struct{ Source, Error string }
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Pages) != 2 || len(m.Failed) != 1 || m.Failed[0].Source != "truncated.jpg" {
		t.Errorf("manifest: %d pages, failed %+v", len(m.Pages), m.Failed)
	}

	pdf := filepath.Join(out, "HS-CLI-1.pdf")
	checkSignedPDF(t, pdf, "receipt-150.png")
	// The originals as ingested: the two good scans.
	originals := t.TempDir()
	for _, f := range []string{"receipt-150.png", "blank-300.jpg"} {
		b, err := os.ReadFile(filepath.Join("../../testdata/scans", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(originals, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if rep, err := exec.Command(bin, "verify", pdf, "--originals", originals).CombinedOutput(); err != nil {
		t.Errorf("verify of the fresh dossier failed: %v\n%s", err, rep)
	}
	// Another scan under the blank page's name: verify names the page.
	other, _ := os.ReadFile("../../testdata/scans/form-300.jpg")
	if err := os.WriteFile(filepath.Join(originals, "blank-300.jpg"), other, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := exec.Command(bin, "verify", pdf, "--originals", originals, "--json").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("verify with a swapped original: want exit 1, got %v\n%s", err, rep)
	}
	var r struct {
		OK        bool
		Originals []struct {
			DossierPage int
			File        string
			Status      string
		}
	}
	if err := json.Unmarshal(rep, &r); err != nil {
		t.Fatalf("verify --json: %v\n%s", err, rep)
	}
	for _, o := range r.Originals {
		if bad := o.File == "blank-300.jpg"; bad == (o.Status == "ok") {
			t.Errorf("page %d (%s): status %q", o.DossierPage, o.File, o.Status)
		}
	}
}

// TestKeyErrorsStopBeforeWork: a signing key that cannot sign is reported
// clearly, and nothing is written.
func TestKeyErrorsStopBeforeWork(t *testing.T) {
	bin := sohoa(t)
	env := devKeys(t, bin)
	wrong := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(wrong, []byte("not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		says string
	}{
		{"wrong password", []string{"--key-password-file", wrong}, env, "password"},
		{"no key at all", nil, append(os.Environ(), "SOHOA_DEV_KEYS="+t.TempDir()), "sohoa keys dev"},
		{"key file missing", []string{"--key", "/nonexistent/center.p12"}, env, "/nonexistent/center.p12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"ingest", "--out", out, "--code", "HS-KEY"}, tc.args...)
			cmd := exec.Command(bin, append(args, "../../testdata/scans/receipt-150.png")...)
			cmd.Env = tc.env
			msg, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("ingest succeeded:\n%s", msg)
			}
			if !strings.Contains(string(msg), tc.says) || strings.Contains(string(msg), "not-the-password") {
				t.Errorf("error should say %q (and never echo the password):\n%s", tc.says, msg)
			}
			if ents, _ := os.ReadDir(out); len(ents) != 0 {
				t.Errorf("%d files written before the key was checked", len(ents))
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	bin := sohoa(t)
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"ingest", "--code", "X", "a.jpg"}, "--out is required"},
		{[]string{"ingest", "--out", "o", "a.jpg"}, "--code is required"},
		{[]string{"ingest", "--out", "o", "--code", "../x", "a.jpg"}, "letters, digits"},
		{[]string{"ingest", "--out", "o", "--code", "X", "--lang", "klingon", "a.jpg"}, "klingon"},
		{[]string{"ingest", "--out", "o", "--code", "X"}, "no INPUT"},
		{[]string{"frobnicate"}, "unknown command"},
		// The service's settings, each named as flag and variable.
		{[]string{"serve"}, "SOHOA_POSTGRES_DSN"},
		{[]string{"serve", "--postgres", "x"}, "SOHOA_URL_SECRET"},
		{[]string{"serve", "--postgres", "x", "--listen", "nowhere"}, "SOHOA_LISTEN"},
		{[]string{"worker", "--postgres", "x", "--storage", "s4"}, "SOHOA_STORAGE"},
		{[]string{"worker", "--postgres", "x", "--storage", "s3"}, "SOHOA_S3_ENDPOINT"},
		{[]string{"worker", "--postgres", "x", "--redis", "ftp://q"}, "SOHOA_REDIS_URL"},
		{[]string{"worker", "--postgres", "x", "--queues", "desk=0"}, "SOHOA_QUEUES"},
		{[]string{"worker", "--postgres", "x", "--queues", "vip=3"}, "unknown queue"},
		{[]string{"worker", "--postgres", "x", "--concurrency", "0"}, "SOHOA_CONCURRENCY"},
		{[]string{"worker", "--postgres", "x", "--retention-years", "0"}, "SOHOA_RETENTION_YEARS"},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: want exit 2, got %v", tc.args, err)
		}
		if !strings.Contains(string(out), tc.says) {
			t.Errorf("%v: output does not say %q:\n%s", tc.args, tc.says, out)
		}
	}
	help, err := exec.Command(bin, "help", "ingest").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"-out", "-code", "-lang", "-jobs", "-max-pixels", "-quiet", "normalize", "assemble"} {
		if !strings.Contains(string(help), flag) {
			t.Errorf("help ingest does not mention %s", flag)
		}
	}
	for cmd, flags := range map[string][]string{
		"serve":  {"-listen", "SOHOA_REDIS_URL", "SOHOA_POSTGRES_DSN", "SOHOA_S3_ENDPOINT"},
		"worker": {"-concurrency", "SOHOA_QUEUES", "-shutdown-timeout", "SOHOA_KEY"},
	} {
		help, err := exec.Command(bin, "help", cmd).CombinedOutput()
		if err != nil {
			t.Fatalf("help %s: %v\n%s", cmd, err, help)
		}
		for _, f := range flags {
			if !strings.Contains(string(help), f) {
				t.Errorf("help %s does not mention %s", cmd, f)
			}
		}
	}
}

// checkSignedPDF runs the independent checkers on a signed dossier: pdfsig
// (valid, whole document, PAdES), qpdf, pdfinfo (PDF/A-2b claim, the
// originals named in XMP), pdffonts (embedded) and pdfcpu validate.
func checkSignedPDF(t *testing.T, pdf string, inXMP ...string) {
	t.Helper()
	sig, err := exec.Command("pdfsig", pdf).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfsig: %v\n%s", err, sig)
	}
	for _, want := range []string{"Signature is Valid.", "Total document signed", "ETSI.CAdES.detached"} {
		if !strings.Contains(string(sig), want) {
			t.Errorf("pdfsig does not say %q:\n%s", want, sig)
		}
	}
	// The signed dossier is still PDF/A-2b to the independent checkers.
	for _, tc := range []struct {
		tool string
		args []string
		want []string
	}{
		{"qpdf", []string{"--check", pdf}, []string{"No syntax or stream encoding errors"}},
		{"pdfinfo", []string{"-meta", pdf}, append([]string{"<pdfaid:part>2</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>"}, inXMP...)},
		{"pdffonts", []string{pdf}, []string{"CID TrueType      Identity-H       yes no  yes"}},
	} {
		got, err := exec.Command(tc.tool, tc.args...).CombinedOutput()
		if err != nil {
			t.Errorf("%s: %v\n%s", tc.tool, err, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(got), w) {
				t.Errorf("%s does not say %q:\n%s", tc.tool, w, got)
			}
		}
	}
	if err := api.ValidateFile(pdf, model.NewDefaultConfiguration()); err != nil {
		t.Errorf("pdfcpu validate: %v", err)
	}
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func sha256file(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256hex(b)
}
