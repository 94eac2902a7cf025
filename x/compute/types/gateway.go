package types

import (
	golangproto "github.com/golang/protobuf/proto" //nolint:staticcheck // the registry grpc-gateway v1 reads
)

// The REST gateway (grpc-gateway v1) parses an enum query parameter by name
// only if the enum is in github.com/golang/protobuf's registry; gogoproto
// registers it in its own, so `?status=WORKER_STATUS_ACTIVE` failed with a
// raw strconv error while numbers worked (issue 17). The SDK's gov and
// staking enums reach that registry through cosmossdk.io/api; x/compute has
// no such package, so its query filter enums are registered here.
func init() {
	golangproto.RegisterEnum("mesh.compute.v1.WorkerStatus", WorkerStatus_name, WorkerStatus_value)
}
