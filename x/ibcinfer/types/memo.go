package types

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	errorsmod "cosmossdk.io/errors"

	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// InferMemo is the inference request in an ICS-20 memo:
//
//	{"mesh":{"infer":{"model":"m1","input":"2+2=","redundancy":2,"mode":"exact","max_blocks":30}}}
//
// model and input are required; the rest default as in MsgRequestInference
// (redundancy 0 = default_redundancy, mode exact, max_blocks 0 =
// commit_blocks + reveal_blocks).
type InferMemo struct {
	// Model is the x/inference model id.
	Model string `json:"model"`
	// Input is the inline input, UTF-8 text.
	Input string `json:"input"`
	// Redundancy is the number of workers (0: the default).
	Redundancy uint32 `json:"redundancy,omitempty"`
	// Mode is "exact" (default), "median", or "verify" (generative models:
	// one generator, redundancy − 1 verifiers; redundancy ≥ 4).
	Mode string `json:"mode,omitempty"`
	// Tolerance of the median mode.
	Tolerance int64 `json:"tolerance,omitempty"`
	// MaxBlocks is the job's deadline in blocks (MsgRequestInference.deadline_blocks).
	MaxBlocks int64 `json:"max_blocks,omitempty"`
	// TrustSingleWorker opts into a redundancy below x/inference's
	// min_redundancy_untrusted (MsgRequestInference.trust_single_worker).
	TrustSingleWorker bool `json:"trust_single_worker,omitempty"`
}

// meshMemo is the value of the "mesh" key.
type meshMemo struct {
	Infer  *InferMemo  `json:"infer,omitempty"`
	Refund *RefundMemo `json:"refund,omitempty"`
}

// RefundMemo marks the ICS-20 transfer that returns a job's unspent fee:
// {"mesh":{"refund":{"job_id":"12"}}}. It is informational: a packet
// carrying it is an ordinary transfer, on meshd as on any other chain.
type RefundMemo struct {
	// JobID whose unspent fee the transfer returns.
	JobID string `json:"job_id"`
}

// RefundMemoString is the memo of the refund of jobID's unspent fee.
func RefundMemoString(jobID uint64) string {
	return `{"mesh":{"refund":{"job_id":"` + strconv.FormatUint(jobID, 10) + `"}}}`
}

// foreignReceiveKeys are memo keys of other middlewares that act on the
// receiving chain; combined with "mesh" they would act on the tokens a job
// escrows, so such a memo is refused. Source-side keys (src_callback) and
// unknown keys pass.
var foreignReceiveKeys = []string{"dest_callback", "forward", "wasm"}

// ParseMemo reads an ICS-20 memo. ours is false when the memo does not
// contain the quoted string "mesh", or is a JSON object without a top-level
// "mesh" key: such a packet is not this module's and passes through
// untouched (as does a refund's {"mesh":{"refund":…}}). A memo that
// contains "mesh" and is longer than maxBytes, or is not a JSON object, is
// refused. When ours is true, err says why the request is
// refused, or m is the request. Refused: a memo longer than maxBytes;
// duplicate keys at any level of the "mesh" value or at the top level;
// unknown fields; trailing data; a "mesh" key combined with dest_callback,
// forward or wasm; a missing model or input; input that is not UTF-8; an
// unknown mode; negative numbers.
func ParseMemo(memo string, maxBytes uint32) (m *InferMemo, ours bool, err error) {
	if !strings.Contains(memo, `"`+MemoKey+`"`) {
		return nil, false, nil
	}
	if len(memo) > int(maxBytes) {
		// Checked before any parsing, so that the work per packet is bounded
		// by the param whatever the counterparty sends (a long memo of
		// another middleware that merely contains "mesh" is refused too).
		return nil, true, errorsmod.Wrapf(ErrMemoTooLarge, "%d bytes, max_memo_bytes %d", len(memo), maxBytes)
	}
	top, err := objectFields([]byte(memo))
	if err != nil {
		// It names "mesh" but is no JSON object: most likely a request with
		// a typo, which must not become a plain transfer.
		return nil, true, errorsmod.Wrapf(ErrInvalidMemo, "memo mentions %q but is not a JSON object: %v", MemoKey, err)
	}
	raw, ok := top.get(MemoKey)
	if !ok {
		return nil, false, nil
	}
	if top.dup != "" {
		return nil, true, errorsmod.Wrapf(ErrInvalidMemo, "duplicate key %q", top.dup)
	}
	for _, k := range foreignReceiveKeys {
		if _, ok := top.get(k); ok {
			return nil, true, errorsmod.Wrapf(ErrInvalidMemo, "%q cannot be combined with %q", MemoKey, k)
		}
	}
	var mm meshMemo
	if err := strictDecode(raw, &mm); err != nil {
		return nil, true, errorsmod.Wrapf(ErrInvalidMemo, "%q: %v", MemoKey, err)
	}
	switch {
	case mm.Infer == nil && mm.Refund != nil:
		return nil, false, nil // a refund of ours coming back: an ordinary transfer
	case mm.Infer == nil:
		return nil, true, errorsmod.Wrapf(ErrInvalidMemo, "%q holds no \"infer\" request", MemoKey)
	case mm.Refund != nil:
		return nil, true, errorsmod.Wrapf(ErrInvalidMemo, "%q holds both \"infer\" and \"refund\"", MemoKey)
	}
	if err := mm.Infer.Validate(); err != nil {
		return nil, true, err
	}
	return mm.Infer, true, nil
}

