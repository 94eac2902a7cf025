package kit

import (
	golangproto "github.com/golang/protobuf/proto" //nolint:staticcheck // the registry grpc-gateway v1 reads
)

// RegisterGatewayEnum makes the REST gateway (grpc-gateway v1) accept the
// enum's value names in query parameters, as gov's and staking's status
// filters do (issue 17): `?status=JOB_STATUS_FINALIZED`, not only
// `?status=3`. The gateway resolves a name through
// github.com/golang/protobuf's enum registry, under the enum's full proto
// name (the `enum=` of the field's protobuf tag); gogoproto registers meshd's
// enums in its own registry only, so a name failed with a raw strconv error.
//
// Call it once per enum that is a query parameter, from the module's types
// package, with the generated value map:
//
//	func init() { kit.RegisterGatewayEnum("mesh.inference.v1.JobStatus", JobStatus_value) }
//
// A second registration of the same name panics, as in golang/protobuf.
func RegisterGatewayEnum(fullName string, values map[string]int32) {
	golangproto.RegisterEnum(fullName, nil, values) // the number→name map is unused there
}
