package types

import "github.com/llmesh/mesh/x/internal/kit"

// REST status filters accept the enum names, not only numbers (issue 17;
// kit.RegisterGatewayEnum says why it takes a registration).
func init() { kit.RegisterGatewayEnum("mesh.compute.v1.WorkerStatus", WorkerStatus_value) }
