package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmesh/mesh/worker/backends/exec"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/training"
)

const (
	flagTrain        = "train"
	flagBlobURL      = "blob-url"
	flagTrainExec    = "train-exec"
	flagTrainTimeout = "train-timeout"
)

func addTrainFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String(flagTrain, "off", "x/training: auto (join every task on a served base model), task ids (1,4), or off")
	f.String(flagBlobURL, "", "base URL other workers fetch this worker's training blobs from (default: http://<--listen>)")
	f.String(flagTrainExec, "", "external trainer program and arguments (split on spaces, no shell) run once per update and aggregate (empty: the built-in CPU trainer)")
	f.Duration(flagTrainTimeout, exec.DefaultTimeout, "external trainer: time limit of one run")
	f.String(flagIPFSGateway, "", "IPFS HTTP gateway (e.g. http://127.0.0.1:8080) that resolves ipfs://<cid> blob and weights URIs (digests are checked as for http)")
}

// flagIPFSGateway resolves ipfs:// URIs for training blobs and model weights.
const flagIPFSGateway = "ipfs-gateway"

// blobsDir holds the training blobs (updates and checkpoints) by SHA-256.
func blobsDir(home string) string { return filepath.Join(home, "blobs") }

// trainingDir holds the training records (salts, commitments, tx hashes).
func trainingDir(home string) string { return filepath.Join(home, "data", "training") }

// trainer is the training loop's setup, nil with --train off.
type trainer struct {
	auto    bool
	ids     []uint64
	blobURL string
	blobs   *training.BlobStore
	records *training.Records
	// train computes updates and checkpoints; nil: the built-in one.
	train training.Trainer
	// ipfsGateway resolves ipfs:// blob URIs (--ipfs-gateway).
	ipfsGateway string
}

// parseTrain reads --train: "off" (or empty), "auto", or task ids.
func parseTrain(s string) (on, auto bool, ids []uint64, err error) {
	switch s = strings.TrimSpace(s); s {
	case "", "off":
		return false, false, nil, nil
	case "auto":
		return true, true, nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		id, err := strconv.ParseUint(strings.TrimSpace(part), 10, 64)
		if err != nil || id == 0 {
			return false, false, nil, fmt.Errorf("--%s %q: want auto, off or task ids (1,4)", flagTrain, s)
		}
		ids = append(ids, id)
	}
	return true, false, ids, nil
}

// newTrainer opens the blob store and the records when --train is on.
func newTrainer(cmd *cobra.Command, home, listen string) (*trainer, error) {
	spec, _ := cmd.Flags().GetString(flagTrain)
	on, auto, ids, err := parseTrain(spec)
	if err != nil || !on {
		return nil, err
	}
	if listen == "" {
		return nil, fmt.Errorf("--%s needs --%s: the blobs other workers fetch are served there", flagTrain, flagListen)
	}
	t := &trainer{auto: auto, ids: ids}
	t.ipfsGateway, _ = cmd.Flags().GetString(flagIPFSGateway)
	if t.blobURL, _ = cmd.Flags().GetString(flagBlobURL); t.blobURL != "" {
		u, err := url.Parse(t.blobURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("--%s %q: want http(s)://host[:port]", flagBlobURL, t.blobURL)
		}
	}
	if line, _ := cmd.Flags().GetString(flagTrainExec); strings.TrimSpace(line) != "" {
		timeout, _ := cmd.Flags().GetDuration(flagTrainTimeout)
		if t.train, err = training.NewExecTrainer(line, timeout); err != nil {
			return nil, fmt.Errorf("--%s: %w", flagTrainExec, err)
		}
	}
	if t.blobs, err = training.OpenBlobs(blobsDir(home)); err != nil {
		return nil, err
	}
	if t.records, err = training.OpenRecords(trainingDir(home)); err != nil {
		return nil, err
	}
	return t, nil
}

// handler adds the blobs (GET /blobs/<hex>) to rt's routes (every other
// path stays 404).
func (t *trainer) handler(rt *health.Router) http.Handler {
	if t != nil {
		rt.Handle("", training.BlobsPath, t.blobs.Handler())
	}
	return rt
}

// loop makes the training loop; the blob URL defaults to the HTTP server's
// address.
func (t *trainer) loop(c *chain.Client, httpAddr net.Addr, models []string, metrics *health.Metrics, status *health.Status,
	log *slog.Logger, poll time.Duration) (*training.Loop, error) {
	if t.blobURL == "" {
		if httpAddr == nil {
			return nil, errors.New("no HTTP server for the training blobs")
		}
		t.blobURL = "http://" + httpAddr.String()
		if tcp, ok := httpAddr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
			log.Warn("training blobs are announced at an unspecified address; set --blob-url to one other workers reach",
				"blob_url", t.blobURL)
		}
	}
	return training.New(training.Config{Chain: c, Blobs: t.blobs, Records: t.records, BlobURL: t.blobURL,
		Auto: t.auto, Tasks: t.ids, Models: models, NodeMetrics: metrics, Status: status, Logger: log, PollInterval: poll,
		Trainer: t.train, Fetcher: &training.Fetcher{Store: t.blobs, IPFSGateway: t.ipfsGateway}})
}
