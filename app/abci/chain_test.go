package abci_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/protoio"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"cosmossdk.io/log/v2"
	sdkmath "cosmossdk.io/math"

	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	"github.com/cosmos/cosmos-sdk/testutil/mock"
	simtestutil "github.com/cosmos/cosmos-sdk/testutil/sims"
	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	consensustypes "github.com/cosmos/cosmos-sdk/x/consensus/types"
	govtypes "github.com/cosmos/cosmos-sdk/x/gov/types"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"

	"github.com/llmesh/mesh/app"
	meshabci "github.com/llmesh/mesh/app/abci"
	"github.com/llmesh/mesh/testutil"
	computekeeper "github.com/llmesh/mesh/x/compute/keeper"
	computetypes "github.com/llmesh/mesh/x/compute/types"
)

// enableHeight is the vote_extensions_enable_height of the test chains.
const enableHeight = 2

// chain is an in-process meshd with four validators of equal power; the
// test plays every validator's part in consensus: their extensions, their
// signatures, the proposer's PrepareProposal and ProcessProposal.
type chain struct {
	t      *testing.T
	app    *app.MeshApp
	pvs    []mock.PV // in validator-set order
	valSet *cmttypes.ValidatorSet
	ves    []*meshabci.VoteExtensions
	// exts are the signed extensions of the last height, by validator.
	exts [][]byte
	sigs [][]byte
	// extend overrides validator i's extension (nil: its handler's).
	extend map[int]func(h int64) []byte
	// enable is the vote_extensions_enable_height in force (0: off).
	enable int64
}

func newChain(t *testing.T, mutate func(cdc codec.Codec, gen map[string]json.RawMessage)) *chain {
	t.Helper()
	return newChainAt(t, enableHeight, mutate)
}

// newChainAt is newChain with vote extensions from height enable (0: off).
func newChainAt(t *testing.T, enable int64, mutate func(cdc codec.Codec, gen map[string]json.RawMessage)) *chain {
	t.Helper()
	pvs := make([]mock.PV, 4)
	vals := make([]*cmttypes.Validator, 4)
	for i := range pvs {
		pvs[i] = mock.NewPV()
		pk, err := pvs[i].GetPubKey()
		require.NoError(t, err)
		vals[i] = cmttypes.NewValidator(pk, 1)
	}
	valSet := cmttypes.NewValidatorSet(vals)
	byAddr := make(map[string]mock.PV, 4)
	for _, pv := range pvs {
		pk, _ := pv.GetPubKey()
		byAddr[string(pk.Address())] = pv
	}
	ordered := make([]mock.PV, 4)
	for i, v := range valSet.Validators {
		ordered[i] = byAddr[string(v.Address)]
	}
	priv := secp256k1.GenPrivKey()
	acc := authtypes.NewBaseAccount(sdk.AccAddress(priv.PubKey().Address()), priv.PubKey(), 0, 0)
	bal := banktypes.Balance{Address: acc.Address, Coins: sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdkmath.NewInt(1e12)))}

	a := testutil.NewApp(dbm.NewMemDB(), t.TempDir())
	gen, err := simtestutil.GenesisStateWithValSet(a.AppCodec(), a.DefaultGenesis(), valSet, []authtypes.GenesisAccount{acc}, bal)
	require.NoError(t, err)
	// The SDK helper funds the bonded pool for one validator; fund it for four.
	var bank banktypes.GenesisState
	a.AppCodec().MustUnmarshalJSON(gen[banktypes.ModuleName], &bank)
	bonded := authtypes.NewModuleAddress("bonded_tokens_pool").String()
	bank.Supply = sdk.NewCoins()
	for i, b := range bank.Balances {
		if b.Address == bonded {
			bank.Balances[i].Coins = sdk.NewCoins(sdk.NewCoin(app.BondDenom, sdk.DefaultPowerReduction.MulRaw(4)))
		}
		bank.Supply = bank.Supply.Add(bank.Balances[i].Coins...)
	}
	gen[banktypes.ModuleName] = a.AppCodec().MustMarshalJSON(&bank)
	// Liveness tracking needs a signing info per validator (gentx makes them).
	var slashing slashingtypes.GenesisState
	a.AppCodec().MustUnmarshalJSON(gen[slashingtypes.ModuleName], &slashing)
	for _, v := range valSet.Validators {
		cons := sdk.ConsAddress(v.Address).String()
		slashing.SigningInfos = append(slashing.SigningInfos, slashingtypes.SigningInfo{
			Address: cons, ValidatorSigningInfo: slashingtypes.NewValidatorSigningInfo(sdk.ConsAddress(v.Address), 0, 0, time.Unix(0, 0), false, 0),
		})
	}
	gen[slashingtypes.ModuleName] = a.AppCodec().MustMarshalJSON(&slashing)
	if mutate != nil {
		mutate(a.AppCodec(), gen)
	}
	state, err := json.Marshal(gen)
	require.NoError(t, err)
	cp := *simtestutil.DefaultConsensusParams
	cp.Abci = &cmtproto.ABCIParams{VoteExtensionsEnableHeight: enable}
	_, err = a.InitChain(&abci.RequestInitChain{
		ChainId: testutil.ChainID, Time: time.Unix(1_700_000_000, 0).UTC(),
		ConsensusParams: &cp, InitialHeight: 1, AppStateBytes: state,
	})
	require.NoError(t, err)
	c := &chain{t: t, app: a, pvs: ordered, valSet: valSet, extend: map[int]func(int64) []byte{}, enable: enable}
	for i, v := range valSet.Validators {
		var key [32]byte
		key[0] = byte(i + 1)
		c.ves = append(c.ves, meshabci.NewVoteExtensions(log.NewNopLogger(), a.ComputeKeeper, a.StakingKeeper,
			meshabci.NewBeaconKey(key), v.Address, nil, 0))
	}
	return c
}

