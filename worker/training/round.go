package training

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/internal/poll"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// SaltBytes is the length of an update commitment's salt.
const SaltBytes = 32

// participant plays the worker's part as a drawn participant of round.
func (l *Loop) participant(ctx context.Context, height int64, task *trainingtypes.Task, round *trainingtypes.Round) error {
	idx := slices.IndexFunc(round.Updates, func(u trainingtypes.Update) bool { return u.Worker == l.chain.Address() })
	if idx < 0 {
		return nil
	}
	u := round.Updates[idx]
	key := onceKey{task: task.Id, round: round.Number}
	rec, found, err := l.cfg.Records.Update(task.Id, round.Number)
	if err != nil {
		l.logOnce(slog.LevelError, withWhat(key, "update-unreadable"), "update record unreadable", "task", task.Id,
			"round", round.Number, "err", err)
		found = false
	}
	committed := len(u.Commitment) > 0
	if committed && found && !bytes.Equal(rec.Commitment, u.Commitment) {
		// Another process with this key, or a damaged record: our salt
		// does not open this commitment.
		l.logOnce(slog.LevelError, withWhat(key, "foreign"), "the commitment on chain is not ours (another worker with this key?): cannot reveal",
			"task", task.Id, "round", round.Number)
		return nil
	}
	if committed && found && !rec.Committed {
		rec.Committed = true
		if err := l.cfg.Records.SaveUpdate(rec); err != nil {
			return l.fail(err)
		}
		l.m.UpdatesCommitted.Inc()
		l.log.Info("update commitment on chain", "task", task.Id, "round", round.Number)
	}
	if u.Revealed && found && !rec.Revealed {
		rec.Revealed = true
		if err := l.cfg.Records.SaveUpdate(rec); err != nil {
			return l.fail(err)
		}
		l.m.UpdatesRevealed.Inc()
		l.log.Info("update reveal on chain", "task", task.Id, "round", round.Number, "digest", hex.EncodeToString(rec.Digest))
	}
	switch round.Phase {
	case trainingtypes.ROUND_PHASE_COMMIT:
		if committed {
			return nil
		}
		// A tx broadcast now lands at height+1 at the earliest.
		if height >= round.CommitEnd {
			l.logOnce(slog.LevelWarn, withWhat(key, "commit-skip"), "commit phase over before our commitment", "task", task.Id,
				"round", round.Number, "height", height, "commit_end", round.CommitEnd)
			return nil
		}
		if !found {
			if rec, err = l.train(ctx, task, round, idx); err != nil {
				return err
			}
		}
		return l.commit(ctx, height, task, round, rec)
	case trainingtypes.ROUND_PHASE_REVEAL:
		switch {
		case !committed:
			l.logOnce(slog.LevelWarn, withWhat(key, "no-commit"), "reveal phase without our commitment: nothing to reveal",
				"task", task.Id, "round", round.Number)
			return nil
		case u.Revealed:
			return nil
		case !found:
			l.logOnce(slog.LevelError, withWhat(key, "lost"), "our commitment is on chain but its record (salt) is gone: cannot reveal",
				"task", task.Id, "round", round.Number)
			return nil
		case height >= round.RevealEnd:
			l.logOnce(slog.LevelWarn, withWhat(key, "reveal-skip"), "reveal phase over before our reveal", "task", task.Id,
				"round", round.Number, "height", height, "reveal_end", round.RevealEnd)
			return nil
		}
		return l.reveal(ctx, height, task, round, rec)
	}
	return nil
}

func withWhat(k onceKey, what string) onceKey {
	k.what = what
	return k
}

