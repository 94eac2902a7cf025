package keeper_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"

	"github.com/llmesh/mesh/x/compute/types"
)

// FuzzRevealPoC mutates an honest reveal: whatever the mutation, the reveal
// either passes (no effective change) or fails with ErrInvalidReveal and
// leaves the store untouched — never a panic, never a fraud verdict for rows
// that were committed correctly.
func FuzzRevealPoC(f *testing.F) {
	fx := newFixture(f, smallParams)
	p := &prover{addr: addr("work", 1)}
	fx.block(true, nil)
	fx.register(addr("prov", 1), p.addr, 2)
	fx.advanceTo(fx.currentEpoch().RevealEnd + 1)
	fx.block(true, nil)
	e := fx.currentEpoch()
	fx.block(false, func() { require.NoError(f, p.commit(fx)) })
	fx.advanceTo(e.CommitEnd + 1)
	honest := p.revealMsg(fx)
	base := fx.ctx

	f.Add(uint8(0), uint16(0), uint8(0), uint8(0), uint32(0))
	f.Add(uint8(1), uint16(3), uint8(1), uint8(0), uint32(0))
	f.Add(uint8(2), uint16(0), uint8(0), uint8(1), uint32(0))
	f.Add(uint8(3), uint16(0), uint8(0), uint8(2), uint32(5))
	f.Add(uint8(0), uint16(0), uint8(0), uint8(3), uint32(0))
	f.Fuzz(func(t *testing.T, row uint8, at uint16, xor uint8, op uint8, v uint32) {
		msg := &types.MsgRevealPoC{Worker: honest.Worker, Epoch: honest.Epoch}
		for _, r := range honest.Rows {
			proof := make([][]byte, len(r.Proof))
			for i := range r.Proof {
				proof[i] = bytes.Clone(r.Proof[i])
			}
			msg.Rows = append(msg.Rows, types.RevealedRow{Index: r.Index, Values: bytes.Clone(r.Values), Proof: proof})
		}
		r := &msg.Rows[int(row)%len(msg.Rows)]
		switch op % 5 {
		case 0: // flip a value bit
			r.Values[int(at)%len(r.Values)] ^= xor
		case 1: // drop a proof element
			if len(r.Proof) > 0 {
				r.Proof = r.Proof[:len(r.Proof)-1]
			}
		case 2: // change the index
			r.Index = v
		case 3: // truncate the values
			r.Values = r.Values[:int(at)%len(r.Values)]
		case 4: // corrupt a proof element
			if len(r.Proof) > 0 {
				r.Proof[int(at)%len(r.Proof)][0] ^= xor
			}
		}
		cc, _ := base.WithGasMeter(storetypes.NewInfiniteGasMeter()).CacheContext()
		before := digest(cc, fx.key)
		res, err := fx.msg.RevealPoC(cc, msg)
		if err != nil {
			require.ErrorIs(t, err, types.ErrInvalidReveal)
			require.Equal(t, before, digest(cc, fx.key))
			return
		}
		require.Equal(t, types.PROOF_OUTCOME_PASS, res.Outcome)
		require.Equal(t, honest.Rows, msg.Rows, "only an unchanged reveal may pass")
	})
}
