package training

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/backends/embedded/train"
	"github.com/llmesh/mesh/worker/backends/exec"
	"github.com/llmesh/mesh/worker/internal/blobfetch"
)

// The exec trainer's contract (worker/README.md, "exec trainers"): one run
// of the program per call, JSON on stdin and stdout, blobs as files.
//
//	stdin:  {"op":"train","task":T,"round":R,"runtime":"…","base_model":"…","base":"<path>",
//	         "examples":[{"text":"…","label":"low"}…],"heldout":[…],"hyperparams":{…},"out":"<path>"}
//	stdout: {"samples":N,"loss":L}
//
//	stdin:  {"op":"aggregate","task":T,"round":R,"rule":"fedavg|trimmed_mean|median","base":"<path>",
//	         "updates":[{"path":"…","samples":N}…],"heldout":[…],"out":"<path>"}
//	stdout: {"eval_loss":L}
//
//	either: {"error":"<message>"}
//
// The program writes the blob to "out"; the worker reads it (at most
// DefaultMaxBlobBytes), checks it is a checkpoint of the base's shape (the
// int8-embedded runtime's format), and hashes and stores it itself.
const (
	ExecOpTrain     = "train"
	ExecOpAggregate = "aggregate"

	// execResponseBytes bounds the program's stdout: a few numbers, or an
	// error message.
	execResponseBytes = 64 << 10
	// maxExecRequestBytes bounds what ServeExec reads: 10,000 items of text.
	maxExecRequestBytes = 256 << 20
)

// ExecExample is an example on the wire: the label by name.
type ExecExample struct {
	Text  string `json:"text"`
	Label string `json:"label"`
}

// ExecUpdate is an update to aggregate: its blob's path and its weight.
type ExecUpdate struct {
	Path    string `json:"path"`
	Samples uint64 `json:"samples"`
}

// ExecRequest is what the worker writes to the program's stdin; the fields
// of the other op are left out.
type ExecRequest struct {
	Op          string          `json:"op"`
	Task        uint64          `json:"task"`
	Round       uint32          `json:"round"`
	Runtime     string          `json:"runtime,omitempty"`
	BaseModel   string          `json:"base_model,omitempty"`
	Rule        string          `json:"rule,omitempty"`
	Base        string          `json:"base"`
	Examples    []ExecExample   `json:"examples,omitempty"`
	Updates     []ExecUpdate    `json:"updates,omitempty"`
	HeldOut     []ExecExample   `json:"heldout"`
	Hyperparams json.RawMessage `json:"hyperparams,omitempty"`
	Out         string          `json:"out"`
}

