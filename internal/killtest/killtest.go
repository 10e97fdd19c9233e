// Package killtest runs a test's own binary as a child process that runs
// one test, reads its output line by line, and kills it with SIGKILL at a
// chosen point: for tests of what survives a crash.
//
// The child is an ordinary test that skips unless its environment
// variable is set:
//
//	func TestWriterChild(t *testing.T) {
//		path := os.Getenv("MY_CHILD_DB")
//		if path == "" {
//			t.Skip("child process of TestKilledWriter")
//		}
//		... fmt.Println("committed 1") ...
//	}
//
// and the parent starts it, waits for enough lines, and kills it:
//
//	c := killtest.Start(t, "TestWriterChild", "MY_CHILD_DB="+path)
//	c.WaitFor(t, 10, func(line string) bool { return strings.HasPrefix(line, "committed ") })
//	c.Kill(t)
package killtest

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Timeout bounds how long WaitFor waits.
const Timeout = 2 * time.Minute

// Child is a running child process.
type Child struct {
	cmd     *exec.Cmd
	lines   chan string
	drained chan struct{}

	mu   sync.Mutex
	last []string // its last lines, for failure messages
}

// Start runs the test named test of this binary in a child process with
// env (NAME=value) added to its environment. It skips t under -short.
func Start(t *testing.T, test string, env ...string) *Child {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.v")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &Child{cmd: cmd, lines: make(chan string, 1024), drained: make(chan struct{})}
	go func() {
		defer close(c.drained)
		defer close(c.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			c.mu.Lock()
			c.last = append(c.last[max(0, len(c.last)-9):], line)
			c.mu.Unlock()
			c.lines <- line // blocks, and so stalls the child, until read
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		c.drain()
	})
	return c
}

// WaitFor waits until the child has printed n lines that match, failing
// t if it ends first or takes longer than Timeout.
func (c *Child) WaitFor(t *testing.T, n int, match func(line string) bool) {
	t.Helper()
	timeout := time.After(Timeout)
	for n > 0 {
		select {
		case line, ok := <-c.lines:
			if !ok {
				_ = c.cmd.Wait()
				t.Fatalf("the child ended before printing what was awaited; its last output:\n%s", c.lastLines())
			}
			if match(line) {
				n--
			}
		case <-timeout:
			t.Fatalf("the child did not print what was awaited in %s; its last output:\n%s", Timeout, c.lastLines())
		}
	}
}

// Kill kills the child with SIGKILL and waits for it to end.
func (c *Child) Kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.drain()
}

// drain reads the child's output to its end and waits for it.
func (c *Child) drain() {
	for range c.lines {
	}
	<-c.drained
	_ = c.cmd.Wait()
}

func (c *Child) lastLines() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.last, "\n")
}
