// Package exec is the backend that runs an external program (a PyTorch or
// CUDA GEMM, a local model, say) once per challenge or inference, speaking
// JSON on stdin and stdout.
//
// The contract, documented for backend authors in worker/README.md:
//
//	stdin:  {"op":"poc_gemm","seed":"<hex>","m":M,"n":N,"p":P}
//	stdout: {"rows_b64":"<base64 of the M·P int32 of C, little-endian, row-major>"}
//	    or  {"error":"<message>"}
//
//	stdin:  {"op":"infer","model":"<model id>","input_b64":"<base64 of the input>"}
//	stdout: {"output_b64":"<base64 of the output, 1..1024 bytes>"}
//	    or  {"error":"<message>"}
//
// A and B are generated from the seed exactly as x/compute/poc specifies.
package exec

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/x/compute/poc"
)

// The operations of protocol version 1.
const (
	OpPoCGEMM = "poc_gemm"
	OpInfer   = "infer"
)

// InferResponseSize bounds an infer answer: base64 of the largest output
// plus slack for the JSON around it.
var InferResponseSize = int64(base64.StdEncoding.EncodedLen(backends.MaxOutputBytes)) + 4096

// maxRequestBytes bounds what Serve reads: a request is a few hundred bytes.
const maxRequestBytes = 1 << 20

// Request is what the worker writes to the program's stdin.
type Request struct {
	Op   string `json:"op"`
	Seed string `json:"seed"`
	M    int    `json:"m"`
	N    int    `json:"n"`
	P    int    `json:"p"`
}

// InferRequest is the "infer" request.
type InferRequest struct {
	Op       string `json:"op"`
	Model    string `json:"model"`
	InputB64 string `json:"input_b64"`
}

// NewInferRequest builds the request for one inference.
func NewInferRequest(model string, input []byte) InferRequest {
	return InferRequest{Op: OpInfer, Model: model, InputB64: base64.StdEncoding.EncodeToString(input)}
}

// Response is what the program writes to stdout: the field of its op, or error.
type Response struct {
	RowsB64   string `json:"rows_b64,omitempty"`
	OutputB64 string `json:"output_b64,omitempty"`
	Error     string `json:"error,omitempty"`
}

// wireRequest holds the fields of every op, for Serve.
type wireRequest struct {
	Request
	Model    string `json:"model"`
	InputB64 string `json:"input_b64"`
}

// NewRequest builds the request for a challenge.
func NewRequest(seed []byte, d poc.Dims) Request {
	return Request{Op: OpPoCGEMM, Seed: hex.EncodeToString(seed), M: d.M, N: d.N, P: d.P}
}

// Parse checks a request and returns its seed and shape.
func (r Request) Parse() ([]byte, poc.Dims, error) {
	if r.Op != OpPoCGEMM {
		return nil, poc.Dims{}, fmt.Errorf("unknown op %q", r.Op)
	}
	seed, err := hex.DecodeString(r.Seed)
	if err != nil || len(seed) == 0 {
		return nil, poc.Dims{}, fmt.Errorf("seed must be non-empty hex")
	}
	d := poc.Dims{M: r.M, N: r.N, P: r.P}
	return seed, d, d.Validate()
}

// ResponseSize is the size of a successful response for d, plus slack for
// the JSON around it: the default output limit.
func ResponseSize(d poc.Dims) int64 {
	return int64(base64.StdEncoding.EncodedLen(4*d.M*d.P)) + 4096
}

// Serve answers one request read from in on out: poc_gemm with pb, infer
// with ib (unknown op when nil). It is the program side of the contract
// (meshd-worker exec-cpu), and returns the error it reported, so that the
// caller can exit non-zero.
func Serve(ctx context.Context, in io.Reader, out io.Writer, pb backends.PoC, ib backends.Inference) error {
	resp, err := serve(ctx, in, pb, ib)
	if err != nil {
		resp = Response{Error: err.Error()}
	}
	if werr := json.NewEncoder(out).Encode(resp); werr != nil {
		return errors.Join(err, werr)
	}
	return err
}

func serve(ctx context.Context, in io.Reader, pb backends.PoC, ib backends.Inference) (Response, error) {
	var req wireRequest
	dec := json.NewDecoder(io.LimitReader(in, maxRequestBytes))
	if err := dec.Decode(&req); err != nil {
		return Response{}, fmt.Errorf("bad request: %w", err)
	}
	if req.Op == OpInfer && ib != nil {
		input, err := base64.StdEncoding.DecodeString(req.InputB64)
		if err != nil {
			return Response{}, fmt.Errorf("bad request: input_b64: %w", err)
		}
		output, err := ib.Infer(ctx, req.Model, input)
		if err != nil {
			return Response{}, err
		}
		return Response{OutputB64: base64.StdEncoding.EncodeToString(output)}, nil
	}
	if pb == nil && req.Op == OpPoCGEMM {
		return Response{}, fmt.Errorf("unknown op %q", req.Op)
	}
	seed, d, err := req.Parse()
	if err != nil {
		return Response{}, fmt.Errorf("bad request: %w", err)
	}
	rows, err := pb.ProvePoC(ctx, seed, d)
	if err != nil {
		return Response{}, err
	}
	buf := make([]byte, 0, 4*d.M*d.P)
	for _, r := range rows {
		buf = append(buf, r...)
	}
	return Response{RowsB64: base64.StdEncoding.EncodeToString(buf)}, nil
}

// decodeResponse turns a program's stdout into rows of d.
func decodeResponse(out []byte, d poc.Dims) ([][]byte, error) {
	var resp Response
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("malformed response: %w", err)
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("backend error: %s", resp.Error)
	}
	buf, err := base64.StdEncoding.DecodeString(resp.RowsB64)
	if err != nil {
		return nil, fmt.Errorf("malformed rows_b64: %w", err)
	}
	if len(buf) != 4*d.M*d.P {
		return nil, fmt.Errorf("rows_b64 holds %d bytes, want %d (m·p·4)", len(buf), 4*d.M*d.P)
	}
	return backends.SplitRows(buf, d)
}

// decodeInferResponse turns a program's stdout into an inference output.
func decodeInferResponse(out []byte) ([]byte, error) {
	var resp Response
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("malformed response: %w", err)
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("backend error: %s", resp.Error)
	}
	if resp.OutputB64 == "" {
		return nil, errors.New("malformed response: no output_b64 (an empty output cannot be revealed)")
	}
	output, err := base64.StdEncoding.DecodeString(resp.OutputB64)
	if err != nil {
		return nil, fmt.Errorf("malformed output_b64: %w", err)
	}
	if len(output) > backends.MaxOutputBytes {
		return nil, fmt.Errorf("output of %d bytes exceeds %d", len(output), backends.MaxOutputBytes)
	}
	return output, nil
}
