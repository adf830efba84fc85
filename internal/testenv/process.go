package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

// process is a server a test started. It is watched from the moment it
// starts so that a server which dies during start-up (port taken, bad flag)
// is reported at once, with its log, rather than after the readiness
// timeout.
type process struct {
	cmd    *exec.Cmd
	log    string        // file holding the server's stdout and stderr
	exited chan struct{} // closed once the process has exited and been reaped
}

// startProcess starts name with args, appending its output to log so that
// the output of every run of a restarted server is kept. env nil means the
// test's own environment.
func startProcess(log string, env []string, name string, args ...string) (*process, error) {
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	// The child holds its own copy of the descriptor once started.
	defer f.Close()
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{cmd: cmd, log: log, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// kill ends the process with SIGKILL, as a crash or an OOM kill would, so
// that a test sees the worst case, and waits until it is gone: after kill
// returns its port is free.
func (p *process) kill() {
	p.cmd.Process.Kill()
	<-p.exited
}

// waitReady calls ready until it succeeds, the process exits, or timeout
// passes; the error names what was being waited for and carries the
// server's log.
func (p *process) waitReady(what string, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited while starting (%v); last check: %w\n%s", what, p.cmd.ProcessState, err, p.logTail())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %w\n%s", what, timeout, err, p.logTail())
		}
		select {
		case <-p.exited:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// logTail returns the end of the server's log, enough to show why it failed
// without burying the test output.
func (p *process) logTail() string {
	const max = 8 << 10
	b, err := os.ReadFile(p.log)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if len(b) > max {
		b = append([]byte("...\n"), b[len(b)-max:]...)
	}
	return fmt.Sprintf("--- %s ---\n%s", p.log, b)
}
