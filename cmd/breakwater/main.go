// Command breakwater finds living-off-the-land intrusions in Windows event
// logs and network logs. See "breakwater help".
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/breakwater/breakwater/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := cli.New().Run(ctx, os.Args[1:])
	stop()
	if code := cli.ExitCode(err); code != 0 {
		fmt.Fprintln(os.Stderr, "breakwater:", err)
		os.Exit(code)
	}
}
