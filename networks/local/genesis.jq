# Genesis changes for the development network, applied with jq after
# collect-gentxs (arguments from localnet.env): short governance periods so
# proposals can be tried in minutes, short compute epochs with their
# commit/reveal windows, a one-minute pool unbonding period, and a block gas
# limit (CometBFT's default -1 would let one block hold unbounded PoC
# verification work).
.app_state.gov.params.voting_period = "60s"
| .app_state.gov.params.expedited_voting_period = "30s"
| .app_state.gov.params.max_deposit_period = "120s"
| .app_state.epochs.epochs |= map(if .identifier == "compute" then .duration = $compute_epoch else . end)
| .app_state.compute.params.commit_window = $commit_window
| .app_state.compute.params.reveal_window = $reveal_window
| .app_state.pool.params.unbonding_period = "60s"
| .consensus.params.block.max_gas = "100000000"
