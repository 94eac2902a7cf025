package exec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	osexec "os/exec"
	"strings"
	"time"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/x/compute/poc"
)

// Defaults for a Backend's zero fields.
const (
	DefaultTimeout = 10 * time.Minute
	// stderrTail is how much of the program's stderr an error quotes.
	stderrTail = 2048
	// waitDelay is how long Wait waits for the pipes after the process is
	// killed, in case a grandchild holds them open.
	waitDelay = 2 * time.Second
)

// Backend runs Argv once per challenge or inference.
type Backend struct {
	// Argv is the program and its arguments; no shell is involved.
	Argv []string
	// Timeout bounds one run; DefaultTimeout when zero.
	Timeout time.Duration
	// MaxOutput bounds stdout in bytes; ResponseSize of the challenge when zero.
	MaxOutput int64
	// Env is the program's environment; the worker's own when nil.
	Env []string
}

var (
	_ backends.PoC       = (*Backend)(nil)
	_ backends.Inference = (*Backend)(nil)
)

// New parses a command line (split on white space, no shell quoting).
func New(cmdline string, timeout time.Duration) (*Backend, error) {
	argv := strings.Fields(cmdline)
	if len(argv) == 0 {
		return nil, errors.New("exec backend: empty command")
	}
	return &Backend{Argv: argv, Timeout: timeout}, nil
}

// Name implements backends.PoC and backends.Inference.
func (b *Backend) Name() string { return "exec" }

// ProvePoC implements backends.PoC: it runs the program with the request on
// stdin and decodes its stdout. The program is killed (with its process
// group, where the OS has them) when ctx ends or the timeout passes.
func (b *Backend) ProvePoC(ctx context.Context, seed []byte, d poc.Dims) ([][]byte, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	limit := b.MaxOutput
	if limit <= 0 {
		limit = ResponseSize(d)
	}
	var rows [][]byte
	err := b.run(ctx, NewRequest(seed, d), limit, func(out []byte) (err error) {
		rows, err = decodeResponse(out, d)
		return err
	})
	return rows, err
}

// Infer implements backends.Inference with the "infer" op: the program
// gets the model id and the input, and answers with the output (1 to
// backends.MaxOutputBytes bytes).
func (b *Backend) Infer(ctx context.Context, model string, input []byte) ([]byte, error) {
	limit := b.MaxOutput
	if limit <= 0 {
		limit = InferResponseSize
	}
	var output []byte
	err := b.run(ctx, NewInferRequest(model, input), limit, func(out []byte) (err error) {
		output, err = decodeInferResponse(out)
		return err
	})
	return output, err
}

// Run runs the program once with req as JSON on stdin and hands its stdout
// to decode, with the backend's process handling: the timeout, the kill of
// the process group, stdout bounded by limit, the end of stderr in errors.
// A decode error that begins with "backend error:" (the program's own
// message) is reported whatever the exit status. Other exec contracts
// (worker/training's exec trainer) use it.
func (b *Backend) Run(ctx context.Context, req any, limit int64, decode func([]byte) error) error {
	return b.run(ctx, req, limit, decode)
}

// run runs the program once with req as JSON on stdin, and hands its
// stdout to decode. It bounds the run by the timeout and the output by limit.
func (b *Backend) run(ctx context.Context, req any, limit int64, decode func([]byte) error) error {
	if len(b.Argv) == 0 {
		return errors.New("exec backend: empty command")
	}
	in, err := json.Marshal(req)
	if err != nil {
		return err
	}
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cmd := osexec.CommandContext(ctx, b.Argv[0], b.Argv[1:]...)
	cmd.Env = b.Env
	cmd.Stdin = bytes.NewReader(in)
	stdout := &limitedBuffer{limit: limit, onFull: cancel}
	stderr := &tailBuffer{max: stderrTail}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = waitDelay
	setProcessGroup(cmd)

	runErr := cmd.Run()
	switch {
	case stdout.full:
		return fmt.Errorf("exec backend: output exceeds %d bytes", limit)
	case parent.Err() != nil:
		return fmt.Errorf("exec backend: %w", parent.Err())
	case ctx.Err() != nil:
		return fmt.Errorf("exec backend: timed out after %s", timeout)
	}
	err = decode(stdout.buf.Bytes())
	if runErr != nil {
		// The program's own error message beats its exit status.
		if err != nil && strings.HasPrefix(err.Error(), "backend error:") {
			return fmt.Errorf("exec backend: %w", err)
		}
		return fmt.Errorf("exec backend: %s: %w%s", b.Argv[0], runErr, stderr.suffix())
	}
	if err != nil {
		return fmt.Errorf("exec backend: %w%s", err, stderr.suffix())
	}
	return nil
}

// limitedBuffer keeps at most limit bytes and calls onFull (which kills the
// program) past it.
type limitedBuffer struct {
	buf    bytes.Buffer
	limit  int64
	full   bool
	onFull func()
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if int64(l.buf.Len())+int64(len(p)) > l.limit {
		l.full = true
		l.onFull()
		return 0, io.ErrShortWrite
	}
	return l.buf.Write(p)
}

// tailBuffer keeps the last max bytes written.
type tailBuffer struct {
	buf []byte
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) suffix() string {
	s := strings.TrimSpace(string(t.buf))
	if s == "" {
		return ""
	}
	return " (stderr: " + s + ")"
}
