# Genesis changes for the development network: short governance periods so
# proposals can be tried in minutes. Applied with jq after collect-gentxs.
.app_state.gov.params.voting_period = "60s"
| .app_state.gov.params.expedited_voting_period = "30s"
| .app_state.gov.params.max_deposit_period = "120s"
