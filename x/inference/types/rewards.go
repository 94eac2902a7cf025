package types

// RewardPointsPerAnswer is the x/rewards points (CategoryInference) a
// provider earns for each agreed answer of one of its workers.
const RewardPointsPerAnswer uint64 = 1000
