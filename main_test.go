package main

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/imhook/imhook/cmd"
	"github.com/imhook/imhook/internal/nettest"
)

// TestMain lets the test binary run as the imhook command inside scripts.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"imhook": func() { os.Exit(cmd.Execute()) },
	})
}

// TestScript runs the end-to-end scripts in cmd/testdata/script against the
// real binary. Scripts see CLOSED_ADDR, a 127.0.0.1 port that refuses
// connections (nettest.RefusedAddr), the command "exitcode N PROG ARGS...", which
// runs PROG and fails unless it exits with N (exec only tells zero from
// non-zero), and "exebytes N FILE", which writes the first N bytes of an
// executable (this test binary) to FILE: a binary file, as a user may give
// one by mistake.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "cmd/testdata/script",
		Setup: func(env *testscript.Env) error {
			addr, release, err := nettest.RefusedAddr()
			if err != nil {
				return err
			}
			env.Defer(release)
			env.Setenv("CLOSED_ADDR", addr)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exebytes": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: exebytes N FILE")
				}
				n, err := strconv.Atoi(args[0])
				ts.Check(err)
				exe, err := os.Executable()
				ts.Check(err)
				b, err := os.ReadFile(exe)
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), b[:min(n, len(b))], 0o644))
			},
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg {
					ts.Fatalf("unsupported: ! exitcode")
				}
				if len(args) < 2 {
					ts.Fatalf("usage: exitcode N PROG [ARGS...]")
				}
				want, err := strconv.Atoi(args[0])
				if err != nil {
					ts.Fatalf("exitcode: %v", err)
				}
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("exitcode: %v", err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
				}
			},
		},
	})
}