// train computes the worker's update for round, stores its blob and saves
// its record (with a fresh salt and the commitment) before anything is
// broadcast.
func (l *Loop) train(ctx context.Context, task *trainingtypes.Task, round *trainingtypes.Round, idx int) (UpdateRecord, error) {
	start := time.Now()
	stats, data, err := l.localUpdate(ctx, task, round, idx)
	if err != nil {
		return UpdateRecord{}, err
	}
	digest, err := l.cfg.Blobs.Put(stats.Blob)
	if err != nil {
		return UpdateRecord{}, l.fail(fmt.Errorf("storing the update: %w", err))
	}
	salt := make([]byte, SaltBytes)
	if _, err := rand.Read(salt); err != nil {
		return UpdateRecord{}, l.fail(fmt.Errorf("salt: %w", err))
	}
	rec := UpdateRecord{TaskID: task.Id, Round: round.Number, BaseDigest: bytes.Clone(round.BaseDigest),
		Digest: digest[:], URI: BlobURI(l.cfg.BlobURL, digest[:]), Samples: stats.Samples, Loss: stats.Loss, Salt: salt,
		Commitment: trainingtypes.UpdateCommitment(task.Id, round.Number, l.addr, digest[:], stats.Samples, stats.Loss, salt),
		Shard:      idx, Shards: len(round.Updates), Data: data.source}
	if err := l.cfg.Records.SaveUpdate(rec); err != nil {
		return UpdateRecord{}, l.fail(fmt.Errorf("saving the update record: %w", err))
	}
	took := time.Since(start)
	l.m.UpdatesTrained.Inc()
	l.m.Duration.WithLabelValues("update").Observe(took.Seconds())
	l.log.Info("update trained", "task", task.Id, "round", round.Number, "shard", idx, "shards", len(round.Updates),
		"samples", stats.Samples, "loss", stats.Loss, "digest", hex.EncodeToString(digest[:]), "data", data.source,
		"took", took.Round(time.Microsecond))
	return rec, nil
}

// localUpdate runs the trainer (federated.LocalUpdate by default) on shard
// idx of the round's training split, from the round's base, with the
// task's hyper-parameters.
func (l *Loop) localUpdate(ctx context.Context, task *trainingtypes.Task, round *trainingtypes.Round, idx int) (TrainResult, roundData, error) {
	base, err := l.base(ctx, task, round)
	if err != nil {
		return TrainResult{}, roundData{}, err
	}
	data, err := l.roundData(ctx, task, round)
	if err != nil {
		return TrainResult{}, roundData{}, err
	}
	shard := federated.Shard(data.train, idx, len(round.Updates))
	res, err := l.cfg.Trainer.Train(ctx, TrainRequest{Task: task.Id, Round: round.Number, Runtime: task.Runtime,
		BaseModel: task.BaseModelId, Base: base, Examples: shard, HeldOut: data.test, Hyperparams: task.Hyperparams})
	if err != nil {
		return TrainResult{}, roundData{}, l.fail(err)
	}
	return res, data, nil
}

// commit broadcasts the record's commitment (never another one).
func (l *Loop) commit(ctx context.Context, height int64, task *trainingtypes.Task, round *trainingtypes.Round, rec UpdateRecord) error {
	key := onceKey{task: task.Id, round: round.Number, what: "commit"}
	if rec.CommitTx != "" && poll.Within(height, rec.CommitHeight, l.cfg.ResendAfter) || l.refusedRecently(key, height) {
		return nil
	}
	return l.send(ctx, height, key, rec.CommitTx, trainingtypes.ErrAlreadyCommitted, func() (string, error) {
		return l.chain.CommitUpdate(ctx, task.Id, round.Number, rec.Commitment, round.CommitEnd)
	}, func(hash string) error {
		rec.CommitTx, rec.CommitHeight = hash, height
		return l.cfg.Records.SaveUpdate(rec)
	})
}

// reveal broadcasts MsgRevealUpdate from the record, once its blob is
// there to be fetched (rebuilt if the disk lost it).
func (l *Loop) reveal(ctx context.Context, height int64, task *trainingtypes.Task, round *trainingtypes.Round, rec UpdateRecord) error {
	key := onceKey{task: task.Id, round: round.Number, what: "reveal"}
	if rec.RevealTx != "" && poll.Within(height, rec.RevealHeight, l.cfg.ResendAfter) || l.refusedRecently(key, height) {
		return nil
	}
	if !l.cfg.Blobs.Has(rec.Digest) {
		// The update is deterministic: train again and check it is the
		// committed one. A reveal nobody can fetch would only stall the
		// aggregators, so without the blob there is no reveal.
		res, _, err := l.localUpdate(ctx, task, round, rec.Shard)
		if err == nil && rec.Shards == len(round.Updates) {
			if d := sha256.Sum256(res.Blob); bytes.Equal(d[:], rec.Digest) {
				_, err = l.cfg.Blobs.Put(res.Blob)
			} else {
				err = errors.New("the update trained again differs from the committed one")
			}
		}
		if err != nil || !l.cfg.Blobs.Has(rec.Digest) {
			l.logOnce(slog.LevelError, withWhat(key, "blob-lost"), "the committed update's blob is gone and cannot be rebuilt: not revealing",
				"task", task.Id, "round", round.Number, "digest", hex.EncodeToString(rec.Digest), "err", err)
			return nil
		}
		l.log.Warn("update blob rebuilt", "task", task.Id, "round", round.Number)
	}
	return l.send(ctx, height, key, rec.RevealTx, trainingtypes.ErrAlreadyRevealed, func() (string, error) {
		return l.chain.RevealUpdate(ctx, trainingtypes.MsgRevealUpdate{TaskId: task.Id, Round: round.Number,
			Digest: rec.Digest, Samples: rec.Samples, Loss: rec.Loss, Uri: rec.URI, Salt: rec.Salt}, round.RevealEnd)
	}, func(hash string) error {
		rec.RevealTx, rec.RevealHeight = hash, height
		return l.cfg.Records.SaveUpdate(rec)
	}, "uri", rec.URI)
}

