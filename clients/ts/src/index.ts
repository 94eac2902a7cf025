// @llmesh/mesh-client: meshd's proto types, a CosmJS Registry with every
// meshd Msg, thin tx helpers and REST query helpers.
import { Registry, type GeneratedType, type OfflineSigner } from "@cosmjs/proto-signing";
import { SigningStargateClient, GasPrice, defaultRegistryTypes, type DeliverTxResponse, type StdFee } from "@cosmjs/stargate";
import * as computeTx from "./gen/mesh/compute/v1/tx.js";
import * as daoTx from "./gen/mesh/dao/v1/tx.js";
import * as ibcinferTx from "./gen/mesh/ibcinfer/v1/tx.js";
import * as inferenceTx from "./gen/mesh/inference/v1/tx.js";
import * as poolTx from "./gen/mesh/pool/v1/tx.js";
import * as rewardsTx from "./gen/mesh/rewards/v1/tx.js";
import * as trainingTx from "./gen/mesh/training/v1/tx.js";
import { Comet38Client } from "@cosmjs/tendermint-rpc";
import { ConsensusMode } from "./gen/mesh/inference/v1/types.js";
import { VoteOption } from "./gen/mesh/dao/v1/types.js";
import { registeredErrors } from "./errors.gen.js";

export { computeTx, daoTx, ibcinferTx, inferenceTx, poolTx, rewardsTx, trainingTx, ConsensusMode, VoteOption, registeredErrors };
export * from "./format.js";
export * from "./rest.js";
import { explainError, restGet } from "./rest.js";

/** Bech32 prefix of meshd accounts, the staking/fee denom and its decimals. */
export const BECH32_PREFIX = "mesh";
export const DENOM = "umesh";
export const DEFAULT_GAS_PRICE = "0.0025umesh";

const txModules: Record<string, Record<string, unknown>> = {
  compute: computeTx, dao: daoTx, ibcinfer: ibcinferTx, inference: inferenceTx,
  pool: poolTx, rewards: rewardsTx, training: trainingTx,
};

/** meshTypes lists [typeUrl, type] for every meshd Msg (`/mesh.<module>.v1.Msg…`). */
export const meshTypes: ReadonlyArray<[string, GeneratedType]> = Object.entries(txModules).flatMap(([mod, ns]) =>
  Object.entries(ns)
    .filter(([name, v]) => /^Msg[A-Z]/.test(name) && !name.endsWith("Response") && typeof v === "object" && v !== null && "encode" in v)
    .map(([name, v]) => [`/mesh.${mod}.v1.${name}`, v as GeneratedType] as [string, GeneratedType]),
);

/** meshRegistry returns a CosmJS Registry with the SDK's default types and every meshd Msg. */
export function meshRegistry(): Registry {
  return new Registry([...defaultRegistryTypes, ...meshTypes]);
}

/** connect opens a signing client on a node's CometBFT RPC with meshd's registry. */
export async function connect(rpc: string, signer: OfflineSigner, gasPrice = DEFAULT_GAS_PRICE): Promise<SigningStargateClient> {
  // meshd runs CometBFT 0.39, whose RPC is 0.38's; CosmJS's auto-detection
  // knows only 0.34/0.37/0.38 version strings, so pick the 0.38 client.
  const comet = await Comet38Client.connect(rpc);
  return SigningStargateClient.createWithSigner(comet, signer, { registry: meshRegistry(), gasPrice: GasPrice.fromString(gasPrice) });
}

/** MeshTxError is a refused transaction with the chain's registered error in words. */
export class MeshTxError extends Error {
  constructor(message: string, public codespace?: string, public code?: number, public rawLog?: string, public txHash?: string) {
    super(message);
    this.name = "MeshTxError";
  }
}


/** send signs and broadcasts msgs (gas simulated ×1.5) and throws MeshTxError when the chain refuses them. */
export async function send(client: SigningStargateClient, sender: string, msgs: { typeUrl: string; value: unknown }[], memo = "", fee: StdFee | "auto" | number = 1.5, rest?: string): Promise<DeliverTxResponse> {
  let res: DeliverTxResponse;
  try {
    res = await client.signAndBroadcast(sender, msgs as any, fee, memo);
  } catch (err: any) {
    throw new MeshTxError(explainError(String(err?.message ?? err)), undefined, undefined, String(err?.message ?? err));
  }
  if (res.code !== 0) {
    let codespace: string | undefined;
    if (rest) {
      try { codespace = (await restGet<any>(rest, `/cosmos/tx/v1beta1/txs/${res.transactionHash}`)).tx_response?.codespace; } catch { /* words from the raw log */ }
    }
    throw new MeshTxError(explainError({ codespace, code: res.code, rawLog: res.rawLog }), codespace, res.code, res.rawLog, res.transactionHash);
  }
  return res;
}

export interface InferenceRequest {
  modelId: string;
  input: string | Uint8Array;
  maxFee: { denom: string; amount: string };
  redundancy?: number;
  mode?: ConsensusMode | "exact" | "median" | "verify";
  tolerance?: string;
  deadlineBlocks?: string;
}

