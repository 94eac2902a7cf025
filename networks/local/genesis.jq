# Genesis changes for the development network, applied with jq after
# collect-gentxs (arguments from localnet.env): short governance periods so
# proposals can be tried in minutes, short compute epochs with their
# commit/reveal windows (and poc_commit_seconds, their wall time, with 100
# MOPS per compute unit so CPU workers' small claims earn units), a one-minute pool unbonding period, and a block gas
# limit (CometBFT's default -1 would let one block hold unbounded PoC
# verification work), x/dao periods of a minute (localnet.env), and x/training
# dataset 1 — the embedded model's 477 labelled proposal texts as inline
# items (training-dataset.json, kept up to date by networks/local's test) —
# with 5-block round phases, and vote extensions (the validators' beacon and
# worker commitments in consensus) from LOCALNET_VOTE_EXTENSIONS_HEIGHT. It
# also registers meshd-worker's embedded model
# (worker/backends/embedded; the digest is that of its committed weights)
# and its embedded generative model mesh-lm-v1 (VERIFY mode only: one
# generator and redundancy − 1 verifiers, so 4 workers of 4 providers:
# LOCALNET_WORKERS=4).
.app_state.gov.params.voting_period = "60s"
| .app_state.gov.params.expedited_voting_period = "30s"
| .app_state.gov.params.max_deposit_period = "120s"
| .app_state.epochs.epochs |= map(if .identifier == "compute" then .duration = $compute_epoch else . end)
| .app_state.compute.params.commit_window = $commit_window
| .app_state.compute.params.reveal_window = $reveal_window
| .app_state.compute.params.poc_commit_seconds = (($ARGS.named.poc_commit_seconds // $commit_window) | tonumber)
| .app_state.compute.params.poc_mops_per_unit = "100"
| .app_state.pool.params.unbonding_period = "60s"
| .app_state.dao.params.voting_period = $dao_voting_period
| .app_state.dao.params.timelock = $dao_timelock
| .app_state.dao.params.execution_window = "3600s"
| .app_state.dao.params.min_lock_duration = "60s"
| .app_state.dao.params.max_lock_duration = "86400s"
| .app_state.dao.params.min_deposit = [{"denom": "umesh", "amount": "10000000"}]
| .app_state.dao.params.analysis_model = $dao_analysis_model
| .app_state.dao.params.analysis_max_fee = {"denom": "umesh", "amount": "3000"}
| .app_state.training += $training_dataset[0]
| .app_state.training.params.commit_blocks = "5"
| .app_state.training.params.reveal_blocks = "5"
| .app_state.training.params.aggregate_blocks = "5"
| .consensus.params.block.max_gas = "100000000"
| .consensus.params.abci.vote_extensions_enable_height = ($ARGS.named.ve_height // "0")
| .app_state.inference.models += [{
    "id": "mesh-embedded-v1",
    "name": "meshd embedded proposal-risk classifier",
    "version": "1",
    "weights_digest": "3b7c1609436c21554e536fe8de03642487aa3f953c8706f63989f8678e931a4f",
    "weights_uri": "meshd:worker/backends/embedded/mesh-embedded-v1.bin",
    "runtime": "int8-embedded",
    "deterministic": true,
    "prices": [{"denom": "umesh", "amount": "1000"}],
    "min_vram_gb": 0,
    "status": "MODEL_STATUS_ACTIVE"
  }]
| .app_state.inference.models += [{
    "id": "mesh-openai-v1",
    "name": "embedded classifier served over the OpenAI API (meshd-worker serve)",
    "version": "1",
    "weights_digest": "3b7c1609436c21554e536fe8de03642487aa3f953c8706f63989f8678e931a4f",
    "weights_uri": "meshd:worker/backends/embedded/mesh-embedded-v1.bin",
    "runtime": "openai:mesh-embedded-v1",
    "deterministic": false,
    "prices": [{"denom": "umesh", "amount": "1000"}],
    "min_vram_gb": 0,
    "status": "MODEL_STATUS_ACTIVE"
  }]
| .app_state.inference.models += [{
    "id": "mesh-lm-v1",
    "name": "meshd embedded generative model (byte-level, integer-only), VERIFY mode",
    "version": "1",
    "runtime": "int8-embedded",
    "deterministic": false,
    "prices": [{"denom": "umesh", "amount": "1000"}],
    "min_vram_gb": 0,
    "status": "MODEL_STATUS_ACTIVE",
    "modes": ["CONSENSUS_MODE_VERIFY"],
    "verify": {
      "max_new_tokens": 48,
      "top_k": 8,
      "min_in_top_k_bps": 9500,
      "max_mean_gap_milli": 60,
      "min_regen_agreement_bps": 8000,
      "verifier_share_bps": 3000,
      "slash_generator": true
    }
  }]