// settle accounts for an ended round (the one before the current, or a
// task's last): the submission that ended it is only seen there, as the
// next round starts in the same block.
func (l *Loop) settle(ctx context.Context, taskID uint64, number uint32) error {
	if number == 0 {
		return nil
	}
	// An unreadable record was logged when its round read it.
	rec, found, err := l.cfg.Records.Aggregate(taskID, number)
	if err != nil || !found || rec.Submitted {
		return nil
	}
	r, err := l.chain.Round(ctx, taskID, number)
	if err != nil {
		return l.nodeErr("round", err)
	}
	for _, a := range r.Aggregates {
		if a.Worker != l.chain.Address() || len(a.Digest) == 0 {
			continue
		}
		rec.Submitted = true
		if err := l.cfg.Records.SaveAggregate(rec); err != nil {
			return l.fail(err)
		}
		l.m.AggregatesSubmitted.Inc()
		l.log.Info("round ended", "task", taskID, "round", number, "phase", r.Phase.String(), "agreed", a.Agreed,
			"checkpoint", hex.EncodeToString(r.CheckpointDigest), "eval_loss", r.EvalLoss)
	}
	return nil
}

// aggregator plays the worker's part as a drawn aggregator of round.
func (l *Loop) aggregator(ctx context.Context, height int64, task *trainingtypes.Task, round *trainingtypes.Round) error {
	idx := slices.IndexFunc(round.Aggregates, func(a trainingtypes.Aggregate) bool { return a.Worker == l.chain.Address() })
	if idx < 0 {
		return nil
	}
	a := round.Aggregates[idx]
	key := onceKey{task: task.Id, round: round.Number, what: "aggregate"}
	rec, found, err := l.cfg.Records.Aggregate(task.Id, round.Number)
	if err != nil {
		l.logOnce(slog.LevelError, withWhat(key, "aggregate-unreadable"), "aggregate record unreadable", "task", task.Id,
			"round", round.Number, "err", err)
		found = false
	}
	submitted := len(a.Digest) > 0
	if submitted && found && !rec.Submitted {
		if !bytes.Equal(a.Digest, rec.Digest) {
			l.logOnce(slog.LevelError, withWhat(key, "foreign"), "the aggregate on chain is not ours (another worker with this key?)",
				"task", task.Id, "round", round.Number)
		}
		rec.Submitted = true
		if err := l.cfg.Records.SaveAggregate(rec); err != nil {
			return l.fail(err)
		}
		l.m.AggregatesSubmitted.Inc()
		l.log.Info("aggregate on chain", "task", task.Id, "round", round.Number, "digest", hex.EncodeToString(a.Digest))
	}
	if round.Phase != trainingtypes.ROUND_PHASE_AGGREGATE || submitted {
		return nil
	}
	if height >= round.AggregateEnd {
		l.logOnce(slog.LevelWarn, withWhat(key, "submit-skip"), "aggregate phase over before our submission", "task", task.Id,
			"round", round.Number, "height", height, "aggregate_end", round.AggregateEnd)
		return nil
	}
	if !found || !l.cfg.Blobs.Has(rec.Digest) {
		// A lost checkpoint blob is rebuilt: aggregation is deterministic.
		next, ok, err := l.aggregate(ctx, task, round)
		if err != nil || !ok {
			return err
		}
		if found && !bytes.Equal(next.Digest, rec.Digest) {
			l.log.Warn("checkpoint rebuilt with another digest", "task", task.Id, "round", round.Number)
		}
		if found {
			next.SubmitTx, next.SubmitHeight = rec.SubmitTx, rec.SubmitHeight
		}
		rec = next
	}
	if rec.SubmitTx != "" && poll.Within(height, rec.SubmitHeight, l.cfg.ResendAfter) || l.refusedRecently(key, height) {
		return nil
	}
	return l.send(ctx, height, key, rec.SubmitTx, trainingtypes.ErrAlreadySubmitted, func() (string, error) {
		return l.chain.SubmitAggregate(ctx, trainingtypes.MsgSubmitAggregate{TaskId: task.Id, Round: round.Number,
			Digest: rec.Digest, Uri: rec.URI, EvalLoss: rec.EvalLoss}, round.AggregateEnd)
	}, func(hash string) error {
		rec.SubmitTx, rec.SubmitHeight = hash, height
		return l.cfg.Records.SaveAggregate(rec)
	}, "digest", hex.EncodeToString(rec.Digest))
}