func (c *chain) height() int64 { return c.app.LastBlockHeight() }

// ctx is a context on the last committed state at the next height, the one
// ExtendVote and VerifyVoteExtension run on.
func (c *chain) ctx() sdk.Context {
	h := c.height() + 1
	return c.app.NewContextLegacy(true, cmtproto.Header{ChainID: testutil.ChainID, Height: h, Time: blockTime(h)}).
		WithConsensusParams(c.app.GetConsensusParams(c.app.NewContextLegacy(true, cmtproto.Header{})))
}

func blockTime(h int64) time.Time { return time.Unix(1_700_000_000+h, 0).UTC() }

// extendedCommit is the extended commit of the last height: validators in
// commit (by index) voted for the block with their extensions.
func (c *chain) extendedCommit(commit map[int]bool) abci.ExtendedCommitInfo {
	var info abci.ExtendedCommitInfo
	for i, v := range c.valSet.Validators {
		vote := abci.ExtendedVoteInfo{Validator: abci.Validator{Address: v.Address, Power: v.VotingPower}, BlockIdFlag: cmtproto.BlockIDFlagAbsent}
		if commit[i] && c.exts != nil {
			vote.BlockIdFlag = cmtproto.BlockIDFlagCommit
			vote.VoteExtension, vote.ExtensionSignature = c.exts[i], c.sigs[i]
		}
		info.Votes = append(info.Votes, vote)
	}
	return info
}

func all() map[int]bool { return map[int]bool{0: true, 1: true, 2: true, 3: true} }

func lastCommit(ext abci.ExtendedCommitInfo) abci.CommitInfo {
	ci := abci.CommitInfo{Round: ext.Round}
	for _, v := range ext.Votes {
		ci.Votes = append(ci.Votes, abci.VoteInfo{Validator: v.Validator, BlockIdFlag: v.BlockIdFlag})
	}
	return ci
}

