// Package testenv starts and reaches the real servers that sohoa's
// integration tests run against: MinIO, PostgreSQL and Redis.
//
// It sits beside the flow, not in it: only _test.go files import it. The
// helpers fail the test, never skip it, when a server or its binary is
// missing, because an integration test that quietly does not run is no
// test. Each failure says what to install or which variable to set.
package testenv

import (
	"fmt"
	"net"
	"os/exec"
	"testing"
)

// FreeAddr returns a 127.0.0.1:port address that nothing listens on at the
// moment of the call, for a server the test is about to start. The kernel
// picks the port, so packages tested in parallel do not collide; the port is
// released before FreeAddr returns, so another process could in principle
// take it first, in which case the server's start fails with its log.
//
// It panics if it cannot listen on the loopback interface: a machine where
// that fails cannot run any of these tests.
func FreeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("testenv: find a free port on 127.0.0.1: %v", err))
	}
	defer l.Close()
	return l.Addr().String()
}

// debianPackage names the Debian package that provides each tool the tests
// call, so a missing tool's failure says what to install.
var debianPackage = map[string]string{
	"redis-server": "redis-server",
	"psql":         "postgresql-client",
	"tesseract":    "tesseract-ocr",
	"qpdf":         "qpdf",
	"gs":           "ghostscript",
	"certutil":     "libnss3-tools",
	"pdfinfo":      "poppler-utils",
	"pdftotext":    "poppler-utils",
	"pdftoppm":     "poppler-utils",
	"pdffonts":     "poppler-utils",
	"pdfimages":    "poppler-utils",
	"pdfsig":       "poppler-utils",
}

// Tool returns the path of the named binary on PATH, or fails the test
// naming the Debian package that provides it.
func Tool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if pkg, ok := debianPackage[name]; ok {
		t.Fatalf("%s is not on PATH: install the Debian package %s (apt-get install %s)", name, pkg, pkg)
	}
	t.Fatalf("%s is not on PATH: install it (deploy/setup.sh installs the pipeline's tools)", name)
	return ""
}
