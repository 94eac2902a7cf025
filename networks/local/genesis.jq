# Genesis changes for the development network: short governance periods so
# proposals can be tried in minutes, 30-second compute epochs (10-block commit
# and reveal windows at ~1 s blocks) and a one-minute pool unbonding period.
# Applied with jq after collect-gentxs.
.app_state.gov.params.voting_period = "60s"
| .app_state.gov.params.expedited_voting_period = "30s"
| .app_state.gov.params.max_deposit_period = "120s"
| .app_state.epochs.epochs |= map(if .identifier == "compute" then .duration = "30s" else . end)
| .app_state.pool.params.unbonding_period = "60s"