// sign returns validator i's signature of ext at height h, round 0.
func (c *chain) sign(i int, h int64, ext []byte) []byte {
	cve := cmtproto.CanonicalVoteExtension{Extension: ext, Height: h, Round: 0, ChainId: testutil.ChainID}
	var buf bytes.Buffer
	_, err := protoio.NewDelimitedWriter(&buf).WriteMsg(&cve)
	require.NoError(c.t, err)
	sig, err := c.pvs[i].PrivKey.Sign(buf.Bytes())
	require.NoError(c.t, err)
	return sig
}

// propose runs PrepareProposal then ProcessProposal on ext as the
// proposal's last commit and returns the txs and the verdict.
func (c *chain) propose(ext abci.ExtendedCommitInfo, txs [][]byte) ([][]byte, abci.ResponseProcessProposal_ProposalStatus) {
	h := c.height() + 1
	prep, err := c.app.PrepareProposal(&abci.RequestPrepareProposal{
		MaxTxBytes: 1 << 20, Txs: txs, LocalLastCommit: ext, Height: h, Time: blockTime(h),
		NextValidatorsHash: c.valSet.Hash(), ProposerAddress: c.valSet.Validators[0].Address,
	})
	require.NoError(c.t, err)
	return prep.Txs, c.process(ext, prep.Txs)
}

func (c *chain) process(ext abci.ExtendedCommitInfo, txs [][]byte) abci.ResponseProcessProposal_ProposalStatus {
	h := c.height() + 1
	resp, err := c.app.ProcessProposal(&abci.RequestProcessProposal{
		Txs: txs, ProposedLastCommit: lastCommit(ext), Height: h, Time: blockTime(h),
		NextValidatorsHash: c.valSet.Hash(), ProposerAddress: c.valSet.Validators[0].Address,
	})
	require.NoError(c.t, err)
	return resp.Status
}

// block runs one height with the validators in commit voting: proposal,
// the validators' extensions (on the state before the block, as in
// consensus), FinalizeBlock and Commit. It returns the block's result.
func (c *chain) block(commit map[int]bool) *abci.ResponseFinalizeBlock {
	c.t.Helper()
	h := c.height() + 1
	ext := c.extendedCommit(commit)
	txs, status := c.propose(ext, nil)
	require.Equal(c.t, abci.ResponseProcessProposal_ACCEPT, status, "height %d", h)
	if c.enable > 0 && h >= c.enable {
		c.exts, c.sigs = make([][]byte, 4), make([][]byte, 4)
		for i, ve := range c.ves {
			var bz []byte
			if f := c.extend[i]; f != nil {
				bz = f(h)
			} else {
				resp, err := ve.ExtendVote(c.ctx(), &abci.RequestExtendVote{Height: h})
				require.NoError(c.t, err)
				bz = resp.VoteExtension
			}
			// Every validator checks every other's extension.
			for _, other := range c.ves {
				v, err := other.VerifyVoteExtension(c.ctx(), &abci.RequestVerifyVoteExtension{ValidatorAddress: c.valSet.Validators[i].Address, Height: h, VoteExtension: bz})
				require.NoError(c.t, err)
				if c.extend[i] == nil {
					require.Equal(c.t, abci.ResponseVerifyVoteExtension_ACCEPT, v.Status)
				}
			}
			c.exts[i], c.sigs[i] = bz, c.sign(i, h, bz)
		}
	}
	res, err := c.app.FinalizeBlock(&abci.RequestFinalizeBlock{
		Height: h, Time: blockTime(h), Txs: txs, DecidedLastCommit: lastCommit(ext),
		NextValidatorsHash: c.valSet.Hash(), ProposerAddress: c.valSet.Validators[0].Address,
		Hash: bytes.Repeat([]byte{byte(h)}, 32),
	})
	require.NoError(c.t, err)
	_, err = c.app.Commit()
	require.NoError(c.t, err)
	return res
}

