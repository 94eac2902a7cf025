//go:build !linux

package system

import "os/exec"

// setChildAttrs: parent-death signals are Linux-only; elsewhere children are
// only reaped by t.Cleanup.
func setChildAttrs(*exec.Cmd) {}
