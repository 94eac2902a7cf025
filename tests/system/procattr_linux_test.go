package system

import (
	"os/exec"
	"syscall"
)

// setChildAttrs makes the kernel SIGKILL a child meshd when the test binary
// dies without running its cleanups (e.g. `go test -timeout` panics), so no
// node outlives the test run.
func setChildAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