func (c *chain) beacon() computetypes.Beacon {
	b, err := c.app.ComputeKeeper.LastBeacon.Get(c.ctx())
	if err != nil {
		return computetypes.Beacon{}
	}
	return b
}

// The beacon starts one height after the first extensions (their
// commitments must land first), then has a new value every height, mixing
// all four shares.
func TestBeaconEveryHeight(t *testing.T) {
	c := newChain(t, nil)
	seen := map[string]int64{}
	for c.height() < 10 {
		res := c.block(all())
		h := c.height()
		b := c.beacon()
		if h <= enableHeight+1 {
			require.Zero(t, b.Height, "no beacon before any commitment was revealed (height %d)", h)
			continue
		}
		require.Equal(t, h, b.Height)
		require.Equal(t, uint32(4), b.Shares)
		require.Equal(t, uint32(10000), b.PowerBps)
		require.Len(t, b.Value, 32)
		_, dup := seen[string(b.Value)]
		require.False(t, dup, "beacon repeated at height %d", h)
		seen[string(b.Value)] = h
		requireEvent(t, res.Events, "mesh.compute.v1.EventBeacon")
		// The injected commit is the block's first tx; it is not a transaction.
		require.NotZero(t, res.TxResults[0].Code)
	}
	recs, err := c.app.ComputeKeeper.BeaconRecords.Get(c.ctx(), c.valSet.Validators[0].Address)
	require.NoError(t, err)
	require.Equal(t, c.height(), recs.Height)
	require.Zero(t, recs.Misses)

	// The beacon state is exported, validates, and imports into a fresh keeper.
	gs, err := c.app.ComputeKeeper.ExportGenesis(c.ctx())
	require.NoError(t, err)
	require.NoError(t, gs.Validate())
	require.Equal(t, c.beacon(), *gs.Beacon)
	require.Len(t, gs.BeaconValidators, 4)
	fresh := newChainAt(t, 0, nil)
	ctx := fresh.app.NewUncachedContext(false, cmtproto.Header{ChainID: testutil.ChainID, Height: fresh.height()})
	require.NoError(t, fresh.app.ComputeKeeper.InitGenesis(ctx, gs))
	again, err := fresh.app.ComputeKeeper.ExportGenesis(ctx)
	require.NoError(t, err)
	require.Equal(t, gs.Beacon, again.Beacon)
	require.Equal(t, gs.BeaconValidators, again.BeaconValidators)
}

func requireEvent(t *testing.T, events []abci.Event, typ string) {
	t.Helper()
	for _, e := range events {
		if e.Type == typ {
			return
		}
	}
	t.Fatalf("no %s event", typ)
}

