# Genesis changes for a public testnet, applied by `ceremony.sh init` to
# `meshd init`'s defaults (arguments from testnet.env): governance periods of
# hours, and a block gas limit (CometBFT's default -1 would let one block hold
# unbounded PoC verification work). Everything else keeps meshd's defaults,
# which are the mainnet values.
.app_state.gov.params.voting_period = $gov_voting_period
| .app_state.gov.params.expedited_voting_period = $gov_expedited_voting_period
| .consensus.params.block.max_gas = "100000000"