// aggregate fetches every revealed update, applies the task's rule,
// evaluates the result on the held-out split, stores the checkpoint and
// saves the record. ok is false, with a nil error, while an update cannot
// be fetched yet (logged; tried again next block) or when no update is
// valid.
//
// An update is left out only for reasons every honest aggregator sees
// alike: its blob (with the revealed digest) is not a checkpoint, or not
// of the base's shape. One that cannot be fetched is waited for, as
// aggregating without it would split the aggregators' votes. FEDAVG
// weighs each update by its revealed samples capped at 2 × the lower
// median of the revealed counts, the cap x/training pays by, so that a
// participant cannot outweigh the others by overstating its samples.
func (l *Loop) aggregate(ctx context.Context, task *trainingtypes.Task, round *trainingtypes.Round) (AggregateRecord, bool, error) {
	key := onceKey{task: task.Id, round: round.Number}
	rule, err := ruleOf(task.Aggregation)
	if err != nil {
		return AggregateRecord{}, false, l.fail(err)
	}
	base, err := l.base(ctx, task, round)
	if err != nil {
		return AggregateRecord{}, false, err
	}
	data, err := l.roundData(ctx, task, round)
	if err != nil {
		return AggregateRecord{}, false, err
	}
	start := time.Now()
	capped := samplesCap(round)
	var updates []federated.Weighted
	var used, excluded [][]byte
	for _, u := range round.Updates {
		if !u.Revealed {
			continue
		}
		blob, src, err := l.fetch.Fetch(ctx, u.Uri, u.Digest)
		if err != nil {
			l.m.BlobFetches.WithLabelValues("error").Inc()
			l.setError(fmt.Errorf("task %d round %d: update of %s: %w", task.Id, round.Number, u.Worker, err))
			l.logOnce(slog.LevelWarn, withWhat(key, "fetch:"+u.Worker), "cannot fetch an update yet; waiting for it",
				"task", task.Id, "round", round.Number, "participant", u.Worker, "uri", u.Uri, "err", err)
			return AggregateRecord{}, false, nil
		}
		l.m.BlobFetches.WithLabelValues(string(src)).Inc()
		ck, err := federated.Decode(blob)
		if err == nil && (ck.Buckets() != base.Buckets() || ck.Hidden() != base.Hidden() || ck.Shift() != base.Shift()) {
			err = errors.New("not of the base checkpoint's shape")
		}
		if err != nil {
			l.logOnce(slog.LevelWarn, withWhat(key, "invalid:"+u.Worker), "update left out", "task", task.Id,
				"round", round.Number, "participant", u.Worker, "err", err)
			excluded = append(excluded, u.Digest)
			continue
		}
		updates = append(updates, federated.Weighted{Ckpt: ck, Samples: min(u.Samples, capped)})
		used = append(used, u.Digest)
	}
	if len(updates) == 0 {
		l.logOnce(slog.LevelWarn, withWhat(key, "nothing"), "no valid update to aggregate", "task", task.Id, "round", round.Number)
		return AggregateRecord{}, false, nil
	}
	res, err := l.cfg.Trainer.Aggregate(ctx, AggregateRequest{Task: task.Id, Round: round.Number, Rule: rule, Base: base,
		Updates: updates, HeldOut: data.test})
	if err != nil {
		return AggregateRecord{}, false, l.fail(err)
	}
	loss, correct := res.EvalLoss, "?"
	if res.Correct >= 0 {
		correct = strconv.Itoa(res.Correct)
	}
	digest, err := l.cfg.Blobs.Put(res.Blob)
	if err != nil {
		return AggregateRecord{}, false, l.fail(fmt.Errorf("storing the checkpoint: %w", err))
	}
	rec := AggregateRecord{TaskID: task.Id, Round: round.Number, BaseDigest: bytes.Clone(round.BaseDigest), Digest: digest[:],
		URI: BlobURI(l.cfg.BlobURL, digest[:]), EvalLoss: loss, Updates: used, Excluded: excluded, Data: data.source}
	if err := l.cfg.Records.SaveAggregate(rec); err != nil {
		return AggregateRecord{}, false, l.fail(err)
	}
	took := time.Since(start)
	l.m.Duration.WithLabelValues("aggregate").Observe(took.Seconds())
	l.log.Info("checkpoint aggregated", "task", task.Id, "round", round.Number, "rule", rule.String(), "updates", len(used),
		"excluded", len(excluded), "digest", hex.EncodeToString(digest[:]), "eval_loss", loss,
		"held_out_correct", fmt.Sprintf("%s/%d", correct, len(data.test)), "data", data.source, "took", took.Round(time.Microsecond))
	return rec, true, nil
}