const modes: Record<string, ConsensusMode> = { exact: ConsensusMode.CONSENSUS_MODE_EXACT, median: ConsensusMode.CONSENSUS_MODE_MEDIAN, verify: ConsensusMode.CONSENSUS_MODE_VERIFY };

/** requestInference sends MsgRequestInference and returns the new job's id. */
export async function requestInference(client: SigningStargateClient, requester: string, r: InferenceRequest, rest?: string): Promise<{ jobId: string; txHash: string; height: number }> {
  const input = typeof r.input === "string" ? new TextEncoder().encode(r.input) : r.input;
  const mode = typeof r.mode === "string" ? modes[r.mode] : (r.mode ?? ConsensusMode.CONSENSUS_MODE_EXACT);
  const value = inferenceTx.MsgRequestInference.fromPartial({
    requester, modelId: r.modelId, input, maxFee: r.maxFee, redundancy: r.redundancy ?? 0, mode,
    tolerance: r.tolerance ?? "0", deadlineBlocks: r.deadlineBlocks ?? "0",
  });
  const res = await send(client, requester, [{ typeUrl: "/mesh.inference.v1.MsgRequestInference", value }], "", 1.5, rest);
  const resp = res.msgResponses.find((m) => m.typeUrl.endsWith("MsgRequestInferenceResponse"));
  if (!resp) throw new MeshTxError("The chain returned no job id.");
  const jobId = String(inferenceTx.MsgRequestInferenceResponse.decode(resp.value).jobId);
  return { jobId, txHash: res.transactionHash, height: res.height };
}




/** lock locks amount (umesh) for durationSeconds in x/dao. */
export async function lock(client: SigningStargateClient, owner: string, amount: string, durationSeconds: number, rest?: string) {
  const value = daoTx.MsgLock.fromPartial({ owner, amount: { denom: DENOM, amount }, duration: { seconds: String(durationSeconds), nanos: 0 } });
  return send(client, owner, [{ typeUrl: "/mesh.dao.v1.MsgLock", value }], "", 1.5, rest);
}

/** vote casts a vote on an x/dao proposal ("yes" | "no" | "abstain" | "veto"). */
export async function vote(client: SigningStargateClient, voter: string, proposalId: string, option: "yes" | "no" | "abstain" | "veto" | VoteOption, rest?: string) {
  const opts: Record<string, VoteOption> = { yes: VoteOption.VOTE_OPTION_YES, no: VoteOption.VOTE_OPTION_NO, abstain: VoteOption.VOTE_OPTION_ABSTAIN, veto: VoteOption.VOTE_OPTION_VETO };
  const value = daoTx.MsgVote.fromPartial({ voter, proposalId, option: typeof option === "string" ? opts[option] : option });
  return send(client, voter, [{ typeUrl: "/mesh.dao.v1.MsgVote", value }], "", 1.5, rest);
}

/** delegateVotes lets delegate vote with delegator's own power (x/dao MsgDelegateVotes). */
export async function delegateVotes(client: SigningStargateClient, delegator: string, delegate: string, rest?: string) {
  const value = daoTx.MsgDelegateVotes.fromPartial({ delegator, delegate });
  return send(client, delegator, [{ typeUrl: "/mesh.dao.v1.MsgDelegateVotes", value }], "", 1.5, rest);
}

/** undelegateVotes takes delegator's power back (x/dao MsgUndelegateVotes). */
export async function undelegateVotes(client: SigningStargateClient, delegator: string, rest?: string) {
  const value = daoTx.MsgUndelegateVotes.fromPartial({ delegator });
  return send(client, delegator, [{ typeUrl: "/mesh.dao.v1.MsgUndelegateVotes", value }], "", 1.5, rest);
}

/** executeProposal runs a passed proposal's messages once its timelock has ended; anyone may send it. */
export async function executeProposal(client: SigningStargateClient, executor: string, proposalId: string, rest?: string) {
  const value = daoTx.MsgExecuteProposal.fromPartial({ executor, proposalId });
  return send(client, executor, [{ typeUrl: "/mesh.dao.v1.MsgExecuteProposal", value }], "", 1.5, rest);
}

/** annotate labels an OPEN x/training item with one of its dataset's labels; annotation_stake is escrowed until the item is final. */
export async function annotate(client: SigningStargateClient, annotator: string, itemId: string, label: string, rest?: string): Promise<{ final: boolean; label: string; txHash: string }> {
  const value = trainingTx.MsgAnnotate.fromPartial({ annotator, itemId, label });
  const res = await send(client, annotator, [{ typeUrl: "/mesh.training.v1.MsgAnnotate", value }], "", 1.5, rest);
  const resp = res.msgResponses.find((m) => m.typeUrl.endsWith("MsgAnnotateResponse"));
  const out = resp ? trainingTx.MsgAnnotateResponse.decode(resp.value) : { final: false, label: "" };
  return { final: out.final, label: out.label, txHash: res.transactionHash };
}

/** claimRewards claims account's pending x/rewards (account defaults to the claimant). */
export async function claimRewards(client: SigningStargateClient, claimant: string, account = claimant, rest?: string) {
  const value = rewardsTx.MsgClaimRewards.fromPartial({ claimant, account });
  return send(client, claimant, [{ typeUrl: "/mesh.rewards.v1.MsgClaimRewards", value }], "", 1.5, rest);
}