// ExecResponse is the program's answer: the fields of its op, or Error.
type ExecResponse struct {
	Samples  *uint64 `json:"samples,omitempty"`
	Loss     *uint64 `json:"loss,omitempty"`
	EvalLoss *uint64 `json:"eval_loss,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// ExecTrainer runs an external program once per Train or Aggregate, with
// the exec backend's process handling (timeout, process-group kill, stdout
// cap, stderr in errors).
type ExecTrainer struct {
	// Program runs the program; its Timeout bounds one call.
	Program *exec.Backend
	// Dir holds each call's temporary directory (the base, the updates and
	// the out file); os.TempDir() when empty.
	Dir string
}

var _ Trainer = (*ExecTrainer)(nil)

// NewExecTrainer parses a command line (split on white space, no shell).
func NewExecTrainer(cmdline string, timeout time.Duration) (*ExecTrainer, error) {
	b, err := exec.New(cmdline, timeout)
	if err != nil {
		return nil, fmt.Errorf("exec trainer: %w", err)
	}
	return &ExecTrainer{Program: b}, nil
}

// Train implements Trainer.
func (e *ExecTrainer) Train(ctx context.Context, req TrainRequest) (TrainResult, error) {
	hyper := json.RawMessage(req.Hyperparams)
	if len(hyper) == 0 {
		hyper = json.RawMessage("{}")
	}
	if !json.Valid(hyper) {
		return TrainResult{}, errors.New("exec trainer: hyperparams are not JSON")
	}
	var res TrainResult
	err := e.call(ctx, req.Base, func(dir, base, out string) (*ExecRequest, func(ExecResponse) error, error) {
		r := &ExecRequest{Op: ExecOpTrain, Task: req.Task, Round: req.Round, Runtime: req.Runtime, BaseModel: req.BaseModel,
			Base: base, Examples: wireExamples(req.Examples), HeldOut: wireExamples(req.HeldOut), Hyperparams: hyper, Out: out}
		return r, func(resp ExecResponse) error {
			if resp.Samples == nil || resp.Loss == nil {
				return errors.New("malformed response: want samples and loss")
			}
			res.Samples, res.Loss = *resp.Samples, *resp.Loss
			return nil
		}, nil
	}, &res.Blob)
	if err != nil {
		return TrainResult{}, err
	}
	return res, nil
}

// Aggregate implements Trainer.
func (e *ExecTrainer) Aggregate(ctx context.Context, req AggregateRequest) (AggregateResult, error) {
	res := AggregateResult{Correct: -1}
	err := e.call(ctx, req.Base, func(dir, base, out string) (*ExecRequest, func(ExecResponse) error, error) {
		r := &ExecRequest{Op: ExecOpAggregate, Task: req.Task, Round: req.Round, Rule: req.Rule.String(), Base: base,
			HeldOut: wireExamples(req.HeldOut), Updates: make([]ExecUpdate, 0, len(req.Updates)), Out: out}
		for i, u := range req.Updates {
			p := filepath.Join(dir, "update-"+strconv.Itoa(i))
			if err := os.WriteFile(p, u.Ckpt.Encode(), 0o600); err != nil {
				return nil, nil, err
			}
			r.Updates = append(r.Updates, ExecUpdate{Path: p, Samples: u.Samples})
		}
		return r, func(resp ExecResponse) error {
			if resp.EvalLoss == nil {
				return errors.New("malformed response: want eval_loss")
			}
			res.EvalLoss = *resp.EvalLoss
			return nil
		}, nil
	}, &res.Blob)
	if err != nil {
		return AggregateResult{}, err
	}
	return res, nil
}

// call writes the base into a fresh directory, builds the request, runs
// the program and reads the checkpoint it wrote to out into blob.
func (e *ExecTrainer) call(ctx context.Context, baseCk *federated.Checkpoint,
	build func(dir, base, out string) (*ExecRequest, func(ExecResponse) error, error), blob *[]byte) error {
	if e.Program == nil {
		return errors.New("exec trainer: no program")
	}
	if baseCk == nil {
		return errors.New("exec trainer: no base checkpoint")
	}
	dir, err := os.MkdirTemp(e.Dir, "meshd-train-")
	if err != nil {
		return fmt.Errorf("exec trainer: %w", err)
	}
	defer os.RemoveAll(dir)
	base, out := filepath.Join(dir, "base"), filepath.Join(dir, "out")
	if err := os.WriteFile(base, baseCk.Encode(), 0o600); err != nil {
		return fmt.Errorf("exec trainer: %w", err)
	}
	req, accept, err := build(dir, base, out)
	if err != nil {
		return fmt.Errorf("exec trainer: %w", err)
	}
	err = e.Program.Run(ctx, req, execResponseBytes, func(stdout []byte) error {
		var resp ExecResponse
		if err := json.Unmarshal(stdout, &resp); err != nil {
			return fmt.Errorf("malformed response: %w", err)
		}
		if resp.Error != "" {
			return fmt.Errorf("backend error: %s", resp.Error)
		}
		return accept(resp)
	})
	if err != nil {
		return fmt.Errorf("exec trainer %s: %w", req.Op, err)
	}
	b, err := readFileCapped(out, DefaultMaxBlobBytes)
	if err != nil {
		return fmt.Errorf("exec trainer %s: out file: %w", req.Op, err)
	}
	// Only checkpoints of the base's shape can be aggregated or trained
	// from: refuse anything else here rather than commit to it.
	ck, err := federated.Decode(b)
	if err == nil && (ck.Buckets() != baseCk.Buckets() || ck.Hidden() != baseCk.Hidden() || ck.Shift() != baseCk.Shift()) {
		err = errors.New("not of the base checkpoint's shape")
	}
	if err != nil {
		return fmt.Errorf("exec trainer %s: out file: %w", req.Op, err)
	}
	*blob = b
	return nil
}

// readFileCapped reads a file of at most limit bytes.
func readFileCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return blobfetch.ReadCapped(f, limit)
}

func wireExamples(exs []train.Example) []ExecExample {
	out := make([]ExecExample, 0, len(exs))
	for _, ex := range exs {
		label := ""
		if ex.Label >= 0 && ex.Label < embedded.NumLabels {
			label = embedded.Labels[ex.Label]
		}
		out = append(out, ExecExample{Text: ex.Text, Label: label})
	}
	return out
}

func parseExamples(exs []ExecExample) ([]train.Example, error) {
	out := make([]train.Example, 0, len(exs))
	for i, ex := range exs {
		label := labelIndex(ex.Label)
		if label < 0 {
			return nil, fmt.Errorf("example %d: unknown label %q", i, ex.Label)
		}
		out = append(out, train.Example{Text: ex.Text, Label: label})
	}
	return out, nil
}

// ServeExec answers one exec-trainer request read from in on out with
// CPUTrainer: the program side of the contract (meshd-worker exec-train).
// It returns the error it reported, so that the caller can exit non-zero.
func ServeExec(ctx context.Context, in io.Reader, out io.Writer) error {
	resp, err := serveExec(ctx, in)
	if err != nil {
		resp = ExecResponse{Error: err.Error()}
	}
	if werr := json.NewEncoder(out).Encode(resp); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

func serveExec(ctx context.Context, in io.Reader) (ExecResponse, error) {
	var req ExecRequest
	if err := json.NewDecoder(io.LimitReader(in, maxExecRequestBytes)).Decode(&req); err != nil {
		return ExecResponse{}, fmt.Errorf("bad request: %w", err)
	}
	if req.Op != ExecOpTrain && req.Op != ExecOpAggregate {
		return ExecResponse{}, fmt.Errorf("unknown op %q", req.Op)
	}
	if req.Out == "" {
		return ExecResponse{}, errors.New("bad request: no out path")
	}
	base, err := readCheckpoint(req.Base)
	if err != nil {
		return ExecResponse{}, fmt.Errorf("base: %w", err)
	}
	heldOut, err := parseExamples(req.HeldOut)
	if err != nil {
		return ExecResponse{}, fmt.Errorf("heldout: %w", err)
	}
	var resp ExecResponse
	var blob []byte
	switch req.Op {
	case ExecOpTrain:
		examples, err := parseExamples(req.Examples)
		if err != nil {
			return ExecResponse{}, fmt.Errorf("examples: %w", err)
		}
		res, err := CPUTrainer{}.Train(ctx, TrainRequest{Task: req.Task, Round: req.Round, Runtime: req.Runtime,
			BaseModel: req.BaseModel, Base: base, Examples: examples, HeldOut: heldOut, Hyperparams: string(req.Hyperparams)})
		if err != nil {
			return ExecResponse{}, err
		}
		blob, resp.Samples, resp.Loss = res.Blob, &res.Samples, &res.Loss
	case ExecOpAggregate:
		rule, err := federated.ParseRule(req.Rule)
		if err != nil {
			return ExecResponse{}, err
		}
		updates := make([]federated.Weighted, 0, len(req.Updates))
		for i, u := range req.Updates {
			ck, err := readCheckpoint(u.Path)
			if err != nil {
				return ExecResponse{}, fmt.Errorf("update %d: %w", i, err)
			}
			updates = append(updates, federated.Weighted{Ckpt: ck, Samples: u.Samples})
		}
		res, err := CPUTrainer{}.Aggregate(ctx, AggregateRequest{Task: req.Task, Round: req.Round, Rule: rule, Base: base,
			Updates: updates, HeldOut: heldOut})
		if err != nil {
			return ExecResponse{}, err
		}
		blob, resp.EvalLoss = res.Blob, &res.EvalLoss
	}
	if err := os.WriteFile(req.Out, blob, 0o600); err != nil {
		return ExecResponse{}, err
	}
	return resp, nil
}

func readCheckpoint(path string) (*federated.Checkpoint, error) {
	b, err := readFileCapped(path, DefaultMaxBlobBytes)
	if err != nil {
		return nil, err
	}
	return federated.Decode(b)
}
