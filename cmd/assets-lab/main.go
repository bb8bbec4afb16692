// Command assets-lab is the lab of the assets binary: the side-by-side
// benchmark and the fault drills. It is not part of the product image; it
// runs the product binary (assets, next to it by default) as child
// processes.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/openinventory/assets/internal/cli"
)

func main() {
	e := cli.LoadOrExit("assets-lab")
	root := &cobra.Command{
		Use:   "assets-lab",
		Short: "The benchmark and the fault drills of the assets binary",
		Long: `assets-lab measures and drills the assets binary: it runs "assets serve" and
"assets sync" of the binary given by --bin (by default the assets binary next to this one)
as child processes, against a database and an index prefix of its own.

Environment:
  ASSETS_DATABASE_URL        PostgreSQL URL; the lab creates its own database next to it
  ASSETS_ELASTICSEARCH_URL   Elasticsearch URL
  ASSETS_INDEX               the development index prefix, which the lab never uses (default "assets")
  ASSETS_LOG_LEVEL           debug, info, warn or error (default info)
  ASSETS_LOG_FORMAT          text or json (default text)

Exit status: 0 success, 1 failure, 2 bad input.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newBenchCmd(e), newDrillsCmd(e))
	cli.Main(root)
}

// assetsBinary is the product binary the lab runs: bin when set, else the
// assets binary in this binary's folder.
func assetsBinary(bin string) (string, error) {
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("finding this binary: %w", err)
		}
		bin = filepath.Join(filepath.Dir(exe), "assets")
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", cli.BadInput(fmt.Errorf("--bin %s: not an executable assets binary (build it with make build)", bin))
	}
	return bin, nil
}
