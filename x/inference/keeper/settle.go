package keeper

import (
	"bytes"
	"context"
	"encoding/hex"
	"slices"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

// Settlement. A job is settled when every worker that committed has
// revealed (in that transaction) or at its deadline (EndBlocker). Quorum
// q = ⌈2r/3⌉ of the r assigned workers:
//
//   - EXACT: reveals are grouped by output digest; a group of at least q
//     agrees (at most one can, as q > r/2).
//   - MEDIAN: inline outputs read as decimal int64; m is the lower median of
//     the readable ones; a reveal agrees when |v − m| ≤ tolerance; at least
//     q must. The result is m in canonical decimal.
//
// FINALIZED (a quorum agreed), with F = job.fee = price × r:
//
//	burned   = ⌊F × fee_burn_bps / 10000⌋
//	workers  = ⌊F × (10000 − fee_burn_bps − protocol_fee_bps) / 10000⌋
//	protocol = F − burned − workers           (takes both roundings)
//	first    = ⌊workers × (10000 + speed_bonus_bps) / (10000 × n)⌋  (earliest agreeing committer)
//	each     = ⌊(workers − first) / (n − 1)⌋  (the n − 1 other agreeing workers)
//	           if each > first (rounding): each = ⌊workers / n⌋, first = workers − (n − 1) × each
//	dust     = workers − first − (n − 1) × each → protocol
//	refund   = max_fee − F (+ any share whose pool could not be paid)
//
// Shares go to each worker's provider pool through x/pool AddRewards.
// Agreeing workers gain reputation and their providers RewardPointsPerAnswer
// x/rewards points each; outliers lose reputation and, on deterministic
// models, their pool is slashed liar_slash_fraction (never for a MEDIAN
// reveal that does not parse: reputation only); silent workers lose it.
// No quorum: FAILED (all committed revealed) or EXPIRED (deadline), the whole
// max_fee is refunded, nobody is paid, silent workers lose reputation.

// tally is the outcome of a job's reveals.
type tally struct {
	ok       bool
	agreeing []bool // per assignment
	result   []byte
	digest   []byte
}

// countVotes computes the tally of job's reveals.
func countVotes(job types.Job) tally {
	t := tally{agreeing: make([]bool, len(job.Assignments))}
	q := int(types.Quorum(job.Redundancy))
	if job.Mode == types.CONSENSUS_MODE_MEDIAN {
		return countMedian(job, t, q)
	}
	best, bestN := types.Plurality(job.Assignments, func(a types.Assignment) []byte { return a.OutputDigest })
	if best < 0 || bestN < q {
		return t
	}
	t.ok, t.digest = true, job.Assignments[best].OutputDigest
	for i, a := range job.Assignments {
		if bytes.Equal(a.OutputDigest, t.digest) {
			t.agreeing[i] = true
			if t.result == nil && len(a.Output) > 0 {
				t.result = a.Output
			}
		}
	}
	return t
}

func countMedian(job types.Job, t tally, q int) tally {
	values := make([]int64, len(job.Assignments))
	readable := make([]bool, len(job.Assignments))
	var sorted []int64
	for i, a := range job.Assignments {
		if len(a.OutputDigest) == 0 {
			continue
		}
		if v, ok := types.ParseMedianOutput(a.Output); ok {
			values[i], readable[i] = v, true
			sorted = append(sorted, v)
		}
	}
	if len(sorted) == 0 {
		return t
	}
	slices.Sort(sorted)
	m := sorted[(len(sorted)-1)/2]
	n := 0
	for i := range values {
		if readable[i] && absDiff(values[i], m) <= uint64(job.Tolerance) {
			t.agreeing[i] = true
			n++
		}
	}
	if n < q {
		return tally{agreeing: make([]bool, len(job.Assignments))}
	}
	t.ok, t.result = true, types.FormatMedianOutput(m)
	t.digest = types.Digest(t.result)
	return t
}

// unreadableMedian reports a MEDIAN reveal whose output does not parse.
func unreadableMedian(job types.Job, p party) bool {
	if job.Mode != types.CONSENSUS_MODE_MEDIAN {
		return false
	}
	_, ok := types.ParseMedianOutput(p.Output)
	return !ok
}

// absDiff is |a − b| without overflow.
func absDiff(a, b int64) uint64 {
	if a >= b {
		return uint64(a) - uint64(b)
	}
	return uint64(b) - uint64(a)
}

// splitWorkerFee splits w among n ≥ 1 agreeing workers: the earliest
// committer gets first, each other one each, dust is left over. Rounds down.
//
// The bonus never inverts (issue 17 L1): when rounding first down would
// leave it below each (small w, e.g. 2 among 3 with a 10 % bonus gave 0 and
// 1, 1), each is ⌊w / n⌋ and the earliest committer takes the rest, so
// first ≥ each always and no dust is left.
func splitWorkerFee(w math.Int, n int, bonusBps uint32) (first, each, dust math.Int) {
	if n <= 1 {
		return w, math.ZeroInt(), math.ZeroInt()
	}
	first = w.MulRaw(int64(types.BpsScale + bonusBps)).QuoRaw(int64(types.BpsScale) * int64(n))
	each = w.Sub(first).QuoRaw(int64(n - 1))
	if each.GT(first) {
		each = w.QuoRaw(int64(n))
		first = w.Sub(each.MulRaw(int64(n - 1)))
	}
	dust = w.Sub(first).Sub(each.MulRaw(int64(n - 1)))
	return first, each, dust
}

// settle ends an open job from its reveals (see above) and returns it as
// saved. atDeadline: the deadline passed (EXPIRED without a quorum), else
// every committed worker revealed (FAILED without a quorum). Run it in a
// cache context: on error the caller drops every write.
func (k Keeper) settle(ctx context.Context, params types.Params, job types.Job, atDeadline bool) (types.Job, error) {
	if job.Mode == types.CONSENSUS_MODE_VERIFY {
		return k.settleVerify(ctx, params, job, atDeadline)
	}
	ps, err := k.parties(&job)
	if err != nil {
		return job, err
	}
	t := countVotes(job)
	status := types.JOB_STATUS_FINALIZED
	if !t.ok {
		status = types.JOB_STATUS_FAILED
		if atDeadline {
			status = types.JOB_STATUS_EXPIRED
		}
	}
	refund := job.MaxFee.Amount
	if t.ok {
		if refund, err = k.payOut(ctx, params, &job, ps, t); err != nil {
			return job, err
		}
		job.Result, job.ResultDigest = bytes.Clone(t.result), bytes.Clone(t.digest)
	}
	if err := k.refund(ctx, &job, refund); err != nil {
		return job, err
	}

	// The flag stored at the request (issue 17 L3): an authority's later
	// model update does not change how an open job is judged.
	deterministic := job.Deterministic
	quality := agreementBps(job, t)
	outcomes := make([]workerOutcome, len(job.Assignments))
	for i, p := range ps {
		switch {
		case t.agreeing[i]:
			p.Agreed = true
			outcomes[i] = outcomeAgreed
			k.recordReputation(ctx, job.Id, p, true)
			if t.ok {
				k.addInferencePoints(ctx, &job, p, quality)
			}
		case len(p.OutputDigest) != 0:
			outcomes[i] = outcomeRevealed
			if !t.ok {
				break
			}
			if unreadableMedian(job, p) {
				// Issue 17 L2: a MEDIAN reveal the mode cannot read ("4.0", an
				// output by URI) is no proof of a wrong value: it cannot agree
				// and loses reputation, but is never slashed.
				k.penalize(ctx, params, job.Id, p, "unreadable", false)
				break
			}
			k.penalize(ctx, params, job.Id, p, "outlier", deterministic)
		default:
			outcomes[i] = outcomeSilent
			k.penalize(ctx, params, job.Id, p, "silent", false)
		}
	}
	return job, k.finish(ctx, params, &job, ps, status, outcomes)
}

// payOut burns, pays the protocol account and the agreeing workers' pools,
// and returns what is left of the escrow for the requester.
func (k Keeper) payOut(ctx context.Context, params types.Params, job *types.Job, ps []party, t tally) (math.Int, error) {
	denom := job.Fee.Denom
	burned, workers, protocol := splitFee(params, job.Fee.Amount)

	fastest, n := -1, 0
	for i, a := range job.Assignments {
		if !t.agreeing[i] {
			continue
		}
		n++
		if fastest < 0 || a.CommitOrder < job.Assignments[fastest].CommitOrder {
			fastest = i
		}
	}
	first, each, dust := splitWorkerFee(workers, n, params.SpeedBonusBps)
	protocol = protocol.Add(dust)

	unpaid := math.ZeroInt()
	for i, p := range ps {
		if !t.agreeing[i] {
			continue
		}
		share := each
		if i == fastest {
			share = first
		}
		if err := k.payWorker(ctx, p, sdk.NewCoin(denom, share)); err != nil {
			k.Logger(ctx).Error("inference: worker share refunded", "job", job.Id, "worker", p.Worker, "err", err)
			unpaid = unpaid.Add(share)
			continue
		}
		p.Paid = sdk.NewCoin(denom, share)
	}

	if err := k.burnAndShare(ctx, job, burned, protocol); err != nil {
		return math.Int{}, err
	}
	return job.MaxFee.Amount.Sub(job.Fee.Amount).Add(unpaid), nil
}

// splitFee splits a finalized job's fee F: burned = ⌊F × fee_burn_bps /
// 10⁴⌋, workers = ⌊F × (10⁴ − fee_burn_bps − protocol_fee_bps) / 10⁴⌋,
// protocol = the rest (both roundings).
func splitFee(params types.Params, fee math.Int) (burned, workers, protocol math.Int) {
	burned = fee.MulRaw(int64(params.FeeBurnBps)).QuoRaw(types.BpsScale)
	workers = fee.MulRaw(int64(types.BpsScale - params.FeeBurnBps - params.ProtocolFeeBps)).QuoRaw(types.BpsScale)
	return burned, workers, fee.Sub(burned).Sub(workers)
}

// burnAndShare burns a finalized job's burn share, sends its protocol
// share to the protocol fee account and records both in the job.
func (k Keeper) burnAndShare(ctx context.Context, job *types.Job, burned, protocol math.Int) error {
	denom := job.Fee.Denom
	if burned.IsPositive() {
		if err := k.bank.BurnCoins(ctx, types.ModuleName, sdk.NewCoins(sdk.NewCoin(denom, burned))); err != nil {
			return err
		}
	}
	if protocol.IsPositive() {
		if err := k.bank.SendCoinsFromModuleToModule(ctx, types.ModuleName, types.ProtocolFeeAccount, sdk.NewCoins(sdk.NewCoin(denom, protocol))); err != nil {
			return err
		}
	}
	job.Burned, job.ProtocolFee = sdk.NewCoin(denom, burned), sdk.NewCoin(denom, protocol)
	return nil
}

// payWorker adds share to the pool of the assignment's provider, in a cache
// context: a pool gone from x/pool is not paid.
func (k Keeper) payWorker(ctx context.Context, p party, share sdk.Coin) error {
	if !share.IsPositive() {
		return nil
	}
	return cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
		provider, err := k.providerOf(cc, p)
		if err != nil {
			return err
		}
		return k.pool.AddRewards(cc, types.ModuleName, provider, sdk.NewCoins(share))
	})
}

