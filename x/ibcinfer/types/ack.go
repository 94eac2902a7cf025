package types

import (
	"encoding/hex"
	"encoding/json"
	"strconv"

	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// AckResult is the JSON carried in the success acknowledgement of an
// inference packet (channeltypes.Acknowledgement_Result.result): the source
// chain's ICS-20 module treats the acknowledgement as a success, and emits
// this JSON in the "success" attribute of its fungible_token_packet event; a
// source contract reads it in its ack callback. Integers that may exceed
// 2^53 are strings, as in Cosmos JSON.
type AckResult struct {
	// JobID of the x/inference job on meshd.
	JobID string `json:"job_id"`
	// Model id.
	Model string `json:"model"`
	// InputDigest is the hex SHA-256 of the input.
	InputDigest string `json:"input_digest"`
	// Output agreed on, as bytes (base64 in JSON), cut at
	// max_ack_output_bytes.
	Output []byte `json:"output"`
	// OutputTruncated is true when Output was cut.
	OutputTruncated bool `json:"output_truncated"`
	// OutputDigest is the hex SHA-256 of the whole output agreed on.
	OutputDigest string `json:"output_digest"`
	// Mode of consensus: "exact", "median" or "verify" (workers: the
	// generator and the verifiers that accepted its output).
	Mode string `json:"mode"`
	// Workers whose answers agreed.
	Workers []string `json:"workers"`
	// Fee charged, as a coin string in meshd's denom (e.g. "2000ibc/…").
	Fee string `json:"fee"`
	// Refund of the unspent fee sent back to the sender ("" when none).
	Refund string `json:"refund"`
	// Height of meshd at which the job ended.
	Height string `json:"height"`
}

// NewAckResult is the result of a finalized job; the output is cut at
// maxOutput bytes.
func NewAckResult(job inferencetypes.Job, maxOutput uint32) AckResult {
	out := job.Result
	truncated := false
	if len(out) > int(maxOutput) {
		out, truncated = out[:maxOutput], true
	}
	var workers []string
	for _, a := range job.Assignments {
		if a.Agreed {
			workers = append(workers, a.Worker)
		}
	}
	if workers == nil {
		workers = []string{}
	}
	mode := inferencetypes.ModeName(job.Mode)
	refund := ""
	if job.Refunded.IsPositive() {
		refund = job.Refunded.String()
	}
	return AckResult{
		JobID:           strconv.FormatUint(job.Id, 10),
		Model:           job.ModelId,
		InputDigest:     hex.EncodeToString(job.InputDigest),
		Output:          out,
		OutputTruncated: truncated,
		OutputDigest:    hex.EncodeToString(job.ResultDigest),
		Mode:            mode,
		Workers:         workers,
		Fee:             job.Fee.String(),
		Refund:          refund,
		Height:          strconv.FormatInt(job.EndedHeight, 10),
	}
}

// Bytes is the result's JSON (encoding/json: fields in declaration order, so
// every node writes the same bytes).
func (r AckResult) Bytes() ([]byte, error) { return json.Marshal(r) }
