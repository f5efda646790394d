// Package conversation holds the vendors' conversation models: scenarios
// that make a consistent sequence of callbacks (simulate --scenario) and the
// check that a recording keeps the model's invariants (validate
// --consistency). It sits above the vendors' wire rules
// (internal/platform/tencent, internal/platform/openim) because it builds
// callbacks with the generator (fixtures/generate); the registry
// (internal/platform) joins each model to its vendor.
package conversation

// Tencent is Tencent Cloud Chat's conversation model (tencent.go,
// tencent_consistency.go).
var Tencent = tencentModel{}

// OpenIM is OpenIM's conversation model (openim.go, openim_consistency.go).
var OpenIM = openimModel{}

type (
	tencentModel struct{}
	openimModel  struct{}
)