// party is an assignment of the job being settled with its addresses,
// decoded once per settlement pass.
type party struct {
	*types.Assignment
	workerAddr   sdk.AccAddress
	providerAddr sdk.AccAddress // decoded Provider; nil when the assignment records none
	providerErr  error          // Provider did not decode: the worker is not paid, credited or slashed
}

// parties gives job its own copy of its assignments, which the pass
// updates, and pairs them with their decoded addresses. A worker address
// that does not decode fails the pass: finish could not update its indexes.
func (k Keeper) parties(job *types.Job) ([]party, error) {
	job.Assignments = slices.Clone(job.Assignments)
	ps := make([]party, len(job.Assignments))
	for i := range job.Assignments {
		a := &job.Assignments[i]
		w, err := k.addrBytes(a.Worker)
		if err != nil {
			return nil, err
		}
		ps[i] = party{Assignment: a, workerAddr: w}
		if a.Provider != "" {
			ps[i].providerAddr, ps[i].providerErr = k.addrBytes(a.Provider)
		}
	}
	return ps, nil
}

// providerOf returns the provider recorded in the assignment (fixed when the
// worker was drawn) or, for assignments without one, the worker's current
// provider in x/compute.
func (k Keeper) providerOf(ctx context.Context, p party) (sdk.AccAddress, error) {
	if p.Provider != "" {
		return p.providerAddr, p.providerErr
	}
	w, err := k.compute.GetWorker(ctx, p.workerAddr)
	if err != nil {
		return nil, err
	}
	return k.addrBytes(w.Provider)
}

