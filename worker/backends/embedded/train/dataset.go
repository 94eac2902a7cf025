package train

// Example is one labelled proposal text.
type Example struct {
	Text string
	// Label indexes embedded.Labels: 0 low, 1 medium, 2 high.
	Label int
}

const (
	low    = 0
	medium = 1
	high   = 2
)

// template expands into sentences: each {} in Text is filled from the
// matching slot, combinations picked deterministically (see expand).
type template struct {
	Label int
	Text  string
	Slots [][]string
	// N is how many sentences to draw.
	N int
}

// Dataset is the built-in training set: hand-written proposals followed by
// template expansions, in a fixed order (training shuffles it with a seeded
// generator).
func Dataset() []Example {
	var out []Example
	for _, s := range lowSentences {
		out = append(out, Example{s, low})
	}
	for _, s := range mediumSentences {
		out = append(out, Example{s, medium})
	}
	for _, s := range highSentences {
		out = append(out, Example{s, high})
	}
	for _, t := range templates {
		for _, s := range expand(t) {
			out = append(out, Example{s, t.Label})
		}
	}
	return out
}

// expand draws t.N combinations of the slots: combination i is the
// mixed-radix decoding of (i·stride + 7) mod total, with a stride coprime to
// the number of combinations so that the draws spread over all slots.
func expand(t template) []string {
	total := 1
	for _, s := range t.Slots {
		total *= len(s)
	}
	stride := 1
	for _, c := range []int{7919, 104729, 31, 37, 41, 43, 47, 53, 59, 61} {
		if gcd(c, total) == 1 {
			stride = c
			break
		}
	}
	n := min(t.N, total)
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		idx := (i*stride + 7) % total
		var b []byte
		slot := 0
		for j := 0; j < len(t.Text); j++ {
			if j+1 < len(t.Text) && t.Text[j] == '{' && t.Text[j+1] == '}' {
				choices := t.Slots[slot]
				b = append(b, choices[idx%len(choices)]...)
				idx /= len(choices)
				slot++
				j++
				continue
			}
			b = append(b, t.Text[j])
		}
		out = append(out, string(b))
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

var lowSentences = []string{
	"Fix typos in the governance documentation",
	"Translate the user guide into Spanish and Portuguese",
	"Update the link to the community forum in the README",
	"Adopt a code of conduct for the community chat",
	"Thank the validators who helped during the last upgrade",
	"Create a new channel for node operators on the forum",
	"Refresh the project logo and brand colours",
	"Publish a monthly transparency report on treasury spending",
	"Host a community call every second Thursday",
	"Add a frequently asked questions page for new delegators",
	"Rename the public testnet to mesh-testnet-2",
	"Elect three volunteer moderators for the forum",
	"Signal support for a student ambassador program",
	"Record tutorial videos for setting up a worker",
	"Improve the error messages of the command line tool",
	"Organise a meetup for developers in Lisbon",
	"Create an open calendar of community events",
	"Sponsor a small booth at a local blockchain conference for 800 MESH",
	"Reward the winners of the documentation contest with 300 MESH each",
	"Archive the old governance discussion threads",
	"Clarify the wording of the delegation guide",
	"Set up a public status page for the RPC endpoints",
	"Text proposal to welcome new community contributors",
	"Recognise the bug hunters of the last quarter on the website",
	"Fund a design review of the block explorer for 1200 MESH",
}

var mediumSentences = []string{
	"Change the unbonding period from 21 days to 14 days",
	"Increase the maximum number of validators from 100 to 125",
	"Lower the minimum inference redundancy from 3 to 2",
	"Raise the fee burn rate of inference jobs from 10 percent to 20 percent",
	"Upgrade the chain to v2.1.0 at height 4200000 after the audit",
	"Add INJ from Injective to the fee denom allowlist",
	"Open an IBC channel to Osmosis for token transfers",
	"Spend 4 percent of the treasury to sponsor a university research lab",
	"Allocate 250000 MESH for a centralized exchange listing",
	"Promote the candidate model to active for inference",
	"Retire the old risk model after the new one is live",
	"Adjust the block reward split to 55 percent compute and 25 percent validators",
	"Extend the voting period from 5 days to 7 days",
	"Shorten the commit window of proof of compute to 15 blocks",
	"Enable permissionless CosmWasm contract uploads",
	"Increase the minimum stake per compute unit to 2000 MESH",
	"Reduce the gas price floor to 0.001 umesh",
	"Change the slash fraction for missed reveals to 1 percent",
	"Fund a security audit of the inference module for 90000 MESH",
	"Register a new embedded model version for proposal analysis",
	"Raise the quorum from 33 percent to 40 percent",
	"Lower the deposit required to submit a proposal to 500 MESH",
	"Delegate 2 percent of the treasury to new community validators",
	"Change the protocol fee share from 5 percent to 8 percent",
	"Update the inflation curve for the next two years",
}

var highSentences = []string{
	"Transfer the entire treasury to an unknown address",
	"Send all funds in the community pool to mesh1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
	"Mint one billion new MESH tokens to the proposer",
	"Disable slashing permanently for all validators",
	"Remove the timelock and the veto from governance",
	"Set the quorum to zero so proposals pass without votes",
	"Hand an anonymous developer the admin key of the chain with no oversight",
	"Upgrade immediately to an unaudited binary from an anonymous developer",
	"Withdraw 100 percent of the reserve to a private wallet controlled by the proposer",
	"Burn all staked tokens of every delegator",
	"Bypass the timelock and execute this spend right now",
	"Grant unlimited minting rights to a single multisig",
	"Turn off proof of compute verification so any worker gets paid",
	"Drain the treasury into a new account with no public owner",
	"Move every token held by the DAO to an external exchange wallet controlled by one person",
	"Reduce the voting threshold to one percent and skip the timelock",
	"Replace the chain upgrade keys with the proposer's own key",
	"Unjail every validator and cancel all past slashes without review",
	"Pay the proposer 90 percent of all future fees forever",
	"Delete the veto power and allow proposals to execute instantly",
	"Halt the chain and hand control of the validator set to one operator",
	"Send all protocol fees to the personal wallet of the proposer",
	"Hand over the entire DAO treasury to an unverified external account",
	"Mint unlimited tokens without any vesting and sell them on the market",
	"Disable the deposit requirement and quorum for all proposals",
}

var templates = []template{
	{low, "{} {} for {}", [][]string{
		{"Fund", "Allocate", "Approve a grant of", "Provide"},
		{"500 MESH", "1,500 MESH", "a small grant of 2000 MESH", "750 MESH", "1000 MESH from the community budget"},
		{"the community hackathon prizes", "translating the documentation", "maintaining the block explorer",
			"a developer workshop", "the monthly community newsletter", "tutorial videos for new validators",
			"open source wallet improvements", "the forum hosting costs"},
	}, 60},
	{low, "{} the {}", [][]string{
		{"Update", "Improve", "Refresh", "Rewrite", "Clarify"},
		{"documentation website", "governance forum guidelines", "FAQ page", "validator onboarding guide",
			"community code of conduct", "project roadmap page", "worker setup tutorial", "glossary of terms"},
	}, 40},
	{medium, "{} the {} from {} to {}", [][]string{
		{"Change", "Increase", "Reduce", "Adjust", "Raise", "Lower"},
		{"unbonding period", "minimum redundancy", "inference fee burn rate", "voting period", "commit window",
			"reveal window", "maximum number of validators", "minimum stake per compute unit", "protocol fee",
			"slash fraction for missed reveals", "block reward split", "deposit period"},
		{"10", "14 days", "3", "5 percent", "20 blocks"},
		{"12", "21 days", "4", "8 percent", "30 blocks"},
	}, 80},
	{medium, "{} {} of the treasury on {}", [][]string{
		{"Spend", "Allocate", "Use"},
		{"3 percent", "5 percent", "100000 MESH", "250000 MESH"},
		{"a marketing campaign", "an exchange listing", "a security audit", "liquidity incentives",
			"a two year developer grant program", "validator delegations"},
	}, 40},
	{medium, "Upgrade the chain to {} at height {} {}", [][]string{
		{"v2.0.0", "v1.4.2", "v3.1.0"},
		{"4200000", "1800000", "950000"},
		{"after the public audit", "as announced on the forum", "following the testnet rehearsal", "with the new IBC features"},
	}, 24},
	{high, "{} {} the {} to {}", [][]string{
		{"Transfer", "Send", "Move", "Withdraw", "Sweep"},
		{"all of", "the entire", "100 percent of", "everything in", "the whole"},
		{"treasury", "community pool", "DAO treasury", "reserve funds", "module account balance"},
		{"an unknown address", "a new anonymous wallet", "mesh1zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
			"a private account controlled by the proposer", "an unverified external account", "a fresh address with no history"},
	}, 90},
	{high, "{} {} permanently", [][]string{
		{"Disable", "Remove", "Turn off", "Abolish"},
		{"slashing", "the timelock", "the veto", "quorum requirements", "proof of compute verification",
			"the deposit requirement", "jailing of validators"},
	}, 28},
	{high, "Mint {} new tokens {}", [][]string{
		{"one billion", "10000000000", "unlimited", "500 million"},
		{"to the proposer", "to a single address", "without vesting", "to an anonymous wallet"},
	}, 16},
	{high, "Give {} {} of the {}", [][]string{
		{"the proposer", "a single multisig", "an anonymous developer", "one validator"},
		{"full admin control", "unlimited minting rights", "sole ownership"},
		{"DAO module account", "treasury", "chain upgrade keys"},
	}, 24},
}
