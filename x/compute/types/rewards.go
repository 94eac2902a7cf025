package types

// RewardPointsPerUnit is the x/rewards points (CategoryPoC) a provider earns
// per verified compute unit of a worker, for each passed proof of compute.
const RewardPointsPerUnit uint64 = 1000