// agreementBps is the share of the revealed answers that agreed, in basis
// points, rounded down; 0 when nobody revealed.
func agreementBps(job types.Job, t tally) uint32 {
	agreed, revealed := 0, 0
	for i, a := range job.Assignments {
		if len(a.OutputDigest) == 0 {
			continue
		}
		revealed++
		if t.agreeing[i] {
			agreed++
		}
	}
	if revealed == 0 {
		return 0
	}
	return uint32(agreed * types.BpsScale / revealed)
}

// addInferencePoints credits the provider of an agreeing assignment with
// RewardPointsPerAnswer points (CategoryInference), measured by the blocks
// from the request to the worker's commit and the job's agreement. It runs
// in a cache context: if x/rewards fails, its writes are dropped, the
// failure is logged and the settlement goes on.
func (k Keeper) addInferencePoints(ctx context.Context, job *types.Job, p party, qualityBps uint32) {
	if k.rewards == nil {
		return
	}
	latency := uint64(0)
	if from := job.StartHeight(); p.CommitHeight > from {
		latency = uint64(p.CommitHeight - from)
	}
	err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
		provider, err := k.providerOf(cc, p)
		if err != nil {
			return err
		}
		// A deregistered worker has no run of passed epochs: no stability bonus.
		var streak uint64
		if w, err := k.compute.GetWorker(cc, p.workerAddr); err == nil {
			streak = w.PassStreak
		}
		_, err = k.rewards.AddPoints(cc, rewardstypes.CategoryInference, provider, types.RewardPointsPerAnswer,
			rewardstypes.WithLatency(latency), rewardstypes.WithQuality(qualityBps), rewardstypes.WithPassStreak(streak))
		return err
	})
	if err != nil {
		k.Logger(ctx).Error("inference: points not recorded", "job", job.Id, "worker", p.Worker, "err", err)
	}
}