// samplesCap is 2 × the lower median of the revealed sample counts
// (saturating), as x/training's payouts cap them.
func samplesCap(round *trainingtypes.Round) uint64 {
	var s []uint64
	for _, u := range round.Updates {
		if u.Revealed {
			s = append(s, u.Samples)
		}
	}
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	m := s[(len(s)-1)/2]
	if m > (1<<64-1)/2 {
		return m
	}
	return 2 * m
}

// send broadcasts a round's tx (key.what) after looking up the last one,
// prev, when there was one, and saves the new tx's hash with save; already
// is the chain's error for an effect that is on chain already.
func (l *Loop) send(ctx context.Context, height int64, key onceKey, prev string, already error,
	broadcast func() (string, error), save func(hash string) error, args ...any) error {
	if prev != "" {
		l.checkPending(ctx, key.what, prev, "task", key.task, "round", key.round)
	}
	hash, err := broadcast()
	if errors.Is(err, already) {
		l.log.Info(key.what+" already on chain", "task", key.task, "round", key.round)
		return nil
	}
	if err != nil {
		return l.txErr(key, height, err)
	}
	if err := save(hash); err != nil {
		return l.fail(err)
	}
	l.log.Info(key.what+" broadcast", append([]any{"task", key.task, "round", key.round, "tx", hash}, args...)...)
	return nil
}

// txErr handles a broadcast failure: an unreachable node is the loop's
// error (it backs off); a tx the chain refused is logged, and that step of
// that round waits ResendAfter blocks while the rest goes on.
func (l *Loop) txErr(key onceKey, height int64, err error) error {
	if chain.Unreachable(err) {
		return l.nodeErr(key.what, err)
	}
	l.refusedAt[key] = height
	l.setError(fmt.Errorf("task %d round %d: %s: %w", key.task, key.round, key.what, err))
	l.log.Warn(key.what+" refused", "task", key.task, "round", key.round, "err", err, "retry_after_blocks", l.cfg.ResendAfter)
	return nil
}

func (l *Loop) refusedRecently(key onceKey, height int64) bool {
	h, ok := l.refusedAt[key]
	return ok && poll.Within(height, h, l.cfg.ResendAfter)
}

// roundData reads the round's examples once, as of its start height so that
// every worker of the round reads the same items.
func (l *Loop) roundData(ctx context.Context, task *trainingtypes.Task, round *trainingtypes.Round) (roundData, error) {
	k := roundKey{task.Id, round.Number}
	if d, ok := l.data[k]; ok {
		return d, nil
	}
	d, err := loadData(ctx, l.chain, *task, round.StartHeight)
	if err != nil && !chain.Unreachable(err) && round.StartHeight > 0 {
		// The node may not keep that height's state: read the latest, which
		// differs only if items were added or labeled since the round began.
		l.logOnce(slog.LevelWarn, onceKey{task: task.Id, round: round.Number, what: "data-latest"},
			"items not readable at the round's start height; reading the latest", "task", task.Id, "round", round.Number,
			"height", round.StartHeight, "err", err)
		d, err = loadData(ctx, l.chain, *task, 0)
	}
	if err != nil {
		return roundData{}, l.nodeErr("items", err)
	}
	if d.source == DataBuiltin {
		l.logOnce(slog.LevelInfo, onceKey{task: task.Id, what: "builtin-data"},
			"the task's datasets have too few usable items: training on the built-in data set", "task", task.Id,
			"round", round.Number, "why", d.why, "examples", len(d.train)+len(d.test))
	} else {
		l.log.Info("round data", "task", task.Id, "round", round.Number, "items", d.items, "skipped", d.skipped,
			"train", len(d.train), "held_out", len(d.test))
	}
	l.data[k] = d
	return d, nil
}

