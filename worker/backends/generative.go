package backends

import (
	"bytes"
	"context"
	"encoding/json"
)

// GenSettings are the fixed generation settings a VERIFY job records
// (x/inference VerifySpec).
type GenSettings struct {
	// MaxTokens is the most new tokens (greedy decoding, temperature 0).
	MaxTokens int
	// TopK is k of the verifier's top-k statistic.
	TopK int
}

// Score is a verifier's measurement of a generated output.
type Score struct {
	// Method is "rescore" (teacher-forced log-probs) or "regenerate"
	// (regenerate and compare).
	Method string
	// Tokens is the number of output tokens scored (EOS counted when the
	// output ended early).
	Tokens uint32
	// InTopKBps: rescore: share of scored tokens inside the verifier's
	// top-k, in basis points; regenerate: share of agreeing tokens.
	InTopKBps uint32
	// MeanGapMilli: rescore: mean over scored tokens of (the verifier's
	// top-1 log-prob − log-prob of the given token), milli-nats, ≥ 0;
	// regenerate: 0.
	MeanGapMilli uint32
	// EndOK: the output ends where the model would end it: at MaxTokens, or
	// at a point where EOS is in the verifier's top-k.
	EndOK bool
}

// Accept is the verdict rule the chain applies to a re-scoring verdict:
// InTopKBps ≥ minInTopKBps, MeanGapMilli ≤ maxMeanGapMilli and EndOK.
func (s Score) Accept(minInTopKBps, maxMeanGapMilli uint32) bool {
	return s.InTopKBps >= minInTopKBps && s.MeanGapMilli <= maxMeanGapMilli && s.EndOK
}

// Generative is an Inference backend that can generate text and re-score
// given text.
type Generative interface {
	Inference
	// Generate greedy-decodes a completion of input (a prompt, or a chat
	// JSON {"messages":[{"role","content"}...]}) under model and s; the
	// returned bytes are what the generator commits to (UTF-8 text, at
	// most MaxOutputBytes).
	Generate(ctx context.Context, model string, input []byte, s GenSettings) ([]byte, error)
	// Score re-scores output as the completion of input (one batched
	// teacher-forced forward pass over prompt and output where the server
	// allows it).
	Score(ctx context.Context, model string, input, output []byte, s GenSettings) (Score, error)
}

// ChatMessage is one message of a chat input.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ParseChat reads a job input that is a chat, {"messages":[{"role":…,
// "content":…}…]} with at least one message; any other input (a raw
// prompt, even one that starts with "{") is not.
func ParseChat(input []byte) ([]ChatMessage, bool) {
	var chat struct {
		Messages []ChatMessage `json:"messages"`
	}
	t := bytes.TrimSpace(input)
	if len(t) == 0 || t[0] != '{' || json.Unmarshal(t, &chat) != nil || len(chat.Messages) == 0 {
		return nil, false
	}
	return chat.Messages, true
}