// refund sends amount of the job's escrow back to the requester. A refund
// x/bank refuses (the requester became a blocked or module address, the
// denom cannot be sent to it) would fail every later attempt too: instead
// of failing the settlement, to be retried forever (issue 17 M3), the
// amount goes to the treasury (TreasuryAccount), job.Refunded stays zero
// and EventRefundForfeited says why. The send to the requester runs in a
// cache context, so a refused one leaves nothing behind.
func (k Keeper) refund(ctx context.Context, job *types.Job, amount math.Int) error {
	job.Refunded = sdk.NewCoin(job.MaxFee.Denom, amount)
	if !amount.IsPositive() {
		return nil
	}
	coins := sdk.NewCoins(job.Refunded)
	refused := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
		requester, err := k.addrBytes(job.Requester)
		if err != nil {
			return err
		}
		return k.bank.SendCoinsFromModuleToAccount(cc, types.ModuleName, requester, coins)
	})
	if refused == nil {
		return nil
	}
	if err := k.bank.SendCoinsFromModuleToModule(ctx, types.ModuleName, types.TreasuryAccount, coins); err != nil {
		return err
	}
	job.Refunded = sdk.NewCoin(job.MaxFee.Denom, math.ZeroInt())
	k.Logger(ctx).Error("inference: refund refused, sent to the treasury", "job", job.Id, "err", refused)
	return kit.Emit(ctx, &types.EventRefundForfeited{
		JobId: job.Id, Requester: job.Requester, Amount: coins.String(),
		Treasury: types.TreasuryAccount, Error: refused.Error(),
	})
}

// recordReputation reports a job outcome to x/compute; a failure (e.g. the
// worker deregistered) is logged and skipped.
func (k Keeper) recordReputation(ctx context.Context, jobID uint64, p party, success bool) {
	err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
		_, err := k.compute.RecordJobOutcome(cc, p.workerAddr, success)
		return err
	})
	if err != nil {
		k.Logger(ctx).Error("inference: reputation not updated", "job", jobID, "worker", p.Worker, "err", err)
	}
}