// base returns the checkpoint round starts from, whose digest is
// round.base_digest:
//   - the task's own base_digest (round 1, or no round agreed yet): the
//     built-in mesh-embedded-v1 (see embeddedBase), or the base model's
//     weights_uri (a checkpoint, or an int8 weights file);
//   - else an agreed checkpoint: from the blob store, else from the task's
//     checkpoint_uri or the URIs of the aggregators that agreed on it in
//     the latest rounds.
//
// Whatever is fetched must hash to the digest.
func (l *Loop) base(ctx context.Context, task *trainingtypes.Task, round *trainingtypes.Round) (*federated.Checkpoint, error) {
	digest := round.BaseDigest
	if len(digest) != 32 {
		return nil, l.fail(fmt.Errorf("round %d base digest of %d bytes", round.Number, len(digest)))
	}
	for _, c := range l.bases {
		if bytes.Equal(c.digest[:], digest) {
			return c.ck, nil
		}
	}
	ck, err := l.loadBase(ctx, task, round)
	if err != nil {
		return nil, err
	}
	l.bases = append(l.bases, cachedBase{digest: [32]byte(digest), ck: ck})
	if len(l.bases) > 4 {
		l.bases = l.bases[1:]
	}
	return ck, nil
}

func (l *Loop) loadBase(ctx context.Context, task *trainingtypes.Task, round *trainingtypes.Round) (*federated.Checkpoint, error) {
	digest := round.BaseDigest
	isTaskBase := bytes.Equal(digest, task.BaseDigest)
	if isTaskBase {
		if ck, sum, err := embeddedBase(); err == nil && bytes.Equal(sum[:], digest) {
			return ck, nil
		}
	}
	if blob, ok, err := l.cfg.Blobs.Get(digest); err == nil && ok {
		return decodeBase(blob, isTaskBase)
	}
	var uris []string
	if isTaskBase {
		m, err := l.chain.Model(ctx, task.BaseModelId)
		if err != nil {
			return nil, l.nodeErr("base model", err)
		}
		if m.WeightsDigest == hex.EncodeToString(digest) && m.WeightsUri != "" {
			uris = append(uris, m.WeightsUri)
		}
	} else {
		if bytes.Equal(task.CheckpointDigest, digest) && task.CheckpointUri != "" {
			uris = append(uris, task.CheckpointUri)
		}
		// The agreeing aggregators of the round that made it serve it too.
		for n := round.Number - 1; n >= 1 && n+8 >= round.Number; n-- {
			r, err := l.chain.Round(ctx, task.Id, n)
			if err != nil {
				return nil, l.nodeErr("round", err)
			}
			for _, a := range r.Aggregates {
				if bytes.Equal(a.Digest, digest) && a.Uri != "" && !slices.Contains(uris, a.Uri) {
					uris = append(uris, a.Uri)
				}
			}
			if bytes.Equal(r.CheckpointDigest, digest) {
				break
			}
		}
	}
	var errs []error
	for _, uri := range uris {
		blob, src, err := l.fetch.Fetch(ctx, uri, digest)
		if err != nil {
			l.m.BlobFetches.WithLabelValues("error").Inc()
			errs = append(errs, err)
			continue
		}
		l.m.BlobFetches.WithLabelValues(string(src)).Inc()
		return decodeBase(blob, isTaskBase)
	}
	if len(uris) == 0 {
		errs = append(errs, errors.New("no URI serves it"))
	}
	return nil, l.fail(fmt.Errorf("base checkpoint %x of task %d round %d: %w", digest, task.Id, round.Number, errors.Join(errs...)))
}

// decodeBase reads a checkpoint; a task's own base may also be an int8
// weights file (a model registered from embedded's format).
func decodeBase(blob []byte, weightsFileOK bool) (*federated.Checkpoint, error) {
	ck, err := federated.Decode(blob)
	if err == nil || !weightsFileOK {
		return ck, err
	}
	w, werr := embedded.ParseWeights(blob)
	if werr != nil {
		return nil, fmt.Errorf("neither a checkpoint (%v) nor a weights file (%v)", err, werr)
	}
	return federated.FromWeights(w)
}