// A validator that withholds its reveal (empty extension, or absent) is
// charged a miss; the beacon goes on from the other three; after
// beacon_max_misses in the window the validator is jailed.
func TestWithheldRevealsJail(t *testing.T) {
	c := newChain(t, func(cdc codec.Codec, gen map[string]json.RawMessage) {
		var cg computetypes.GenesisState
		cdc.MustUnmarshalJSON(gen[computetypes.ModuleName], &cg)
		cg.Params.BeaconMissWindow, cg.Params.BeaconMaxMisses = 100, 3
		gen[computetypes.ModuleName] = cdc.MustMarshalJSON(&cg)
	})
	for c.height() < enableHeight+2 {
		c.block(all())
	}
	withholder := c.valSet.Validators[3].Address
	misses := func() uint32 {
		rec, err := c.app.ComputeKeeper.BeaconRecords.Get(c.ctx(), withholder)
		require.NoError(t, err)
		return rec.Misses
	}
	// Validator 3 votes with an empty extension from now on: the block after
	// next carries the first one (the next carries its last honest share).
	c.extend[3] = func(int64) []byte { return nil }
	c.block(all())
	require.Equal(t, uint32(4), c.beacon().Shares)
	res := c.block(all())
	require.Equal(t, uint32(3), c.beacon().Shares, "the beacon goes on from the other three")
	require.Equal(t, uint32(7500), c.beacon().PowerBps)
	require.Equal(t, uint32(1), misses(), "the reveal it owed from its last share")
	requireEvent(t, res.Events, "mesh.compute.v1.EventBeaconMiss")
	c.block(all())
	require.Equal(t, uint32(1), misses(), "no commitment on record, nothing more owed")

	// It shares again, then withholds by being absent from the commit.
	delete(c.extend, 3)
	c.block(all())
	c.block(all())
	require.Equal(t, uint32(3), c.beacon().Shares, "a reveal with no commitment on record is not mixed in")
	c.block(map[int]bool{0: true, 1: true, 2: true})
	require.Equal(t, uint32(2), misses())
	c.block(all())
	res = c.block(map[int]bool{0: true, 1: true, 2: true})
	requireEvent(t, res.Events, "mesh.compute.v1.EventBeaconJailed")
	val, err := c.app.StakingKeeper.GetValidatorByConsAddr(c.ctx(), sdk.ConsAddress(withholder))
	require.NoError(t, err)
	require.True(t, val.Jailed, "beacon_max_misses (3) withheld reveals in the window")
	require.Zero(t, misses(), "the window starts again")
}

// ProcessProposal rejects a block whose injected commit is missing, forged,
// not canonical, carries a refused extension or less than 2/3 of the power;
// the honest proposal of the same height is then accepted.
func TestProcessProposalRejects(t *testing.T) {
	c := newChain(t, nil)
	for c.height() < enableHeight+2 {
		c.block(all())
	}
	good := c.extendedCommit(all())
	enc := func(e abci.ExtendedCommitInfo) []byte {
		bz, err := e.Marshal()
		require.NoError(t, err)
		return bz
	}
	forged := c.extendedCommit(all())
	forged.Votes[1].VoteExtension = append([]byte(nil), forged.Votes[1].VoteExtension...)
	forged.Votes[1].VoteExtension[len(forged.Votes[1].VoteExtension)-1] ^= 1 // changes the reveal after signing
	badSig := c.extendedCommit(all())
	badSig.Votes[2].ExtensionSignature = bytes.Repeat([]byte{1}, 64)
	twoOfFour := c.extendedCommit(map[int]bool{0: true, 1: true})
	garbageExt := c.extendedCommit(all())
	garbageExt.Votes[0].VoteExtension = []byte("\xff\xff garbage")
	garbageExt.Votes[0].ExtensionSignature = c.sign(0, c.height(), garbageExt.Votes[0].VoteExtension)

	for name, txs := range map[string][][]byte{
		"no injected commit":          nil,
		"not an extended commit":      {[]byte("hello")},
		"forged extension":            {enc(forged)},
		"bad signature":               {enc(badSig)},
		"garbage extension signed":    {enc(garbageExt)},
		"non-canonical encoding":      {append(enc(good), 0xF8, 0x01, 0x01)},
		"extensions of 2 of 4 powers": {enc(twoOfFour)},
	} {
		ext := good
		if name == "extensions of 2 of 4 powers" {
			ext = twoOfFour
		}
		require.Equal(t, abci.ResponseProcessProposal_REJECT, c.process(ext, txs), name)
	}
	require.Equal(t, abci.ResponseProcessProposal_ACCEPT, c.process(good, [][]byte{enc(good)}))
	// The chain goes on.
	c.block(all())
	require.Equal(t, c.height(), c.beacon().Height)
}