// Validate checks the request's fields (the x/inference checks against
// params and the model follow at receipt).
func (m InferMemo) Validate() error {
	switch {
	case m.Model == "":
		return errorsmod.Wrap(ErrInvalidMemo, "infer.model is empty")
	case m.Input == "":
		return errorsmod.Wrap(ErrInvalidMemo, "infer.input is empty")
	case !utf8.ValidString(m.Input):
		return errorsmod.Wrap(ErrInvalidMemo, "infer.input is not UTF-8")
	case !validMode(m.Mode):
		return errorsmod.Wrapf(ErrInvalidMemo, "infer.mode %q is not exact, median or verify", m.Mode)
	case m.Tolerance < 0:
		return errorsmod.Wrap(ErrInvalidMemo, "infer.tolerance is negative")
	case m.Tolerance != 0 && m.Mode != "median":
		return errorsmod.Wrap(ErrInvalidMemo, "infer.tolerance is for mode median only")
	case m.MaxBlocks < 0:
		return errorsmod.Wrap(ErrInvalidMemo, "infer.max_blocks is negative")
	}
	return nil
}

// strictDecode decodes one JSON object into v: unknown fields, duplicate
// keys (at any depth) and trailing data are errors.
func strictDecode(raw []byte, v any) error {
	if err := checkNoDuplicates(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the object")
	}
	return nil
}

// fields are the top-level members of a JSON object, in order.
type fields struct {
	keys []string
	vals []json.RawMessage
	dup  string // the first key seen twice, if any
}

func (f fields) get(key string) (json.RawMessage, bool) {
	for i, k := range f.keys {
		if k == key {
			return f.vals[i], true
		}
	}
	return nil, false
}

// objectFields splits a JSON object into its members without decoding the
// values; it fails on anything but exactly one object.
func objectFields(raw []byte) (fields, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var f fields
	tok, err := dec.Token()
	if err != nil {
		return f, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return f, fmt.Errorf("not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return f, err
		}
		key, ok := tok.(string)
		if !ok {
			return f, fmt.Errorf("object key is not a string")
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return f, err
		}
		if _, seen := f.get(key); seen && f.dup == "" {
			f.dup = key
		}
		f.keys = append(f.keys, key)
		f.vals = append(f.vals, val)
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return f, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return f, fmt.Errorf("trailing data after the object")
	}
	return f, nil
}

// checkNoDuplicates walks a JSON value and fails on an object with a key
// seen twice, at any depth. The input is bounded by max_memo_bytes.
func checkNoDuplicates(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	return walkValue(dec, 0)
}

const maxMemoDepth = 16

func walkValue(dec *json.Decoder, depth int) error {
	if depth > maxMemoDepth {
		return fmt.Errorf("nested deeper than %d", maxMemoDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		var seen []string
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			for _, s := range seen {
				if s == key {
					return fmt.Errorf("duplicate key %q", key)
				}
			}
			seen = append(seen, key)
			if err := walkValue(dec, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := walkValue(dec, depth+1); err != nil {
				return err
			}
		}
	}
	_, err = dec.Token() // closing delimiter
	return err
}

func validMode(s string) bool {
	_, ok := inferencetypes.ParseModeName(s)
	return ok
}