// penalize lowers a worker's reputation and, when slash is set, slashes its
// provider's pool liar_slash_fraction at the reveal height. Failures are
// logged and skipped; EventWorkerPenalized reports what was slashed.
func (k Keeper) penalize(ctx context.Context, params types.Params, jobID uint64, p party, reason string, slash bool) {
	k.recordReputation(ctx, jobID, p, false)
	slashed := math.ZeroInt()
	if slash && params.LiarSlashFraction.IsPositive() {
		err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
			provider, err := k.providerOf(cc, p)
			if err != nil {
				return err
			}
			slashed, err = k.pool.Slash(cc, provider, params.LiarSlashFraction, "inference-outlier", p.RevealHeight)
			return err
		})
		if err != nil {
			slashed = math.ZeroInt()
			k.Logger(ctx).Error("inference: outlier not slashed", "job", jobID, "worker", p.Worker, "err", err)
		}
	}
	if err := kit.Emit(ctx, &types.EventWorkerPenalized{JobId: jobID, Worker: p.Worker, Reason: reason, Slashed: slashed.String()}); err != nil {
		k.Logger(ctx).Error("emit penalty", "err", err)
	}
}

// finish ends a job whose funds are settled: status, end height, indexes,
// queues, the workers' stats, the saved job and EventJobSettled.
func (k Keeper) finish(ctx context.Context, params types.Params, job *types.Job, ps []party, status types.JobStatus, outcomes []workerOutcome) error {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := k.CommitQueue.Remove(ctx, collections.Join(job.CommitEnd, job.Id)); err != nil {
		return err
	}
	if err := k.DeadlineQueue.Remove(ctx, collections.Join(job.Deadline, job.Id)); err != nil {
		return err
	}
	if job.Status == types.JOB_STATUS_QUEUED {
		if err := k.leaveQueue(ctx, job); err != nil {
			return err
		}
	}
	if err := k.setStatus(ctx, job, status); err != nil {
		return err
	}
	job.EndedHeight = h
	agreeing := []string{}
	paid := sdk.NewCoin(job.MaxFee.Denom, math.ZeroInt())
	for i, p := range ps {
		if err := k.OpenJobsByWorker.Remove(ctx, collections.Join(p.workerAddr, job.Id)); err != nil {
			return err
		}
		if err := k.recordEnd(ctx, p.workerAddr, outcomes[i], p.CommitHeight-job.StartHeight()); err != nil {
			return err
		}
		if p.Agreed {
			agreeing = append(agreeing, p.Worker)
		}
		if p.Paid.IsValid() && p.Paid.Denom == paid.Denom {
			paid = paid.Add(p.Paid)
		}
	}
	if params.JobRetentionBlocks > 0 {
		if err := k.PruneQueue.Set(ctx, collections.Join(h+params.JobRetentionBlocks, job.Id)); err != nil {
			return err
		}
	}
	if err := k.Jobs.Set(ctx, job.Id, *job); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventJobSettled{
		JobId:        job.Id,
		Status:       status,
		ResultDigest: hex.EncodeToString(job.ResultDigest),
		Agreeing:     agreeing,
		Paid:         paid.String(),
		Burned:       coinString(job.Burned, job.MaxFee.Denom),
		ProtocolFee:  coinString(job.ProtocolFee, job.MaxFee.Denom),
		Refunded:     coinString(job.Refunded, job.MaxFee.Denom),
	})
}

// coinString renders c, or zero of denom when c is unset.
func coinString(c sdk.Coin, denom string) string {
	if c.Amount.IsNil() {
		return sdk.NewCoin(denom, math.ZeroInt()).String()
	}
	return c.String()
}

// settlementFailed logs a settlement attempt that was rolled back.
func (k Keeper) settlementFailed(ctx context.Context, jobID uint64, err error) {
	k.Logger(ctx).Error("inference settlement failed; retried at the deadline", "job", jobID, "err", err)
	if err := kit.Emit(ctx, &types.EventJobSettlementFailed{JobId: jobID, Error: err.Error()}); err != nil {
		k.Logger(ctx).Error("emit settlement failure", "err", err)
	}
}
