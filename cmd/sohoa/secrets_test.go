package main

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sohoa/sohoa/internal/testenv"
)

// TestSecretsNotPrinted: issue 9 found the Redis password in a start-up
// error. Whatever setting serve and worker stop on, and whoever wrote the
// message (our checks, asynq, pgx, net/url), the message names the
// setting and not its password or token.
func TestSecretsNotPrinted(t *testing.T) {
	bin := sohoa(t)
	env := devKeys(t, bin) // the worker loads its key before it connects
	const password, token = "s3cr3tpass", "s3cr3ttoken"
	closed := testenv.FreeAddr() // nobody listens there
	host, port, _ := strings.Cut(closed, ":")
	env = append(env,
		"SOHOA_URL_SECRET=0123456789abcdef0123456789abcdef",
		"SOHOA_WEBHOOK_SECRET=0123456789abcdef0123456789abcdef",
		"SOHOA_STORAGE_DIR="+t.TempDir(),
		"SOHOA_REDIS_URL=redis://:"+password+"@"+closed+"/0")
	both, serve := []string{"serve", "worker"}, []string{"serve"}
	for _, tc := range []struct {
		name string
		cmds []string
		env  []string
		says string
	}{
		{"Redis URL that does not parse", both, []string{
			"SOHOA_REDIS_URL=redis://:" + password + "@127.0.0.1:notaport/0",
			"SOHOA_POSTGRES_DSN=postgres://sohoa@" + closed + "/sohoa"}, "SOHOA_REDIS_URL"},
		{"PostgreSQL URL, closed port", both, []string{
			"SOHOA_POSTGRES_DSN=postgres://sohoa:" + password + "@" + closed + "/sohoa?sslmode=disable"}, "SOHOA_POSTGRES_DSN"},
		{"PostgreSQL keyword/value DSN, closed port", both, []string{
			"SOHOA_POSTGRES_DSN=host=" + host + " port=" + port + " user=sohoa password=" + password + " dbname=sohoa sslmode=disable"}, "SOHOA_POSTGRES_DSN"},
		{"PostgreSQL URL that does not parse", both, []string{
			"SOHOA_POSTGRES_DSN=postgres://sohoa:" + password + "@127.0.0.1:notaport/sohoa"}, "SOHOA_POSTGRES_DSN"},
		{"S3 endpoint with credentials", both, []string{
			"SOHOA_POSTGRES_DSN=postgres://sohoa@" + closed + "/sohoa", "SOHOA_STORAGE=s3",
			"SOHOA_S3_ENDPOINT=sohoa:" + password + "@127.0.0.1:9000/x"}, "SOHOA_S3_ENDPOINT"},
		{"webhook URL", serve, []string{
			"SOHOA_POSTGRES_DSN=" + testenv.PostgresDB(t),
			"SOHOA_WEBHOOK_URLS=ftp://workflow:" + password + "@workflow.example/hook?token=" + token}, "SOHOA_WEBHOOK_URLS"},
	} {
		for _, command := range tc.cmds {
			t.Run(tc.name+"/"+command, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, bin, command)
				cmd.Env = append(append([]string(nil), env...), tc.env...)
				out, err := cmd.CombinedOutput()
				if _, ok := err.(*exec.ExitError); !ok {
					t.Fatalf("want a failed exit, got %v:\n%s", err, out)
				}
				if strings.Contains(string(out), password) || strings.Contains(string(out), token) {
					t.Errorf("output holds a secret:\n%s", out)
				}
				if !strings.Contains(string(out), tc.says) {
					t.Errorf("output does not name %s:\n%s", tc.says, out)
				}
			})
		}
	}
}
