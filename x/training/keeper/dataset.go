package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/training/types"
)

// RegisterDataset registers a dataset owned by msg.Owner and returns its id.
// Ids come from NextDatasetID, which InitGenesis sets to next_dataset_id
// (≥ 1), so the first dataset is 1.
func (k Keeper) RegisterDataset(ctx context.Context, msg *types.MsgRegisterDataset) (uint64, error) {
	owner, err := k.canonicalAddr(msg.Owner)
	if err != nil {
		return 0, err
	}
	id, err := k.NextDatasetID.Next(ctx)
	if err != nil {
		return 0, err
	}
	ds := types.Dataset{
		Id:      id,
		Owner:   owner,
		Name:    msg.Name,
		Schema:  msg.Schema,
		License: msg.License,
		Labels:  msg.Labels,
	}
	if err := k.Datasets.Set(ctx, id, ds); err != nil {
		return 0, err
	}
	return id, kit.Emit(ctx, &types.EventDatasetRegistered{DatasetId: id, Owner: owner, Name: msg.Name})
}

// ContributeItem adds an item to a dataset and returns its id. An inline
// item's digest is the SHA-256 of its data; a digest appears at most once in
// a dataset, inline or by URI. The item is OPEN for annotation.
func (k Keeper) ContributeItem(ctx context.Context, msg *types.MsgContributeItem) (uint64, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	contributor, err := k.canonicalAddr(msg.Contributor)
	if err != nil {
		return 0, err
	}
	ds, err := k.loadDataset(ctx, msg.DatasetId)
	if err != nil {
		return 0, err
	}
	digest := msg.Digest
	if len(msg.Data) > 0 {
		if len(msg.Data) > int(params.MaxInlineItemBytes) {
			return 0, errorsmod.Wrapf(types.ErrInvalidItem, "%d bytes of inline data above max_inline_item_bytes %d; give a digest and a uri",
				len(msg.Data), params.MaxInlineItemBytes)
		}
		sum := sha256.Sum256(msg.Data)
		digest = sum[:]
	}
	digestKey := collections.Join(ds.Id, digest)
	switch existing, err := k.ItemsByDigest.Get(ctx, digestKey); {
	case err == nil:
		return 0, errorsmod.Wrapf(types.ErrDuplicateItem, "digest %X is item %d of dataset %d", digest, existing, ds.Id)
	case !errors.Is(err, collections.ErrNotFound):
		return 0, err
	}

	id, err := k.NextItemID.Next(ctx)
	if err != nil {
		return 0, err
	}
	item := types.Item{
		Id:          id,
		DatasetId:   ds.Id,
		Contributor: contributor,
		Digest:      digest,
		Uri:         msg.Uri,
		Data:        msg.Data,
		Status:      types.ITEM_STATUS_OPEN,
	}
	if err := k.Items.Set(ctx, id, item); err != nil {
		return 0, err
	}
	if err := k.ItemsByDataset.Set(ctx, collections.Join(ds.Id, id)); err != nil {
		return 0, err
	}
	if err := k.ItemsByDigest.Set(ctx, digestKey, id); err != nil {
		return 0, err
	}
	ds.Items++
	if err := k.Datasets.Set(ctx, ds.Id, ds); err != nil {
		return 0, err
	}
	return id, kit.Emit(ctx, &types.EventItemContributed{
		ItemId: id, DatasetId: ds.Id, Contributor: contributor, Digest: hex.EncodeToString(digest),
	})
}

// loadDataset returns a dataset or ErrDatasetNotFound.
func (k Keeper) loadDataset(ctx context.Context, id uint64) (types.Dataset, error) {
	ds, err := k.Datasets.Get(ctx, id)
	return ds, kit.NotFound(err, types.ErrDatasetNotFound, fmt.Sprintf("dataset %d", id))
}

// canonicalAddr returns the canonical (lower-case bech32) form of an address,
// the form kept in state and events.
func (k Keeper) canonicalAddr(s string) (string, error) {
	bz, err := k.addrBytes(s)
	if err != nil {
		return "", err
	}
	return k.addrString(bz), nil
}
