package readme_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/openinventory/assets/internal/readme"
)

func TestShellBlocksAndResults(t *testing.T) {
	t.Parallel()
	md := "# t\n```console\nmake run\n```\n```sh\nA=1\ncurl -s x | jq .\n```\ntext\n```json\n{}\n```\n  ```sh\nB=$(curl -s y)\n  ```\n"
	blocks := readme.ShellBlocks(md)
	want := []readme.Block{
		{Number: 1, Line: 5, Code: "A=1\ncurl -s x | jq .\n"},
		{Number: 2, Line: 13, Code: "B=$(curl -s y)\n"},
	}
	if !reflect.DeepEqual(blocks, want) {
		t.Fatalf("ShellBlocks = %#v, want %#v", blocks, want)
	}
	if n := blocks[0].Requests(); n != 1 {
		t.Errorf("Requests = %d, want 1", n)
	}
	if n := (readme.Block{Code: "echo curly\n"}).Requests(); n != 0 {
		t.Errorf("Requests of no curl = %d, want 0", n)
	}
	stderr := "readme: block 1 start\nreadme: status 200 GET http://h/a\nnoise\nreadme: block 1 ok\n" +
		"readme: block 2 start\nreadme: status 404 PATCH http://h/b\n"
	got := readme.Results(stderr)
	if len(got) != 1 || !reflect.DeepEqual(got[1].Statuses, []readme.Status{{200, "GET", "http://h/a"}}) {
		t.Fatalf("Results = %#v", got)
	}
}

func TestRelativeLinks(t *testing.T) {
	t.Parallel()
	md := "see [a](docs/a.md#x), [b](https://example.org/b), [c](#c) and ![d](docs/d.png)"
	want := []string{"docs/a.md", "docs/d.png"}
	if got := readme.RelativeLinks(md); !reflect.DeepEqual(got, want) {
		t.Fatalf("RelativeLinks = %q, want %q", got, want)
	}
}

// TestLinksResolve: every relative link of the README and of docs/ names a
// file of the repository, so a clone has everything they point at.
func TestLinksResolve(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"))
	checked := 0
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, target := range readme.RelativeLinks(string(text)) {
			checked++
			p := filepath.Join(filepath.Dir(f), filepath.FromSlash(target))
			if !strings.HasPrefix(p, root+string(filepath.Separator)) {
				t.Errorf("%s links outside the repository: %s", f, target)
				continue
			}
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, target)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative link checked: the README should link docs/architecture.md")
	}
}