// PrepareProposal leaves out an extension it cannot verify (the local last
// commit may hold one, cometbft#2361) by marking the vote absent; with 3 of
// 4 left the proposal is valid and the other three shares make the beacon.
func TestPrepareProposalPrunes(t *testing.T) {
	c := newChain(t, nil)
	for c.height() < enableHeight+2 {
		c.block(all())
	}
	ext := c.extendedCommit(all())
	ext.Votes[3].ExtensionSignature = bytes.Repeat([]byte{2}, 64)
	txs, status := c.propose(ext, nil)
	require.Equal(t, abci.ResponseProcessProposal_ACCEPT, status)
	injected, err := meshabci.DecodeExtendedCommit(txs[0])
	require.NoError(t, err)
	require.Equal(t, cmtproto.BlockIDFlagAbsent, injected.Votes[3].BlockIdFlag)
	require.Empty(t, injected.Votes[3].VoteExtension)
	require.Equal(t, cmtproto.BlockIDFlagCommit, injected.Votes[0].BlockIdFlag)
}

// Grinding: with a beacon at the current height, the seed of every draw
// (PoC sample rows, job assignment, training rounds) is the same whatever
// block the proposer builds; without one (today's main: the header hash)
// every block content gives another seed.
func TestSeedCannotBeGround(t *testing.T) {
	c := newChain(t, nil)
	for c.height() < enableHeight+3 {
		c.block(all())
	}
	ctx := c.app.NewContextLegacy(true, cmtproto.Header{ChainID: testutil.ChainID, Height: c.height()})
	_, ok := c.app.ComputeKeeper.CurrentBeacon(ctx)
	require.True(t, ok)
	const tries = 64
	withBeacon, headerOnly := map[string]bool{}, map[string]bool{}
	for i := range tries {
		hash := bytes.Repeat([]byte{byte(i)}, 32) // the proposer's i-th block content
		withBeacon[string(c.app.ComputeKeeper.Seed(ctx.WithHeaderHash(hash), computekeeper.PurposeSample, []byte{0, 0, 0, 0, 0, 0, 0, 1}))] = true
		// Today's main: no beacon, the header hash decides.
		fresh := c.app.NewContextLegacy(true, cmtproto.Header{ChainID: testutil.ChainID, Height: c.height() + 100}).WithHeaderHash(hash)
		headerOnly[string(c.app.ComputeKeeper.Seed(fresh, computekeeper.PurposeSample, []byte{0, 0, 0, 0, 0, 0, 0, 1}))] = true
	}
	require.Len(t, withBeacon, 1, "a proposer can choose among %d seeds", len(withBeacon))
	require.Len(t, headerOnly, tries)
}

// A running chain turns vote extensions on with x/consensus MsgUpdateParams
// (a governance proposal): blocks before the height carry no commit and get
// no beacon; from two heights after it the beacon runs.
func TestEnableByConsensusParamsUpdate(t *testing.T) {
	c := newChainAt(t, 0, nil)
	for c.height() < 4 {
		c.block(all())
	}
	require.Zero(t, c.beacon().Height)
	const at = 7
	ctx := c.app.NewUncachedContext(false, cmtproto.Header{ChainID: testutil.ChainID, Height: c.height()})
	cp, err := c.app.ConsensusParamsKeeper.ParamsStore.Get(ctx)
	require.NoError(t, err)
	msg := &consensustypes.MsgUpdateParams{
		Authority: authtypes.NewModuleAddress(govtypes.ModuleName).String(),
		Block:     cp.Block, Evidence: cp.Evidence, Validator: cp.Validator,
		Abci: &cmtproto.ABCIParams{VoteExtensionsEnableHeight: at},
	}
	_, err = c.app.ConsensusParamsKeeper.UpdateParams(ctx, msg)
	require.NoError(t, err)
	c.enable = at
	for c.height() < at+1 {
		c.block(all())
		require.Zero(t, c.beacon().Height, "height %d", c.height())
	}
	c.block(all())
	c.block(all())
	require.Equal(t, c.height(), c.beacon().Height)
	require.Equal(t, uint32(4), c.beacon().Shares)
}
